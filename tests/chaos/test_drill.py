"""A few rounds of the chaos drill in the test suite (the long form is `make chaos`): every round's checks pass,
on SQLite always and on PostgreSQL (a private cluster, restarted mid-burst) when the suite runs on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.drill import DrillConfig, run_drill
from tests.chaos.processes import Fault
from tests.conftest import POSTGRES_URL
from tests.pgcluster import postgres_bin

SEED = 15  # the number: the same faults at the same moments on every run


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_chaos_rounds_on_sqlite(tmp_path: Path) -> None:
    """Kill -9 of the node and the service together (the issue's power loss), of the service, of the node, one
    round each: nothing acknowledged lost or doubled, every request answered, every signer writes again."""
    report = run_drill(
        DrillConfig(rounds=3, seed=SEED, database="sqlite", home=tmp_path, fail_fast=True,
                    faults=(Fault.BOTH, Fault.SERVICE, Fault.NODE))
    )  # fmt: skip
    assert report.survived == len(report.rounds) == 3, report.failures()


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not POSTGRES_URL, reason="TRADELEDGER_TEST_DATABASE_URL is not set")
@pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server binaries for a private cluster")
def test_chaos_rounds_on_postgresql(tmp_path: Path) -> None:
    """An immediate restart of PostgreSQL mid-burst under the running service (issue #15: a request answered 500,
    then 409 "in flight" for good), then the node and the service killed together, on PostgreSQL: every request
    answered (never a 500), nothing acknowledged lost or doubled."""
    report = run_drill(
        DrillConfig(
            rounds=2, seed=SEED, database="postgresql", home=tmp_path, fail_fast=True,
            faults=(Fault.POSTGRES, Fault.BOTH),
        )
    )  # fmt: skip
    assert report.survived == len(report.rounds) == 2, report.failures()
