"""`tradeledger users create`: a member's first administrator (a person) or a service account with its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradeledger.cli import app

MEMBER = "0x" + "cd" * 20


def test_users_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADELEDGER_NEW_PASSWORD", "a long enough password")
    runner = CliRunner()
    person = runner.invoke(app, ["users", "create", "--member", MEMBER, "--username", "ann", "--role", "administrator"])
    assert person.exit_code == 0 and "(ann, administrator)" in person.output, person.output
    bot = runner.invoke(app, ["users", "create", "--member", MEMBER, "--username", "bot", "--role", "checker",
                              "--role", "viewer", "--service"])  # fmt: skip
    assert bot.exit_code == 0 and "checker, viewer" in bot.output and "tl_" in bot.output, bot.output
    again = runner.invoke(app, ["users", "create", "--member", MEMBER, "--username", "bot", "--role", "viewer",
                                "--service"])  # fmt: skip
    assert again.exit_code != 0 and "username_taken" in again.output
    wrong = runner.invoke(app, ["users", "create", "--member", MEMBER, "--username", "x", "--role", "wizard"])
    assert wrong.exit_code != 0 and "wizard" in wrong.output
