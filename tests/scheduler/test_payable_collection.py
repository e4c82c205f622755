"""The scheduler collects a payable at maturity on a real dev chain and database: the buyer pays the financier once
and only once across restarts (a new Platform on the same data directory), and a buyer short of funds leaves the
payable OVERDUE, collected again a day of chain time later under a new run key once funded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.members import AGENT, BANK, call, found, issue
from tradeledger import cli
from tradeledger.chain.keys import dev_account
from tradeledger.codec import currency_bytes
from tradeledger.config import Settings, load_settings
from tradeledger.indexer.queries import event_argument
from tradeledger.payables.models import Payable, PayableState
from tradeledger.payables.schedule import OVERDUE_RETRY_S
from tradeledger.runtime import Platform, open_platform
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.settlements.models import AccountBalance, LedgerPosting
from tradeledger.store.models import ChainTransaction
from tradeledger.undertakings.discount import DayCount, days_to_maturity, discount

BUYER, SELLER = dev_account(3), dev_account(4)
DAY = 24 * 3600
AMOUNT = 300_000
OPEN_ACCOUNT = 1
INVOICE_KIND = 0


def _created(platform: Platform, mined: ChainTransaction, contract: str, event: str, argument: str) -> int:
    with platform.sessions() as db:
        return int(event_argument(db, mined, contract, event, argument))


def _financed_payable(platform: Platform, maturity_days: int) -> tuple[int, int]:
    """BUYER's matched invoice from SELLER, approved as a payable maturing in `maturity_days` days and financed by
    BANK at 5% ACT/365. Returns (payable id, maturity)."""
    now = platform.chain_time()
    args = (SELLER.address, AMOUNT, currency_bytes("USD"), os.urandom(32), now + 5 * DAY, OPEN_ACCOUNT, now + 30 * DAY)
    order_id = _created(
        platform, call(platform, "TradeOrders", "createOrder", args, BUYER.address), "TradeOrders", "OrderCreated",
        "orderId",
    )  # fmt: skip
    call(platform, "TradeOrders", "acceptOrder", (order_id,), SELLER.address)
    data = (AMOUNT, 100, os.urandom(32), os.urandom(32), now)
    invoice_id = _created(
        platform, call(platform, "Invoices", "issueInvoice", (order_id, data), SELLER.address), "Invoices",
        "InvoiceIssued", "invoiceId",
    )  # fmt: skip
    call(platform, "Invoices", "recordMatch", (invoice_id, True, os.urandom(32)), BUYER.address)
    maturity = (now // DAY + maturity_days) * DAY
    approved = call(
        platform, "PayablesFinance", "approve", (invoice_id, AMOUNT, maturity, os.urandom(32)), BUYER.address
    )
    payable_id = _created(platform, approved, "PayablesFinance", "PayableApproved", "payableId")
    registered = call(
        platform, "DocumentRegistry", "registerDocument",
        (SELLER.address, INVOICE_KIND, currency_bytes("USD"), AMOUNT, [os.urandom(32)]), BANK.address,
    )  # fmt: skip
    document_id = _created(platform, registered, "DocumentRegistry", "DocumentRegistered", "documentId")
    today = datetime.fromtimestamp(platform.chain_time(), UTC).date()
    days = days_to_maturity(today, datetime.fromtimestamp(maturity, UTC).date())
    advance = discount(AMOUNT, 500, days, DayCount.ACT_365).advance
    call(platform, "PayablesFinance", "finance", (payable_id, document_id, 500, 1, advance), BANK.address)
    return payable_id, maturity


def _repayments(platform: Platform) -> int:
    """The buyer's payments to the financier in the ledger (as indexed)."""
    platform.indexer.catch_up()
    with platform.sessions() as db:
        query = select(func.count()).select_from(LedgerPosting).where(LedgerPosting.debit_account == BUYER.address)
        return int(db.scalar(query.where(LedgerPosting.credit_account == BANK.address)) or 0)


def _runs(platform: Platform, payable_id: int) -> list[ScheduledRun]:
    with platform.sessions() as db:
        query = select(ScheduledRun).where(ScheduledRun.key.startswith(f"payable-collect:{payable_id}"))
        return list(db.scalars(query.order_by(ScheduledRun.chain_time)))


def _state(platform: Platform, payable_id: int) -> PayableState:
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(Payable, payable_id)
        assert row is not None
        return row.state


def _advance_to(platform: Platform, timestamp: int) -> None:
    rpc = platform.transactions.rpc
    rpc.call("evm_increaseTime", [hex(max(timestamp - platform.chain_time(), 1))])
    rpc.call("evm_mine", [])


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=Path(tmp_path_factory.mktemp("payables")) / "data", _env_file=None)


@pytest.fixture(scope="module")
def founded(settings: Settings) -> Iterator[None]:
    platform = open_platform(settings)
    try:
        found(platform, traders=(BUYER, SELLER))
        issue(platform, BANK, 10 * AMOUNT, "FUND-BANK", issuer=AGENT)
        yield
    finally:
        platform.close()


class TestCollectionAtMaturity:
    def test_collected_once_and_only_once_across_restarts(self, settings: Settings, founded: None) -> None:
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            issue(platform, BUYER, AMOUNT, "FUND-BUYER-1", issuer=BANK)
            payable_id, maturity = _financed_payable(platform, 20)
            assert platform.scheduler().run_once() == 0  # not due before the chain reaches the maturity day
            before = _repayments(platform)
            _advance_to(platform, maturity + 3 * DAY)  # the service was down over the maturity day
            scheduler = platform.scheduler()
            assert scheduler.run_once() == 1
            assert scheduler.run_once() == 0  # submitted, not yet indexed: the key stops a second submission
            (run,) = _runs(platform, payable_id)
            assert (run.key, run.due_at) == (f"payable-collect:{payable_id}", maturity)
            platform.transactions.wait(run.transaction_id, timeout=60)
            assert _repayments(platform) == before + 1 and _state(platform, payable_id) is PayableState.PAID
        finally:
            platform.close()
        for _restart in range(2):
            platform = open_platform(settings, deploy_if_missing=False)
            try:
                assert platform.scheduler().run_once() == 0
                assert len(_runs(platform, payable_id)) == 1 and _repayments(platform) == before + 1
            finally:
                platform.close()

    def test_short_buyer_overdue_then_collected_a_day_later(self, settings: Settings, founded: None) -> None:
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            payable_id, maturity = _financed_payable(platform, 10)
            _advance_to(platform, maturity + 1)
            short = _balance_of_buyer(platform)
            if short >= AMOUNT:  # spend what earlier tests left: the buyer must be short at maturity
                call(
                    platform, "Settlement", "transfer",
                    (SELLER.address, currency_bytes("USD"), short - AMOUNT + 1, os.urandom(32)), BUYER.address,
                )  # fmt: skip
            scheduler = platform.scheduler()
            assert scheduler.run_once() == 1
            (first,) = _runs(platform, payable_id)
            platform.transactions.wait(first.transaction_id, timeout=60)
            assert _state(platform, payable_id) is PayableState.OVERDUE
            assert scheduler.run_once() == 0  # the retry waits a day of chain time
            issue(platform, BUYER, AMOUNT, "FUND-BUYER-2", issuer=BANK)
            with platform.sessions() as db:
                row = db.get(Payable, payable_id)
                assert row is not None and row.overdue_at is not None
                overdue_at = row.overdue_at
            _advance_to(platform, overdue_at + OVERDUE_RETRY_S)
            assert scheduler.run_once() == 1
            runs = _runs(platform, payable_id)
            assert [run.key for run in runs] == [
                f"payable-collect:{payable_id}",
                f"payable-collect:{payable_id}@{overdue_at}",
            ]
            platform.transactions.wait(runs[-1].transaction_id, timeout=60)
            assert _state(platform, payable_id) is PayableState.PAID
            assert scheduler.run_once() == 0
        finally:
            platform.close()


class TestPayablesCli:
    """`tradeledger payables list` reads the same database as a table."""

    @pytest.fixture(autouse=True)
    def data_dir(self, settings: Settings, founded: None, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(settings.data_dir))
        monkeypatch.setattr(cli.console, "width", 400)

    @staticmethod
    def _rows(*args: str) -> list[list[str]]:
        result = CliRunner().invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return [
            [cell.strip() for cell in line.split("│")[1:-1]]
            for line in result.output.splitlines()
            if line.count("│") > 2
        ]

    def test_payables_list_shows_the_financier_and_advance(self, settings: Settings) -> None:
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            payable_id, maturity = _financed_payable(platform, 40)
            with platform.sessions() as db:
                row = db.get(Payable, payable_id)
                assert row is not None and row.advance is not None
                advance = row.advance
        finally:
            platform.close()
        (cells,) = [
            row for row in self._rows("payables", "list", "--account", SELLER.address) if row[0] == str(payable_id)
        ]
        maturity_day = f"{datetime.fromtimestamp(maturity, UTC):%Y-%m-%d}"
        assert cells[2:8] == [BUYER.address, SELLER.address, "3000.00 USD", maturity_day, "FINANCED", BANK.address]
        assert cells[8] == f"{advance // 100}.{advance % 100:02d} USD"
        assert str(payable_id) not in [row[0] for row in self._rows("payables", "list", "--state", "paid")]
        assert str(payable_id) not in [row[0] for row in self._rows("payables", "list", "--account", AGENT.address)]

    def test_an_unknown_state_is_refused_by_name(self) -> None:
        result = CliRunner().invoke(cli.app, ["payables", "list", "--state", "settled"])
        assert result.exit_code != 0 and "--state 'settled' is not one of approved, financed, overdue, paid" in (
            result.output
        )


def _balance_of_buyer(platform: Platform) -> int:
    """The buyer's USD balance as indexed."""
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(AccountBalance, (BUYER.address, "USD"))
        return 0 if row is None else row.balance
