"""Bad configuration: one clear line naming the setting and the fix, a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradeledger.chain.backends import DevChain
from tradeledger.store.connections import MIN_MAIN, MIN_READS, connection_budget, server_limits

TRADELEDGER = str(Path(sys.executable).parent / "tradeledger")


def run_cli(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRADELEDGER_")}
    environment.update({"TRADELEDGER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "300", **env})
    return subprocess.run(
        [TRADELEDGER, *args], env=environment, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"TRADELEDGER_CHAIN": "besu"}, ("TRADELEDGER_CHAIN='besu' is not a backend", "memory")),
        (
            {"TRADELEDGER_CHAIN": "http://127.0.0.1:9"},
            ("TRADELEDGER_CHAIN=http://127.0.0.1:9", "no chain node answers"),
        ),
        ({"TRADELEDGER_PORT": "eighty"}, ("TRADELEDGER_PORT",)),
        (
            {"TRADELEDGER_CHAIN": "dev", "TRADELEDGER_ANVIL_PATH": "/nonexistent/anvil"},
            ("TRADELEDGER_CHAIN=dev", "npm ci"),
        ),
    ],
    ids=["unknown-backend", "unreachable-node", "bad-port", "missing-anvil"],
)
def test_bad_setting_is_one_line(env: dict[str, str], fragments: tuple[str, ...], tmp_path: Path) -> None:
    assert_one_line_error(run_cli(["deploy"], env, tmp_path), *fragments)


def test_missing_node_for_dev_chain(tmp_path: Path) -> None:
    env = {"TRADELEDGER_CHAIN": "dev", "TRADELEDGER_ANVIL_PATH": "/nonexistent/anvil", "PATH": "/nonexistent"}
    assert_one_line_error(run_cli(["serve"], env, tmp_path), "Node.js/npm is not installed", "npm ci")


def test_wrong_chain_id(tmp_path: Path) -> None:
    with DevChain(tmp_path / "node") as chain:
        assert chain.rpc_url is not None
        result = run_cli(["serve"], {"TRADELEDGER_CHAIN": chain.rpc_url, "TRADELEDGER_CHAIN_ID": "5"}, tmp_path)
    assert_one_line_error(result, "TRADELEDGER_CHAIN_ID=5", "chain id 1337")


def test_url_chain_without_operator_keystore_refuses_dev_keys(tmp_path: Path) -> None:
    with DevChain(tmp_path / "node") as chain:
        assert chain.rpc_url is not None
        result = run_cli(["deploy"], {"TRADELEDGER_CHAIN": chain.rpc_url}, tmp_path)
    assert_one_line_error(result, "TRADELEDGER_OPERATOR_KEYSTORE")


@pytest.mark.parametrize(
    ("env", "day", "fragments"),
    [
        ({"TRADELEDGER_CHAIN": "memory"}, "2030-01-01", ("controls the managed dev chain", "TRADELEDGER_CHAIN=memory")),
        ({"TRADELEDGER_CHAIN": "dev"}, "2030-02-30", ("--past '2030-02-30' is not a day",)),
        ({"TRADELEDGER_CHAIN": "dev"}, "2030-01-01", ("no dev chain is running",)),
    ],
    ids=["not-a-dev-chain", "not-a-day", "no-chain"],
)
def test_only_a_running_dev_chain_has_its_clock_moved(
    env: dict[str, str], day: str, fragments: tuple[str, ...], tmp_path: Path
) -> None:
    assert_one_line_error(run_cli(["chain", "advance", "--past", day], env, tmp_path), *fragments)


def _too_many_workers(url: str) -> str:
    """As many API workers as make the server's connections, shared with their engine, too few for each."""
    share = connection_budget(server_limits(url), configured=None, processes=1, listeners=1)
    return str(share.total // (MIN_MAIN + MIN_READS + 1))  # the engine makes one process more than fit


@pytest.mark.parametrize(
    ("args", "env", "fragments"),
    [
        (["serve", "--workers", "many"], {}, ("PostgreSQL connections", "run fewer API workers")),
        (["serve", "--role", "api", "--workers", "many"], {}, ("PostgreSQL connections", "run fewer API workers")),
        (["serve"], {"TRADELEDGER_DATABASE_CONNECTIONS": "10000"}, ("TRADELEDGER_DATABASE_CONNECTIONS=10000 is more",)),
        (["serve", "--workers", "3"], {"TRADELEDGER_DATABASE_PROCESSES": "2"}, ("=2, but", "runs 4 processes")),
    ],
    ids=["workers", "api-workers", "budget-above-the-server", "processes-below-those-started"],
)
def test_database_connections_that_cannot_fit_are_refused_at_start(
    args: list[str], env: dict[str, str], fragments: tuple[str, ...], empty_database_url: str, tmp_path: Path
) -> None:
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server whose connections run out")
    args = [_too_many_workers(empty_database_url) if arg == "many" else arg for arg in args]
    env = {"TRADELEDGER_CHAIN": "memory", "TRADELEDGER_DATABASE_URL": empty_database_url, **env}
    assert_one_line_error(run_cli(args, env, tmp_path), *fragments)
