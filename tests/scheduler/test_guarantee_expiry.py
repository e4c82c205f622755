"""The scheduler expires guarantees and standbys on a real dev chain and database, when the chain's clock has passed
their last day for demands (URDG 25: the expiry date stands, closed or not; ISP98 3.13(a): a standby's expiry on
a day the issuer is closed moves to its next business day, per the BankingCalendar), once each.

It applies a standby's automatic extension (ISP98 2.06(a)) once the last day for the issuer's notice of
non-extension has passed without one, through the transaction manager, once whatever restarts happen; a noticed
standby and a URDG 758 guarantee stating no extension expire on their dates instead. It records each step of a
reduction schedule (URDG 25(a)(ii), ISP98 2.06) once, on its day. `tradeledger guarantees list|show` read the
result. Every test leaves its undertakings terminal, so that the module's tests do not depend on their order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from tests.members import BANK, call, found
from tradeledger import cli
from tradeledger.chain.keys import dev_account
from tradeledger.config import Settings, load_settings
from tradeledger.guarantees import service
from tradeledger.guarantees.models import Undertaking, UndertakingState
from tradeledger.guarantees.schemas import DirectIssue, GuaranteeView
from tradeledger.guarantees.service import CONTRACT, direct_issue_call
from tradeledger.indexer.queries import event_argument
from tradeledger.members.models import MemberKind
from tradeledger.operations import Submission
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


def _request(rules: str, expiry_day: int, **extension: object) -> DirectIssue:
    values = {
        "rules": rules, "applicant": APPLICANT.address, "beneficiary": BENEFICIARY.address,
        "guarantor": BANK.address, "currency": "USD", "amount": 10_000, "expiry_date": _date(expiry_day),
        "terms": {"kind": f"{rules} for the scheduler test"}, **extension,
    }  # fmt: skip
    return DirectIssue.model_validate(values)


def _direct(platform: Platform, rules: str, expiry_day: int, **extension: object) -> int:
    request = _request(rules, expiry_day, **extension)
    with transaction(platform.sessions) as db:
        contract_call = direct_issue_call(db, platform.address(CONTRACT), BANK.address, request)
    mined = platform.execute(contract_call)
    with platform.sessions() as db:
        return int(event_argument(db, mined, CONTRACT, "UndertakingCreated", "undertakingId"))


def _date(day: int) -> date:
    return datetime.fromtimestamp(day * DAY, UTC).date()


def _warp_to(platform: Platform, timestamp: int) -> None:
    rpc = platform.transactions.rpc
    rpc.call("evm_setNextBlockTimestamp", [hex(timestamp)])
    rpc.call("evm_mine", [])


def _runs(platform: Platform, *undertakings: int) -> list[ScheduledRun]:
    """The expiry runs of these undertakings (other tests of the module schedule their own)."""
    keys = tuple(f"guarantee-expire:{undertaking}:" for undertaking in undertakings)
    with platform.sessions() as db:
        return [run for run in db.scalars(select(ScheduledRun)) if run.key.startswith(keys)]


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
        ours = (expiring.guarantee, expiring.standby)
        (run,) = _runs(platform, *ours)
        assert (run.key, run.due_at) == (f"guarantee-expire:{expiring.guarantee}:{saturday}", (saturday + 1) * DAY)
        platform.transactions.wait(run.transaction_id, timeout=60)
        assert _state(platform, expiring.guarantee) is UndertakingState.EXPIRED
        assert _state(platform, expiring.standby) is UndertakingState.ISSUED

        # ISP98 3.13(a): closed on Saturday, Sunday and the Monday holiday, the issuer takes demands on Tuesday
        _warp_to(platform, (saturday + 3) * DAY + 12 * 3600)
        assert scheduler.run_once() == 0
        _warp_to(platform, (saturday + 4) * DAY + 60)
        assert scheduler.run_once() == 1
        standby_run = next(run for run in _runs(platform, *ours) if run.key.endswith(f":{saturday + 3}"))
        assert standby_run.key == f"guarantee-expire:{expiring.standby}:{saturday + 3}"
        platform.transactions.wait(standby_run.transaction_id, timeout=60)
        assert _state(platform, expiring.standby) is UndertakingState.EXPIRED

        assert scheduler.run_once() == 0  # both expired: nothing is due again, whatever restarts follow
        assert len(_runs(platform, *ours)) == 2
        assert datetime.fromtimestamp(platform.chain_time(), UTC).date() >= _date(saturday + 4)


WEDNESDAY = 3  # (day + 4) % 7: the final expiry 30 days later is a Friday
EVERGREEN = {"extension_days": 30, "non_extension_notice_days": 5}


def _all_runs(platform: Platform) -> dict[str, ScheduledRun]:
    with platform.sessions() as db:
        return {run.key: run for run in db.scalars(select(ScheduledRun))}


def _row(platform: Platform, undertaking_id: int) -> Undertaking:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(Undertaking, undertaking_id)
        assert row is not None
        return row


def _settle(platform: Platform, runs: list[ScheduledRun]) -> None:
    for run in runs:
        platform.transactions.wait(run.transaction_id, timeout=60)


class TestAutomaticExtensionBySchedule:
    def test_isp98_2_06a_scheduler_extends_once_and_a_guarantee_without_extension_expires(
        self, platform: Platform, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        today = platform.chain_time() // DAY
        expiry = next(day for day in range(today + 10, today + 17) if (day + 4) % 7 == WEDNESDAY)
        final = expiry + 30
        standby = _direct(platform, "isp98", expiry, **EVERGREEN, final_expiry_date=_date(final))
        noticed = _direct(platform, "isp98", expiry, **EVERGREEN)
        guarantee = _direct(platform, "urdg758", expiry)
        scheduler = platform.scheduler()
        assert scheduler.run_once() == 0

        # the last day for notice: the issuer gives it on one standby (the domain command the API calls)
        _warp_to(platform, (expiry - 5) * DAY + 12 * 3600)
        assert scheduler.run_once() == 0
        view = service.run_step(platform, BANK.address, MemberKind.BANK, noticed, "notice-non-extension", Submission())
        assert isinstance(view, GuaranteeView) and view.non_extension_noticed

        # the day after: the other standby has extended, without notice or consent; recorded once
        _warp_to(platform, (expiry - 4) * DAY + 60)
        assert scheduler.run_once() == 1
        run = _all_runs(platform)[f"guarantee-extend:{standby}:{expiry * DAY}"]
        assert run.due_at == (expiry - 4) * DAY
        assert platform.scheduler().run_once() == 0  # a restarted scheduler finds the key taken: nothing again
        _settle(platform, [run])
        extended = _row(platform, standby)
        assert (extended.expiry, extended.state) == ((expiry + 30) * DAY, UndertakingState.ISSUED)
        assert platform.scheduler().run_once() == 0

        # past the old expiry: the noticed standby and the guarantee expire, the extended standby does not
        _warp_to(platform, (expiry + 1) * DAY + 60)
        assert platform.scheduler().run_once() == 2
        runs = _all_runs(platform)
        expiries = [runs[f"guarantee-expire:{noticed}:{expiry}"], runs[f"guarantee-expire:{guarantee}:{expiry}"]]
        _settle(platform, expiries)
        assert _row(platform, noticed).state is UndertakingState.EXPIRED
        assert _row(platform, guarantee).state is UndertakingState.EXPIRED
        assert _row(platform, standby).state is UndertakingState.ISSUED

        # at the final expiry no further extension: it expires after its (extended) expiry day
        _warp_to(platform, (final - 4) * DAY + 60)
        assert platform.scheduler().run_once() == 0
        _warp_to(platform, (final + 1) * DAY + 60)
        assert platform.scheduler().run_once() == 1
        _settle(platform, [_all_runs(platform)[f"guarantee-expire:{standby}:{final}"]])
        assert _row(platform, standby).state is UndertakingState.EXPIRED
        assert platform.scheduler().run_once() == 0

        monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(settings.data_dir))
        monkeypatch.setattr(cli.console, "width", 400)
        _cli_reads_the_same_database(standby, noticed, guarantee, final)


def _cli_reads_the_same_database(standby: int, noticed: int, guarantee: int, final: int) -> None:
    """`tradeledger guarantees list|show`: readable tables of the read model, filtered by party and state."""
    listed = CliRunner().invoke(cli.app, ["guarantees", "list", "--account", APPLICANT.address])
    assert listed.exit_code == 0, listed.output
    rows = {cells[0]: cells for cells in _table(listed.output)}
    assert rows[str(standby)][1] == "ISP98" and rows[str(standby)][7] == f"{_date(final)}"
    assert rows[str(standby)][8] == f"+30d unless noticed 5d before, until {_date(final)}"
    assert rows[str(noticed)][8] == "noticed: not extended" and rows[str(guarantee)][8] == "-"
    assert {rows[key][9] for key in rows} == {"EXPIRED"}
    mine = {str(standby), str(noticed), str(guarantee)}
    by_state = {state: {cells[0] for cells in _table(_ok("guarantees", "list", "--state", state))}
                for state in ("issued", "expired")}  # fmt: skip
    assert mine <= by_state["expired"] and not mine & by_state["issued"]
    shown = CliRunner().invoke(cli.app, ["guarantees", "show", str(standby)])
    assert shown.exit_code == 0, shown.output
    fields = {cells[0]: cells[1] for cells in _table(shown.output)}
    assert (fields["rules"], fields["expiry"], fields["amount"]) == ("ISP98", f"{_date(final)}", "100.00 USD")
    missing = CliRunner().invoke(cli.app, ["guarantees", "show", "999999"])
    assert missing.exit_code != 0 and "no guarantee 999999" in missing.output


def _ok(*args: str) -> str:
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _table(output: str) -> list[list[str]]:
    """A rich table's body rows as stripped cells."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.count("│") > 2]


class TestAutomaticExtensionTerms:
    def test_urdg_1a_a_guarantee_may_state_an_automatic_extension(self) -> None:
        """URDG 758 Art 1(a): the rules apply subject to the guarantee's terms and none forbids an automatic
        extension; stated when issued it is no amendment needing consent (Art 11), so the API accepts it."""
        request = _request("urdg758", 20_000, **EVERGREEN, final_expiry_date=_date(20_100))
        assert (request.extension_days, request.non_extension_notice_days) == (30, 5)

    @pytest.mark.parametrize(
        ("extension", "message"),
        [
            ({"extension_days": 30}, "at least 1 and fewer than extension_days"),
            ({"extension_days": 30, "non_extension_notice_days": 30}, "at least 1 and fewer than extension_days"),
            ({"non_extension_notice_days": 5}, "need extension_days"),
            ({**EVERGREEN, "final_expiry_date": _date(19_990)}, "final_expiry_date must come after expiry_date"),
        ],
    )
    def test_isp98_2_06a_extension_terms_are_checked_before_the_chain(
        self, extension: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message):
            _request("isp98", 20_000, **extension)


class TestReductionScheduleBySchedule:
    def test_urdg_25a_ii_scheduler_records_each_scheduled_reduction_once(
        self, platform: Platform, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """URDG 25(a)(ii): the amount is reduced on the dates the guarantee states. The scheduler records each step
        once, on its day (a restarted scheduler finds the key taken), before the expiry; the view and `tradeledger
        guarantees show` show the schedule, the current amount and what remains payable."""
        today = platform.chain_time() // DAY
        steps = [{"date": _date(today + 3), "amount": 2_000}, {"date": _date(today + 5), "amount": 3_000}]
        guarantee = _direct(platform, "urdg758", today + 8, reduction_schedule=steps)
        scheduler = platform.scheduler()
        assert scheduler.run_once() == 0

        _warp_to(platform, (today + 3) * DAY + 60)
        assert scheduler.run_once() == 1
        first = _all_runs(platform)[f"guarantee-reduce:{guarantee}:1"]
        assert first.due_at == (today + 3) * DAY
        assert platform.scheduler().run_once() == 0
        _settle(platform, [first])
        assert (_row(platform, guarantee).reduced, _row(platform, guarantee).reductions_recorded) == (2_000, 1)

        _warp_to(platform, (today + 9) * DAY + 60)  # the second step and the expiry are both due: the step first
        assert platform.scheduler().run_once() == 1
        _settle(platform, [_all_runs(platform)[f"guarantee-reduce:{guarantee}:2"]])
        assert _row(platform, guarantee).reductions_recorded == 2  # indexed
        view = service.guarantee_view(platform, BANK.address, MemberKind.BANK, guarantee)
        assert (view.amount, view.current_amount, view.outstanding) == ("10000", "5000", "5000")
        assert [(s.step, s.day, s.amount, s.recorded_at is not None) for s in view.reduction_schedule] == [
            (1, today + 3, "2000", True), (2, today + 5, "3000", True)
        ]  # fmt: skip
        assert platform.scheduler().run_once() == 1
        _settle(platform, [_all_runs(platform)[f"guarantee-expire:{guarantee}:{today + 8}"]])
        assert _row(platform, guarantee).state is UndertakingState.EXPIRED

        monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(settings.data_dir))
        monkeypatch.setattr(cli.console, "width", 400)
        shown = _table(_ok("guarantees", "show", str(guarantee)))
        fields = {cells[0]: cells[1] for cells in shown if len(cells) == 2}
        assert (fields["amount"], fields["current amount"]) == ("100.00 USD", "50.00 USD")
        steps = [cells for cells in shown if len(cells) == 4]
        assert [cells[:3] for cells in steps] == [
            ["1", f"{_date(today + 3)}", "20.00 USD"], ["2", f"{_date(today + 5)}", "30.00 USD"]
        ]  # fmt: skip

    def test_urdg_13_reduction_schedule_is_checked_before_the_chain(self) -> None:
        """URDG 13: steps in increasing dates, together no more than the amount; the API answers 422 first."""
        with pytest.raises(ValidationError, match="strictly increasing"):
            _request("urdg758", 20_000, reduction_schedule=[{"date": _date(19_995), "amount": 1},
                                                            {"date": _date(19_995), "amount": 1}])  # fmt: skip
        with pytest.raises(ValidationError, match="more than the amount"):
            _request("urdg758", 20_000, reduction_schedule=[{"date": _date(19_995), "amount": 10_001}])
