"""The scheduler expires guarantees and standbys on a real dev chain and database, when the chain's clock has passed
their last day for demands (URDG 25: the expiry date stands, closed or not; ISP98 3.13(a): a standby's expiry on
a day the issuer is closed moves to its next business day, per the BankingCalendar), once each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.members import BANK, call, found
from tradeledger.chain.keys import dev_account
from tradeledger.config import Settings, load_settings
from tradeledger.guarantees.models import Undertaking, UndertakingState
from tradeledger.guarantees.schemas import DirectIssue
from tradeledger.guarantees.service import CONTRACT, direct_issue_call
from tradeledger.indexer.queries import event_argument
from tradeledger.runtime import Platform, open_platform
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.store.db import transaction

APPLICANT, BENEFICIARY = dev_account(3), dev_account(4)
DAY = 86_400
SATURDAY = 6  # (day + 4) % 7, as the BankingCalendar counts


@dataclass(frozen=True)
class Expiring:
    guarantee: int  # URDG 758, expiring on a Saturday
    standby: int  # ISP98, expiring on the same Saturday; the guarantor is closed on the Monday after
    saturday: int  # UTC day number


def _direct(platform: Platform, rules: str, expiry_day: int) -> int:
    request = DirectIssue(
        rules=rules, applicant=APPLICANT.address, beneficiary=BENEFICIARY.address, guarantor=BANK.address,
        currency="USD", amount=10_000, expiry_date=_date(expiry_day),
        terms={"kind": f"{rules} for the scheduler test"},
    )  # fmt: skip
    with transaction(platform.sessions) as db:
        contract_call = direct_issue_call(db, platform.address(CONTRACT), BANK.address, request)
    tx_hash = platform.execute(contract_call).tx_hash
    with platform.sessions() as db:
        return int(event_argument(db, tx_hash, CONTRACT, "UndertakingCreated", "undertakingId"))


def _date(day: int) -> date:
    return datetime.fromtimestamp(day * DAY, UTC).date()


def _warp_to(platform: Platform, timestamp: int) -> None:
    rpc = platform.transactions.rpc
    rpc.call("evm_setNextBlockTimestamp", [hex(timestamp)])
    rpc.call("evm_mine", [])


def _runs(platform: Platform) -> list[ScheduledRun]:
    with platform.sessions() as db:
        return list(db.scalars(select(ScheduledRun).where(ScheduledRun.key.startswith("guarantee-expire:"))))


def _state(platform: Platform, undertaking_id: int) -> UndertakingState:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(Undertaking, undertaking_id)
        assert row is not None
        return row.state


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=Path(tmp_path_factory.mktemp("guarantee-expiry")) / "data", _env_file=None)


@pytest.fixture(scope="module")
def platform(settings: Settings) -> Iterator[Platform]:
    platform = open_platform(settings)
    try:
        found(platform, traders=(APPLICANT, BENEFICIARY))
        yield platform
    finally:
        platform.close()


@pytest.fixture(scope="module")
def expiring(platform: Platform) -> Expiring:
    today = platform.chain_time() // DAY
    saturday = next(day for day in range(today + 8, today + 15) if (day + 4) % 7 == SATURDAY)
    call(platform, "BankingCalendar", "setHolidays", ([(saturday + 2) * DAY], True), BANK.address)
    return Expiring(_direct(platform, "urdg758", saturday), _direct(platform, "isp98", saturday), saturday)


class TestGuaranteeExpiryBySchedule:
    def test_urdg_25_and_isp98_3_13_expiry_when_the_chain_passes_the_last_day(
        self, platform: Platform, expiring: Expiring
    ) -> None:
        scheduler = platform.scheduler()
        saturday = expiring.saturday
        assert scheduler.run_once() == 0  # nothing has expired yet

        _warp_to(platform, saturday * DAY + 12 * 3600)  # the expiry day itself: demands are still timely
        assert scheduler.run_once() == 0

        _warp_to(platform, (saturday + 1) * DAY + 60)  # Sunday: the URDG expiry date stood (no roll-over)
        assert scheduler.run_once() == 1
        (run,) = _runs(platform)
        assert (run.key, run.due_at) == (f"guarantee-expire:{expiring.guarantee}:{saturday}", (saturday + 1) * DAY)
        platform.transactions.wait(run.transaction_id, timeout=60)
        assert _state(platform, expiring.guarantee) is UndertakingState.EXPIRED
        assert _state(platform, expiring.standby) is UndertakingState.ISSUED

        # ISP98 3.13(a): closed on Saturday, Sunday and the Monday holiday, the issuer takes demands on Tuesday
        _warp_to(platform, (saturday + 3) * DAY + 12 * 3600)
        assert scheduler.run_once() == 0
        _warp_to(platform, (saturday + 4) * DAY + 60)
        assert scheduler.run_once() == 1
        standby_run = next(run for run in _runs(platform) if run.key.endswith(f":{saturday + 3}"))
        assert standby_run.key == f"guarantee-expire:{expiring.standby}:{saturday + 3}"
        platform.transactions.wait(standby_run.transaction_id, timeout=60)
        assert _state(platform, expiring.standby) is UndertakingState.EXPIRED

        assert scheduler.run_once() == 0  # both expired: nothing is due again, whatever restarts follow
        assert len(_runs(platform)) == 2
        assert datetime.fromtimestamp(platform.chain_time(), UTC).date() >= _date(saturday + 4)
