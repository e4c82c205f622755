"""The scheduler pays a letter of credit's deferred payment undertaking at maturity (UCP 600 Art 7a) on a real dev
chain and database, through the transaction manager, once and only once across restarts; the payment is a ledger
movement with the drawing's reference, followed by the applicant's reimbursement of the issuing bank.
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
from tradeledger.lcs.models import DeferredState, LcDeferredPayment
from tradeledger.runtime import Platform, open_platform
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.settlements.models import LedgerPosting, PostingKind

APPLICANT, BENEFICIARY = dev_account(3), dev_account(4)
DAY = 86_400
AMOUNT = 250_000
TENOR = 30
ZERO = "0x" + "00" * 20


@dataclass(frozen=True)
class Honoured:
    lc_id: int
    presentation_id: int
    maturity_day: int


def _deferred(platform: Platform, honoured: Honoured) -> LcDeferredPayment:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(LcDeferredPayment, (honoured.lc_id, honoured.presentation_id))
        assert row is not None
        db.expunge(row)
        return row


def _runs(platform: Platform) -> list[ScheduledRun]:
    with platform.sessions() as db:
        return list(db.scalars(select(ScheduledRun).where(ScheduledRun.key.startswith("lc-maturity:"))))


def _postings(platform: Platform, reference: str) -> list[tuple[PostingKind, str | None, str | None, int]]:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        rows = db.scalars(select(LedgerPosting).where(LedgerPosting.reference == reference))
        return [(p.kind, p.debit_account, p.credit_account, p.amount) for p in rows]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=Path(tmp_path_factory.mktemp("lc-maturity")) / "data", _env_file=None)


@pytest.fixture(scope="module")
def honoured(settings: Settings) -> Iterator[Honoured]:
    """A credit available with its issuing bank by deferred payment, TENOR days after presentation, honoured."""
    platform = open_platform(settings)
    try:
        found(platform, traders=(APPLICANT, BENEFICIARY))
        issue(platform, BANK, 10 * AMOUNT, "FUND-BANK", issuer=AGENT)
        issue(platform, APPLICANT, 10 * AMOUNT, "FUND-APPLICANT", issuer=BANK)
        now = platform.chain_time()
        terms = (
            b"\x01" * 32, BENEFICIARY.address, BANK.address, OTHER_BANK.address, ZERO, BANK.address, b"USD", AMOUNT,
            0, 0, 0, True, now + 90 * DAY, 0, 1, TENOR, 0,
        )  # fmt: skip
        tx_hash = call(platform, "LetterOfCredit", "applyForCredit", (terms,), APPLICANT.address)
        with platform.sessions() as db:
            lc_id = int(event_argument(db, tx_hash, "LetterOfCredit", "LetterOfCreditApplied", "lcId"))
        call(platform, "LetterOfCredit", "issue", (lc_id,), BANK.address)
        drawing = (lc_id, [b"\x02" * 32], AMOUNT, now - DAY)
        tx_hash = call(platform, "LetterOfCredit", "present", drawing, BENEFICIARY.address)
        with platform.sessions() as db:
            presentation_id = int(event_argument(db, tx_hash, "LetterOfCredit", "DocumentsPresented", "presentationId"))
        tx_hash = call(platform, "LetterOfCredit", "honour", (lc_id, presentation_id), BANK.address)
        with platform.sessions() as db:
            maturity = int(event_argument(db, tx_hash, "LetterOfCredit", "DeferredPaymentIncurred", "maturityDay"))
        yield Honoured(lc_id, presentation_id, maturity)
    finally:
        platform.close()


class TestLcMaturityBySchedule:
    def test_art_7a_deferred_payment_paid_at_maturity_once_across_restarts(
        self, settings: Settings, honoured: Honoured
    ) -> None:
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            assert platform.scheduler().run_once() == 0  # incurred, not matured: nothing moves
            assert _deferred(platform, honoured).state is DeferredState.INCURRED
            rpc = platform.transactions.rpc
            rpc.call("evm_setNextBlockTimestamp", [hex(honoured.maturity_day * DAY - 60)])
            rpc.call("evm_mine", [])
            assert platform.scheduler().run_once() == 0  # the day before maturity
            # the service is down while the chain passes the maturity day
            rpc.call("evm_setNextBlockTimestamp", [hex((honoured.maturity_day + 2) * DAY)])
            rpc.call("evm_mine", [])
            scheduler = platform.scheduler()
            assert scheduler.run_once() == 1
            (run,) = _runs(platform)
            assert (run.key, run.due_at) == (
                f"lc-maturity:{honoured.lc_id}:{honoured.presentation_id}",
                honoured.maturity_day * DAY,
            )
        finally:
            platform.close()  # stopped before the payment was indexed
        for _restart in range(2):  # the key (then the paid undertaking) stops any second payment
            platform = open_platform(settings, deploy_if_missing=False)
            try:
                assert platform.scheduler().run_once() == 0
                (run,) = _runs(platform)
                platform.transactions.wait(run.transaction_id, timeout=60)
                deferred = _deferred(platform, honoured)
                assert deferred.state is DeferredState.PAID and deferred.entry_id is not None
                reference = "0x" + ((honoured.lc_id << 128) | honoured.presentation_id).to_bytes(32, "big").hex()
                assert _postings(platform, reference) == [
                    (PostingKind.LC_HONOUR, BANK.address, BENEFICIARY.address, AMOUNT),
                    (PostingKind.LC_REIMBURSEMENT, APPLICANT.address, BANK.address, AMOUNT),
                ]
            finally:
                platform.close()
