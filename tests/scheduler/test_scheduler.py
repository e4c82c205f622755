"""The scheduler on a real dev chain and database: a payment undertaking is settled on its due date (the chain's
clock decides), once and only once across restarts (a new Platform on the same data directory: same database,
same chain state), a run missed while the service was down is caught up when it starts again, and a settlement
that reverted on chain is retried after its back-off, once, and pays the order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.members import AGENT, BANK, OTHER_BANK, call, found, issue
from tradeledger import cli
from tradeledger.chain.keys import dev_account
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes
from tradeledger.config import Settings, load_settings
from tradeledger.errors import ContractRevertError, TradeLedgerError
from tradeledger.indexer.queries import event_argument
from tradeledger.operations import Pending
from tradeledger.orders.models import OrderState, PurchaseOrder
from tradeledger.runtime import Platform, open_platform
from tradeledger.scheduler.models import ScheduledRun
from tradeledger.scheduler.service import RETRY_BACKOFF_S, DueJob, attempt_key
from tradeledger.settlements.models import AccountBalance, LedgerPosting
from tradeledger.store.models import ChainTransaction, TxState
from tradeledger.undertakings.models import PaymentUndertaking, UndertakingState

BUYER, SELLER = dev_account(3), dev_account(4)
DAY = 24 * 3600
AMOUNT = 250_000
OPEN_ACCOUNT = 1


def _created(platform: Platform, mined: ChainTransaction, contract: str, event: str, argument: str) -> int:
    with platform.sessions() as db:
        return int(event_argument(db, mined, contract, event, argument))


def _accepted_order(platform: Platform) -> int:
    """BUYER's open-account order of AMOUNT from SELLER, accepted: its id."""
    now = platform.chain_time()
    args = (SELLER.address, AMOUNT, currency_bytes("USD"), os.urandom(32), now + 5 * DAY, OPEN_ACCOUNT, now + 30 * DAY)
    order_id = _created(
        platform, call(platform, "TradeOrders", "createOrder", args, BUYER.address), "TradeOrders", "OrderCreated",
        "orderId",
    )  # fmt: skip
    call(platform, "TradeOrders", "acceptOrder", (order_id,), SELLER.address)
    return order_id


def _undertaking(platform: Platform) -> tuple[int, int]:
    """BUYER orders from SELLER on open account; the invoice matches; BANK (the buyer's sponsor) undertakes to pay
    OTHER_BANK on a due date 10 days ahead. Returns (undertaking id, due date)."""
    now = platform.chain_time()
    order_id = _accepted_order(platform)
    data = (AMOUNT, 100, os.urandom(32), os.urandom(32), now)
    issued = call(platform, "Invoices", "issueInvoice", (order_id, data), SELLER.address)
    invoice_id = _created(platform, issued, "Invoices", "InvoiceIssued", "invoiceId")
    call(platform, "Invoices", "recordMatch", (invoice_id, True, os.urandom(32)), BUYER.address)
    due = now + 10 * DAY
    args = (order_id, OTHER_BANK.address, AMOUNT, due, now + 20 * DAY, os.urandom(32))
    established = call(platform, "PaymentUndertakings", "establish", args, BANK.address)
    return _created(platform, established, "PaymentUndertakings", "UndertakingEstablished", "undertakingId"), due


def _settlements(platform: Platform) -> int:
    """Open-account payments in the ledger (as indexed): obligor -> recipient and recipient -> seller."""
    platform.indexer.catch_up()
    with platform.sessions() as db:
        return int(
            db.scalar(
                select(func.count()).select_from(LedgerPosting).where(LedgerPosting.debit_account == BANK.address)
                .where(LedgerPosting.credit_account == OTHER_BANK.address)
            )
            or 0
        )  # fmt: skip


def _outbox(platform: Platform) -> int:
    with platform.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(ChainTransaction)) or 0)


def _runs(platform: Platform, key_prefix: str = "undertaking-settle:") -> list[ScheduledRun]:
    with platform.sessions() as db:
        return list(db.scalars(select(ScheduledRun).where(ScheduledRun.key.startswith(key_prefix))))


def _advance(platform: Platform, seconds: int) -> None:
    rpc = platform.transactions.rpc
    rpc.call("evm_increaseTime", [hex(seconds)])
    rpc.call("evm_mine", [])


@contextmanager
def _mining_stopped(platform: Platform) -> Iterator[None]:
    """Transactions wait in the node's pool until the block is over: those sent meanwhile mine together, in order."""
    rpc = platform.transactions.rpc
    rpc.call("evm_setAutomine", [False])
    rpc.call("evm_setIntervalMining", [0])
    try:
        yield
    finally:
        rpc.call("evm_setIntervalMining", [1])


def _balance(platform: Platform, account: str) -> int:
    """USD balance of `account` as indexed (every call of the tests is indexed before it returns)."""
    platform.indexer.catch_up()
    with platform.sessions() as db:
        row = db.get(AccountBalance, (account, "USD"))
        return 0 if row is None else row.balance


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=Path(tmp_path_factory.mktemp("scheduler")) / "data", _env_file=None)


@pytest.fixture(scope="module")
def undertaking(settings: Settings) -> Iterator[tuple[int, int]]:
    platform = open_platform(settings)
    try:
        found(platform, traders=(BUYER, SELLER))
        issue(platform, BANK, 10 * AMOUNT, "FUND-BANK", issuer=AGENT)
        yield _undertaking(platform)
    finally:
        platform.close()


class TestSchedulerAcrossRestarts:
    def test_nothing_is_due_before_the_chain_reaches_the_due_date(
        self, settings: Settings, undertaking: tuple[int, int]
    ) -> None:
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            assert platform.chain_time() < undertaking[1]
            assert platform.scheduler().run_once() == 0
            assert _runs(platform) == []
        finally:
            platform.close()

    def test_a_missed_due_date_is_caught_up_once_and_never_again(
        self, settings: Settings, undertaking: tuple[int, int]
    ) -> None:
        undertaking_id, due = undertaking
        platform = open_platform(settings, deploy_if_missing=False)
        try:  # the service is "down" while the chain passes the due date by two days
            rpc = platform.transactions.rpc
            rpc.call("evm_increaseTime", [hex(due - platform.chain_time() + 2 * DAY)])
            rpc.call("evm_mine", [])
            scheduler = platform.scheduler()
            assert scheduler.run_once() == 1
            assert scheduler.run_once() == 0  # submitted, not yet indexed: the key stops a second submission
            (run,) = _runs(platform)
            assert (run.key, run.due_at) == (f"undertaking-settle:{undertaking_id}", due)
            assert run.chain_time >= due + 2 * DAY
            platform.transactions.wait(run.transaction_id, timeout=60)
            assert _settlements(platform) == 1
        finally:
            platform.close()
        for _restart in range(2):  # restarts find the key and the settled undertaking: nothing more is sent
            platform = open_platform(settings, deploy_if_missing=False)
            try:
                assert platform.scheduler().run_once() == 0
                assert len(_runs(platform)) == 1
                assert _settlements(platform) == 1
                with platform.sessions() as db:
                    row = db.get(PaymentUndertaking, undertaking_id)
                    assert row is not None and row.state == UndertakingState.SETTLED
                    assert row.payment_entry_id is not None
            finally:
                platform.close()

    def test_two_schedulers_racing_on_one_key_submit_once(
        self, settings: Settings, undertaking: tuple[int, int]
    ) -> None:
        """A second scheduler whose check still saw the key free reaches the submission step: the key is the run's
        primary key, committed with the outbox row, so its call is refused and nothing of it is stored. The test
        brings its own key: it needs no other test's run."""
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            key = f"race:{os.urandom(8).hex()}"

            def transfer() -> ContractCall:
                return ContractCall(
                    "Settlement", platform.address("Settlement"), "transfer",
                    (OTHER_BANK.address, currency_bytes("USD"), 1, os.urandom(32)), BANK.address,
                )  # fmt: skip

            first, late = platform.scheduler(), platform.scheduler()
            assert first.submit_job("payment-undertakings", DueJob(key, 0, transfer()), now=0) is True
            outbox_before = _outbox(platform)
            assert late.submit_job("payment-undertakings", DueJob(key, 0, transfer()), now=0) is False
            assert _outbox(platform) == outbox_before
            (run,) = _runs(platform, key_prefix=key)
            platform.transactions.wait(run.transaction_id, timeout=60)
        finally:
            platform.close()


class TestRevertedJobRetry:
    def test_a_settlement_that_reverted_is_retried_after_its_back_off_and_pays_once(
        self, settings: Settings, undertaking: tuple[int, int]
    ) -> None:
        """The obligor's funds leave in the block that mines its settlement, after the pre-flight checked the call
        against the latest block: the settlement reverts. The scheduler waits out the back-off in chain time, then
        submits attempt 2 under its own key. Assertions name this test's key: the module's other undertaking may
        fall due too (its jobs are the other tests' business)."""
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            issue(platform, BANK, AMOUNT, f"FUND-RETRY-{os.urandom(4).hex()}", issuer=AGENT)
            undertaking_id, due = _undertaking(platform)
            _advance(platform, due - platform.chain_time() + 1)
            key = f"undertaking-settle:{undertaking_id}"
            scheduler = platform.scheduler()
            with platform.sessions() as db:
                (job,) = [job for job in platform.job_providers()[0].due(db, platform.chain_time()) if job.key == key]
            # the pre-flight learns settle's gas now (as after any earlier settlement): from then on it checks the
            # call with one eth_call on the latest block, which the drain below has not reached yet
            assert isinstance(platform.transactions.preflight.gas_limits([(job.call, job.call.calldata())])[0], int)
            drain = ContractCall(
                "Settlement", platform.address("Settlement"), "transfer",
                (OTHER_BANK.address, currency_bytes("USD"), _balance(platform, BANK.address), os.urandom(32)),
                BANK.address,
            )  # fmt: skip
            with _mining_stopped(platform):
                drained = platform.transactions.submit(drain)
                scheduler.run_once()  # BANK's settle takes the nonce after the drain's: it mines after it
                (first,) = _runs(platform, key)
            platform.transactions.wait(drained.id, timeout=60)
            with pytest.raises(TradeLedgerError):
                platform.transactions.wait(first.transaction_id, timeout=60)
            assert platform.transactions.get(first.transaction_id).state is TxState.REVERTED

            issue(platform, BANK, 3 * AMOUNT, f"REFUND-RETRY-{os.urandom(4).hex()}", issuer=AGENT)
            scheduler.run_once()
            assert [run.key for run in _runs(platform, key)] == [key]  # within the back-off (chain time)
            _advance(platform, RETRY_BACKOFF_S)
            scheduler.run_once()
            scheduler.run_once()  # attempt 2 in flight: no attempt 3
            assert sorted(run.key for run in _runs(platform, key)) == [key, attempt_key(key, 2)]
            retry = next(run for run in _runs(platform, key) if run.key == attempt_key(key, 2))
            platform.transactions.wait(retry.transaction_id, timeout=60)
            platform.indexer.catch_up()
            scheduler.run_once()  # settled: the provider lists it no more
            assert len(_runs(platform, key)) == 2
            with platform.sessions() as db:
                settled = db.get(PaymentUndertaking, undertaking_id)
                assert settled is not None and settled.state == UndertakingState.SETTLED
                order = db.get(PurchaseOrder, settled.order_id)
                assert order is not None and order.state == OrderState.PAID
                assert order.payment_entry_id == settled.payment_entry_id
        finally:
            platform.close()


class TestOpenAccountCli:
    """`tradeledger invoices list` and `tradeledger undertakings list` read the same database as tables."""

    @pytest.fixture(autouse=True)
    def data_dir(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(settings.data_dir))
        monkeypatch.setattr(cli.console, "width", 400)

    @staticmethod
    def _ok(*args: str) -> list[str]:
        result = CliRunner().invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    def _rows(self, *args: str) -> list[list[str]]:
        """The table's body rows as stripped cells."""
        return [[cell.strip() for cell in line.split("│")[1:-1]] for line in self._ok(*args) if line.count("│") > 2]

    def test_undertakings_list_shows_each_undertaking_with_its_terms_and_state(
        self, settings: Settings, undertaking: tuple[int, int]
    ) -> None:
        undertaking_id, due = undertaking
        (cells,) = [row for row in self._rows("undertakings", "list", "--account", SELLER.address)
                    if row[0] == str(undertaking_id)]  # fmt: skip
        due_day = f"{datetime.fromtimestamp(due, UTC):%Y-%m-%d}"
        assert cells[2:6] == [BANK.address, OTHER_BANK.address, "2500.00 USD", due_day]
        assert cells[7].split()[0] in ("ESTABLISHED", "SETTLED") and cells[8] == "seller"
        unrelated = self._rows("undertakings", "list", "--account", AGENT.address)
        assert str(undertaking_id) not in [row[0] for row in unrelated]

    def test_invoices_list_shows_the_matched_version(self, settings: Settings, undertaking: tuple[int, int]) -> None:
        (order_id,) = [
            cells[1]
            for cells in self._rows("undertakings", "list", "--account", BUYER.address)
            if cells[0] == str(undertaking[0])
        ]
        (invoice,) = [cells for cells in self._rows("invoices", "list", "--order", order_id) if cells[1] == order_id]
        assert (invoice[2], invoice[5], invoice[7]) == ("1", "2500.00 USD", "MATCHED")

    def test_an_unknown_state_is_refused_by_name(self) -> None:
        result = CliRunner().invoke(cli.app, ["undertakings", "list", "--state", "paid"])
        assert result.exit_code != 0 and "--state 'paid' is not one of established, settled, expired" in result.output


class TestUndertakingsCliWrites:
    """`tradeledger undertakings establish|discount`: the API's domain commands as a bank hosted here, a table of
    what the ledger holds afterwards, the same command again answering what the first run did, one-line refusals."""

    @pytest.fixture(autouse=True)
    def data_dir(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(settings.data_dir))
        monkeypatch.setattr(cli.console, "width", 400)

    @pytest.fixture
    def order(self, settings: Settings, undertaking: tuple[int, int]) -> tuple[int, date]:
        """A fresh accepted order and the chain's day."""
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            return _accepted_order(platform), datetime.fromtimestamp(platform.chain_time(), UTC).date()
        finally:
            platform.close()

    @staticmethod
    def _establish(order_id: int, today: date, *extra: str) -> Result:
        return CliRunner().invoke(cli.app, [
            "undertakings", "establish", "--as", BANK.address, "--order", str(order_id),
            "--recipient-bank", OTHER_BANK.address, "--amount", str(AMOUNT),
            "--due-date", (today + timedelta(days=10)).isoformat(), "--expiry", (today + timedelta(days=8)).isoformat(),
            "--terms", '{"rules": "URBPO 750", "cli": true}', *extra,
        ])  # fmt: skip

    @staticmethod
    def _cells(output: str) -> list[list[str]]:
        return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.count("│") > 2]

    def test_establish_shows_the_undertaking_and_again_the_same_one(
        self, settings: Settings, order: tuple[int, date]
    ) -> None:
        order_id, today = order
        first = self._establish(order_id, today)
        assert first.exit_code == 0, first.output
        (row,) = [cells for cells in self._cells(first.output) if cells[1] == str(order_id)]
        assert row[2:7] == [BANK.address, OTHER_BANK.address, "2500.00 USD", f"{today + timedelta(days=10)}",
                            f"{today + timedelta(days=8)}"]  # fmt: skip
        assert (row[7], row[8]) == ("ESTABLISHED", "seller")
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            sent = _outbox(platform)
            again = self._establish(order_id, today)
            assert again.exit_code == 0, again.output
            assert [cells[0] for cells in self._cells(again.output) if cells[1] == str(order_id)] == [row[0]]
            assert _outbox(platform) == sent  # nothing submitted the second time
        finally:
            platform.close()

    def test_discount_pays_the_seller_and_again_shows_it_done(
        self, settings: Settings, order: tuple[int, date]
    ) -> None:
        from tradeledger.documents import service as documents
        from tradeledger.documents.schemas import RegisterDocumentRequest
        from tradeledger.operations import Submission

        order_id, today = order
        established = self._establish(order_id, today)
        assert established.exit_code == 0, established.output
        (undertaking_id,) = [cells[0] for cells in self._cells(established.output) if cells[1] == str(order_id)]
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            issue(platform, OTHER_BANK, AMOUNT, f"FUND-CLI-{order_id}", issuer=AGENT)
            fields = {"seller_id": f"LEI-CLI-{order_id}", "buyer_id": "DE-HRB-1234",
                      "invoice_number": f"CLI-{order_id}", "issue_date": today.isoformat(), "amount": AMOUNT,
                      "currency": "USD"}  # fmt: skip
            request = RegisterDocumentRequest(kind="invoice", fields=fields, owner=SELLER.address, currency="USD",
                                              face_value=AMOUNT)  # fmt: skip
            document = documents.register(platform, OTHER_BANK.address, None, request, Submission())
            assert not isinstance(document, Pending)
            seller_before = _balance(platform, SELLER.address)
        finally:
            platform.close()
        args = ["undertakings", "discount", undertaking_id, "--as", OTHER_BANK.address, "--document",
                document.document_id, "--rate-bps", "500", "--reference", f"CLI-DISC-{order_id}"]  # fmt: skip
        done = CliRunner().invoke(cli.app, args)
        assert done.exit_code == 0, done.output
        price, undertaking_row = self._cells(done.output)
        days = int(price[3])
        discount = (2 * AMOUNT * 500 * days + 10_000 * 360) // (2 * 10_000 * 360)  # half up, to the cent
        assert price[:3] == ["2500.00 USD", "500 bps ACT/360", price[2]] and days in (9, 10)
        assert price[4:6] == [f"{discount / 100:.2f} USD", f"{(AMOUNT - discount) / 100:.2f} USD"]
        assert undertaking_row[8] == f"financier {OTHER_BANK.address}"
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            assert _balance(platform, SELLER.address) - seller_before == AMOUNT - discount
            sent = _outbox(platform)
            again = CliRunner().invoke(cli.app, args)
            assert again.exit_code == 0 and "discounted already" in again.output, again.output
            assert _outbox(platform) == sent
        finally:
            platform.close()

    def test_refusals_are_one_line_with_a_non_zero_exit(self, order: tuple[int, date]) -> None:
        order_id, today = order
        bad_date = self._establish(order_id, today, "--expiry", "2026-02-30")
        to_itself = self._establish(order_id, today, "--recipient-bank", BANK.address)
        unknown = CliRunner().invoke(cli.app, ["undertakings", "discount", "999999", "--as", OTHER_BANK.address,
                                               "--document", "1", "--rate-bps", "500", "--reference", "X"])  # fmt: skip
        for result, expected in (
            (bad_date, "--expiry: "),
            (to_itself, "[payment_undertakings_invalid_recipient]: PaymentUndertakings refused"),
            (unknown, "[payment_undertaking_not_found]: no payment undertaking 999999"),
        ):
            assert result.exit_code == 1, result.output
            assert len(result.output.strip().splitlines()) == 1 and expected in result.output, result.output
        assert "Traceback" not in bad_date.output


class TestNestedRevertDecoded:
    def test_a_settlement_the_ledger_refuses_names_settlements_error(
        self, settings: Settings, undertaking: tuple[int, int]
    ) -> None:
        """PaymentUndertakings.settle moves the money through Settlement.settleLeg; when the obligor's funds are short
        Settlement's own custom error bubbles up unchanged. The pre-flight names it from Settlement's ABI (not the
        called contract's, which does not declare it) and maps it to 409; nothing is stored or sent. Runs last in
        the module: the undertaking it leaves due is no other test's."""
        platform = open_platform(settings, deploy_if_missing=False)
        try:
            undertaking_id, due = _undertaking(platform)
            _advance(platform, due - platform.chain_time() + 1)
            held = _balance(platform, BANK.address)
            usd = currency_bytes("USD")
            call(platform, "Settlement", "transfer", (OTHER_BANK.address, usd, held, os.urandom(32)), BANK.address)
            outbox_before = _outbox(platform)
            try:
                settle = ContractCall("PaymentUndertakings", platform.address("PaymentUndertakings"), "settle",
                                      (undertaking_id,), BANK.address)  # fmt: skip
                with pytest.raises(ContractRevertError) as refused:
                    platform.transactions.submit(settle)
                error = refused.value
                assert (error.contract, error.code, error.http_status) == (
                    "Settlement", "settlement_insufficient_balance", 409,
                )  # fmt: skip
                assert (error.arguments["balance"], error.arguments["needed"]) == (0, AMOUNT)
                assert "custom error" not in str(error)
                assert _outbox(platform) == outbox_before
            finally:
                call(platform, "Settlement", "transfer", (BANK.address, usd, held, os.urandom(32)), OTHER_BANK.address)
        finally:
            platform.close()
