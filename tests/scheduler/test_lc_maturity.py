"""The scheduler pays a letter of credit's deferred payment undertakings at maturity (UCP 600 Art 7a) on a real dev
chain and database, through the transaction manager, once and only once across restarts: the issuing bank's own
(then the applicant reimburses it), and a nominated bank's, which the issuing bank reimburses at maturity once it is
paid (Art 7c). The issuing bank's instance honours a nominated bank's undertaking unpaid after its maturity day
(Art 7a iii). Each payment is a ledger movement with the drawing's reference (the interbank leg with its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.members import AGENT, BANK, OTHER_BANK, call, found, issue
from tradeledger.chain.keys import dev_account
from tradeledger.config import Settings, load_settings
from tradeledger.indexer.queries import event_argument
from tradeledger.lcs.models import DeferredState, InterbankClaimState, LcDeferredPayment, LcInterbankClaim
from tradeledger.lcs.schedule import LcMaturityJobs
from tradeledger.runtime import Platform, open_platform
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.scheduler.service import Scheduler
from tradeledger.settlements.models import LedgerPosting, PostingKind

APPLICANT, BENEFICIARY = dev_account(3), dev_account(4)
DAY = 86_400
AMOUNT = 250_000
TENOR = 30
SHORT_TENOR = 10  # the defaulted undertaking matures first, before the others' timeline starts
ZERO = "0x" + "00" * 20


@dataclass(frozen=True)
class Honoured:
    lc_id: int
    presentation_id: int
    maturity_day: int


@dataclass(frozen=True)
class Credits:
    by_issuer: Honoured  # available with the issuing bank, which honoured by its undertaking
    by_nominee: Honoured  # available with OTHER_BANK, which honoured by its undertaking and forwarded the documents
    defaulted: Honoured  # likewise, SHORT_TENOR, but OTHER_BANK never pays it: the issuing bank honours (Art 7a)


def _reference(honoured: Honoured, interbank: bool = False) -> str:
    """LetterOfCredit.paymentReference / interbankReference."""
    value = (int(interbank) << 248) | (honoured.lc_id << 128) | honoured.presentation_id
    return "0x" + value.to_bytes(32, "big").hex()


def _deferred(platform: Platform, honoured: Honoured) -> LcDeferredPayment:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(LcDeferredPayment, (honoured.lc_id, honoured.presentation_id))
        assert row is not None
        db.expunge(row)
        return row


def _runs(platform: Platform) -> list[ScheduledRun]:
    with platform.sessions() as db:
        return list(
            db.scalars(select(ScheduledRun).where(ScheduledRun.key.startswith("lc-")).order_by(ScheduledRun.key))
        )


def _postings(platform: Platform, reference: str) -> list[tuple[PostingKind, str | None, str | None, int]]:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        rows = db.scalars(select(LedgerPosting).where(LedgerPosting.reference == reference))
        return [(p.kind, p.debit_account, p.credit_account, p.amount) for p in rows]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=Path(tmp_path_factory.mktemp("lc-maturity")) / "data", _env_file=None)


def _honoured(platform: Platform, nominee: str, now: int, tenor: int = TENOR) -> Honoured:
    """A credit available with `nominee` by deferred payment, `tenor` days after presentation, honoured by it."""
    terms = (
        b"\x01" * 32, BENEFICIARY.address, BANK.address, OTHER_BANK.address, ZERO, nominee, b"USD", AMOUNT,
        0, 0, 0, True, now + 90 * DAY, 0, 1, tenor, 0, False,
    )  # fmt: skip
    applied = call(platform, "LetterOfCredit", "applyForCredit", (terms,), APPLICANT.address)
    with platform.sessions() as db:
        lc_id = int(event_argument(db, applied, "LetterOfCredit", "LetterOfCreditApplied", "lcId"))
    call(platform, "LetterOfCredit", "issue", (lc_id,), BANK.address)
    call(platform, "LetterOfCredit", "advise", (lc_id,), OTHER_BANK.address)
    drawing = (lc_id, [b"\x02" * 32], AMOUNT, now - DAY)
    presented = call(platform, "LetterOfCredit", "present", drawing, BENEFICIARY.address)
    with platform.sessions() as db:
        presentation_id = int(event_argument(db, presented, "LetterOfCredit", "DocumentsPresented", "presentationId"))
    honoured = call(platform, "LetterOfCredit", "honour", (lc_id, presentation_id), nominee)
    with platform.sessions() as db:
        maturity = int(event_argument(db, honoured, "LetterOfCredit", "DeferredPaymentIncurred", "maturityDay"))
    return Honoured(lc_id, presentation_id, maturity)


@pytest.fixture(scope="module")
def deferred_credits(settings: Settings) -> Iterator[Credits]:
    platform = open_platform(settings)
    try:
        found(platform, traders=(APPLICANT, BENEFICIARY))
        issue(platform, BANK, 10 * AMOUNT, "FUND-BANK", issuer=AGENT)
        issue(platform, OTHER_BANK, 10 * AMOUNT, "FUND-OTHER-BANK", issuer=AGENT)
        issue(platform, APPLICANT, 10 * AMOUNT, "FUND-APPLICANT", issuer=BANK)
        now = platform.chain_time()
        yield Credits(
            _honoured(platform, BANK.address, now),
            _honoured(platform, OTHER_BANK.address, now),
            _honoured(platform, OTHER_BANK.address, now, SHORT_TENOR),
        )
    finally:
        platform.close()


class TestLcMaturityBySchedule:
    def test_art_7a_7c_deferred_payments_paid_and_reimbursed_at_maturity_once_across_restarts(
        self, settings: Settings, deferred_credits: Credits
    ) -> None:
        own, nominated = deferred_credits.by_issuer, deferred_credits.by_nominee
        maturity = max(own.maturity_day, nominated.maturity_day)
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            _issuing_banks_instance_honours_the_default(platform, deferred_credits.defaulted)
            assert platform.scheduler().run_once() == 0  # incurred, not matured: nothing moves
            assert _deferred(platform, own).state is DeferredState.INCURRED
            rpc = platform.transactions.rpc
            rpc.call("evm_setNextBlockTimestamp", [hex(min(own.maturity_day, nominated.maturity_day) * DAY - 60)])
            rpc.call("evm_mine", [])
            assert platform.scheduler().run_once() == 0  # the day before maturity
            # the service is down while the chain passes the maturity day
            rpc.call("evm_setNextBlockTimestamp", [hex((maturity + 2) * DAY)])
            rpc.call("evm_mine", [])
            scheduler = platform.scheduler()
            assert scheduler.run_once() == 2  # two payments; the reimbursement waits for the nominated bank's
            keys = {(run.key, run.due_at) for run in _runs(platform) if run.key.startswith("lc-maturity")}
            assert keys == {
                (f"lc-maturity:{own.lc_id}:{own.presentation_id}", own.maturity_day * DAY),
                (f"lc-maturity:{nominated.lc_id}:{nominated.presentation_id}", nominated.maturity_day * DAY),
            }
        finally:
            platform.close()  # stopped before the payments were indexed
        for reimbursements in (1, 0):  # the keys (then the paid undertakings) stop any second payment
            platform = open_platform(settings, deploy_if_missing=False)
            try:
                for run in _runs(platform):
                    platform.transactions.wait(run.transaction_id, timeout=60)
                platform.indexer.catch_up()
                # Art 7c: the nominated bank paid the beneficiary, so its reimbursement is due now
                assert platform.scheduler().run_once() == reimbursements
                for run in _runs(platform):
                    platform.transactions.wait(run.transaction_id, timeout=60)
                for honoured in (own, nominated):
                    deferred = _deferred(platform, honoured)
                    assert deferred.state is DeferredState.PAID and deferred.entry_id is not None
                assert _postings(platform, _reference(own)) == [
                    (PostingKind.LC_HONOUR, BANK.address, BENEFICIARY.address, AMOUNT),
                    (PostingKind.LC_REIMBURSEMENT, APPLICANT.address, BANK.address, AMOUNT),
                ]
                assert sorted(_postings(platform, _reference(nominated))) == sorted(
                    [
                        (PostingKind.LC_HONOUR, OTHER_BANK.address, BENEFICIARY.address, AMOUNT),
                        (PostingKind.LC_REIMBURSEMENT, APPLICANT.address, BANK.address, AMOUNT),
                    ]
                )
                assert _postings(platform, _reference(nominated, interbank=True)) == [
                    (PostingKind.LC_REIMBURSEMENT, BANK.address, OTHER_BANK.address, AMOUNT),
                ]
            finally:
                platform.close()


def _issuing_banks_instance_honours_the_default(platform: Platform, defaulted: Honoured) -> None:
    """Art 7a iii: the issuing bank's instance (hosting neither the nominated bank nor the beneficiary) honours the
    nominated bank's undertaking the day after its maturity day, once; the nominated bank's claim lapses."""
    issuers = Scheduler(
        platform.sessions,
        platform.chain_time,
        lambda call, on_stored: platform.transactions.submit(call, None, on_stored),
        [LcMaturityJobs(platform.address("LetterOfCredit"), lambda: {BANK.address})],
    )
    rpc = platform.transactions.rpc
    rpc.call("evm_setNextBlockTimestamp", [hex((defaulted.maturity_day + 1) * DAY - 60)])
    rpc.call("evm_mine", [])
    platform.indexer.catch_up()
    assert issuers.run_once() == 0  # still the maturity day: the nominated bank may pay
    rpc.call("evm_setNextBlockTimestamp", [hex((defaulted.maturity_day + 1) * DAY)])
    rpc.call("evm_mine", [])
    assert issuers.run_once() == 1
    (run,) = [run for run in _runs(platform) if run.key.startswith("lc-honour-default")]
    assert run.key == f"lc-honour-default:{defaulted.lc_id}:{defaulted.presentation_id}"
    platform.transactions.wait(run.transaction_id, timeout=60)
    assert _deferred(platform, defaulted).state is DeferredState.DEFAULTED
    with platform.sessions() as db:
        claim = db.get(LcInterbankClaim, (defaulted.lc_id, defaulted.presentation_id))
        assert claim is not None and claim.state is InterbankClaimState.LAPSED
    assert _postings(platform, _reference(defaulted)) == [
        (PostingKind.LC_HONOUR, BANK.address, BENEFICIARY.address, AMOUNT),
        (PostingKind.LC_REIMBURSEMENT, APPLICANT.address, BANK.address, AMOUNT),
    ]
    assert issuers.run_once() == 0
