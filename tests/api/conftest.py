"""A platform on a managed dev chain with a small consortium, and an HTTP client per member."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.members import AGENT, AUDITOR, BANK, OPERATOR, OTHER_BANK, Consortium, api_keys, found, issue
from tradeledger.chain.keys import dev_account
from tradeledger.config import load_settings
from tradeledger.runtime import open_platform

TRADER, OTHER_TRADER, OUTSIDER = (dev_account(i) for i in (3, 4, 5))


@pytest.fixture(scope="session")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    """Operator, settlement agent, an auditor, two banks; the founding bank sponsors three traders, one funded.
    Every one has an API key, the operator and the agent too (they are not members)."""
    yield from open_consortium(tmp_path_factory, "api")


def open_consortium(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Consortium]:
    """The `consortium` on a dev chain of its own: a module that moves the chain's clock uses one (the session's
    chain is shared by every module on a worker)."""
    settings = load_settings(data_dir=Path(tmp_path_factory.mktemp(name)) / "data", _env_file=None)
    platform = open_platform(settings)
    try:
        found(platform, traders=(TRADER, OTHER_TRADER, OUTSIDER))
        issue(platform, BANK, 1_000_000, "FUND-BANK", issuer=AGENT)
        issue(platform, TRADER, 50_000, "FUND-T1", issuer=BANK)
        members = {"bank": BANK, "trader": TRADER, "other_trader": OTHER_TRADER, "outsider": OUTSIDER,
                   "auditor": AUDITOR, "other_bank": OTHER_BANK, "agent": AGENT, "operator": OPERATOR}  # fmt: skip
        yield Consortium(platform, api_keys(platform, members))
    finally:
        platform.close()


def problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body: dict[str, object] = response.json()
    return body


def without_id(body: str, object_id: str) -> str:
    """A problem body with the id it names (after a space in `detail`) masked, to compare two answers."""
    return re.sub(rf"(?<= ){re.escape(object_id)}(?=\")", "<id>", body)
