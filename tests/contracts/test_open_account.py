"""Invoices and PaymentUndertakings on the real contracts: invoice versions, the data-match anchor, the bank
payment undertaking (URBPO 750: irrevocable, amended by both banks, payable once the data match, lapsing only
without a match by expiry), its settlement legs and receivables discounting through the DocumentRegistry.
"""

from __future__ import annotations

import pytest

from tests.contracts.helpers import LETTER_OF_CREDIT, ORDER_STATES, POSTING_KINDS, USD, TransactionFailed, World
from tests.contracts.lc_support import BENEFICIARY, ISSUER, LC, open_credit, present
from tests.contracts.openaccount_support import (
    BUYER,
    DAY,
    FINANCIER,
    INVOICE_STATES,
    INVOICES,
    OBLIGOR,
    ORDER_AMOUNT,
    RECIPIENT,
    SELLER,
    UNDERTAKING_STATES,
    UNDERTAKINGS,
    establish,
    financed_invoice_document,
    invoice_data,
    issue_invoice,
    matched_undertaking,
    mismatched_invoice,
    open_account_order,
)
from tradeledger.settlements.models import PostingKind
from tradeledger.statements.entries import posting_reference


def _invoice_state(world: World, invoice_id: int) -> str:
    return INVOICE_STATES[world.call(INVOICES, "invoice", invoice_id)["state"]]


def _undertaking(world: World, undertaking_id: int) -> dict[str, object]:
    undertaking: dict[str, object] = world.call(UNDERTAKINGS, "undertaking", undertaking_id)
    return undertaking


def _balance(world: World, actor: str) -> int:
    value: int = world.call("Settlement", "balanceOf", world.address(actor), USD)
    return value


def _error(world: World, actor: str, contract: str, function: str, *args: object) -> str | None:
    error = world.error(actor, contract, function, *args)
    return None if error is None else error.name


class TestInvoices:
    def test_issueInvoice_records_the_matching_fields_and_links_the_order(self, world: World) -> None:
        order_id = open_account_order(world, steps=2)
        data = invoice_data(world, amount=99_500, quantity=995)
        receipt = world.tx(SELLER, INVOICES, "issueInvoice", order_id, data)
        invoice_id = receipt.event("InvoiceIssued")["invoiceId"]
        stored = world.call(INVOICES, "invoice", invoice_id)
        assert (stored["orderId"], stored["version"], stored["supersedes"]) == (order_id, 1, 0)
        assert (stored["buyer"], stored["seller"], stored["currency"]) == (
            world.address(BUYER),
            world.address(SELLER),
            USD,
        )
        assert (stored["amount"], stored["quantityTotal"], stored["invoiceHash"]) == (99_500, 995, data["invoiceHash"])
        assert world.call(INVOICES, "currentInvoiceOf", order_id) == invoice_id

    @pytest.mark.parametrize("steps", [0, 4])
    def test_issueInvoice_refused_before_acceptance_or_after_payment(self, world: World, steps: int) -> None:
        order_id = open_account_order(world, steps=min(steps, 3))
        if steps == 4:
            world.tx(BUYER, "TradeOrders", "payOrder", order_id)
        assert _error(world, SELLER, INVOICES, "issueInvoice", order_id, invoice_data(world)) == "InvoicesInvalidOrder"

    def test_issueInvoice_refused_for_a_letter_of_credit_order(self, world: World) -> None:
        now = world.chain.timestamp()
        receipt = world.tx(
            BUYER, "TradeOrders", "createOrder", world.address(SELLER), 1_000, USD, world.unique(), now + DAY,
            LETTER_OF_CREDIT, 0,
        )  # fmt: skip
        order_id = receipt.event("OrderCreated")["orderId"]
        world.tx(SELLER, "TradeOrders", "acceptOrder", order_id)
        assert _error(world, SELLER, INVOICES, "issueInvoice", order_id, invoice_data(world)) == "InvoicesInvalidOrder"

    def test_issueInvoice_refused_twice_for_one_order(self, world: World) -> None:
        order_id = open_account_order(world)
        issue_invoice(world, order_id)
        assert _error(world, SELLER, INVOICES, "issueInvoice", order_id, invoice_data(world)) == "InvoicesInvalidOrder"

    @pytest.mark.parametrize(
        "field, value",
        [("amount", 0), ("invoiceHash", b"\0" * 32), ("linesHash", b"\0" * 32), ("issueDate", "future")],
    )
    def test_issueInvoice_refuses_invalid_data(self, world: World, field: str, value: object) -> None:
        data = invoice_data(world)
        data[field] = world.chain.timestamp() + 2 * DAY if value == "future" else value
        order_id = open_account_order(world)
        assert _error(world, SELLER, INVOICES, "issueInvoice", order_id, data) == "InvoicesInvalidInvoice"

    def test_correctInvoice_supersedes_the_previous_version(self, world: World) -> None:
        invoice_id, _report = mismatched_invoice(world)
        order_id = world.call(INVOICES, "invoice", invoice_id)["orderId"]
        receipt = world.tx(SELLER, INVOICES, "correctInvoice", invoice_id, invoice_data(world, amount=ORDER_AMOUNT))
        successor = receipt.event("InvoiceIssued")
        assert receipt.event("InvoiceSuperseded") == {"invoiceId": invoice_id, "successorId": successor["invoiceId"]}
        assert [e.name for e in receipt.events] == ["InvoiceIssued", "InvoiceSuperseded"]
        assert (successor["version"], successor["supersedes"]) == (2, invoice_id)
        assert _invoice_state(world, invoice_id) == "SUPERSEDED"
        assert world.call(INVOICES, "currentInvoiceOf", order_id) == successor["invoiceId"]

    def test_correctInvoice_refused_once_the_data_matched(self, world: World) -> None:
        invoice_id = issue_invoice(world)
        world.tx(BUYER, INVOICES, "recordMatch", invoice_id, True, world.unique("report"))
        error = _error(world, SELLER, INVOICES, "correctInvoice", invoice_id, invoice_data(world))
        assert error == "InvoicesInvalidState"

    def test_acceptMismatch_needs_the_recorded_report(self, world: World) -> None:
        invoice_id, report = mismatched_invoice(world)
        assert _error(world, BUYER, INVOICES, "acceptMismatch", invoice_id, world.unique()) == "InvoicesInvalidReport"
        order_id = world.call(INVOICES, "invoice", invoice_id)["orderId"]
        assert world.call(INVOICES, "matchedAt", order_id) == 0
        receipt = world.tx(BUYER, INVOICES, "acceptMismatch", invoice_id, report)
        assert _invoice_state(world, invoice_id) == "ACCEPTED"
        assert world.call(INVOICES, "matchedAt", order_id) == receipt.event("InvoiceMismatchAccepted")["acceptedAt"]

    def test_recordMatch_refuses_a_zero_report_and_a_second_record(self, world: World) -> None:
        invoice_id = issue_invoice(world)
        assert _error(world, BUYER, INVOICES, "recordMatch", invoice_id, True, b"\0" * 32) == "InvoicesInvalidReport"
        world.tx(SELLER, INVOICES, "recordMatch", invoice_id, True, world.unique())
        error = _error(world, BUYER, INVOICES, "recordMatch", invoice_id, False, world.unique())
        assert error == "InvoicesInvalidState"


class TestEstablish:
    def test_establish_binds_the_buyers_sponsor_to_the_recipient_bank(self, world: World) -> None:
        order_id = open_account_order(world)
        undertaking_id = establish(world, order_id)
        stored = _undertaking(world, undertaking_id)
        assert UNDERTAKING_STATES[stored["state"]] == "ESTABLISHED"  # type: ignore[index]
        assert (stored["obligorBank"], stored["recipientBank"], stored["payee"]) == (
            world.address(OBLIGOR),
            world.address(RECIPIENT),
            world.address(SELLER),
        )
        assert world.call(UNDERTAKINGS, "undertakingOf", order_id) == undertaking_id

    @pytest.mark.parametrize("recipient", [OBLIGOR, SELLER, "suspended_bank", "auditor"])
    def test_establish_refuses_a_recipient_that_is_not_another_active_bank(self, world: World, recipient: str) -> None:
        now = world.chain.timestamp()
        args = (open_account_order(world), world.address(recipient), 1, now + DAY, now + DAY, world.unique())
        assert _error(world, OBLIGOR, UNDERTAKINGS, "establish", *args) == "PaymentUndertakingsInvalidRecipient"

    @pytest.mark.parametrize("amount, due_in, expiry_in", [(0, DAY, DAY), (1, -DAY, DAY), (1, DAY, -DAY)])
    def test_establish_refuses_invalid_terms(self, world: World, amount: int, due_in: int, expiry_in: int) -> None:
        now = world.chain.timestamp()
        args = (open_account_order(world), world.address(RECIPIENT), amount, now + due_in, now + expiry_in, b"t" * 32)
        assert _error(world, OBLIGOR, UNDERTAKINGS, "establish", *args) == "PaymentUndertakingsInvalidTerms"

    def test_establish_refuses_a_second_live_undertaking_but_not_after_expiry(self, world: World) -> None:
        order_id = open_account_order(world)
        first = establish(world, order_id)
        with pytest.raises(TransactionFailed, match="PaymentUndertakingsInvalidOrder"):
            establish(world, order_id)
        world.chain.increase_time(21 * DAY)
        world.tx(RECIPIENT, UNDERTAKINGS, "expire", first)
        assert establish(world, order_id) == first + 1


class TestAmendment:
    def test_amendment_changes_nothing_until_the_other_bank_consents(self, world: World) -> None:
        undertaking_id = establish(world)
        before = _undertaking(world, undertaking_id)
        now = world.chain.timestamp()
        world.tx(RECIPIENT, UNDERTAKINGS, "proposeAmendment", undertaking_id, 90_000, now + 45 * DAY, now + 40 * DAY)
        assert _undertaking(world, undertaking_id) == before
        assert _error(world, RECIPIENT, UNDERTAKINGS, "consentToAmendment", undertaking_id) == (
            "PaymentUndertakingsNoAmendmentToConsent"
        )
        world.tx(OBLIGOR, UNDERTAKINGS, "consentToAmendment", undertaking_id)
        after = _undertaking(world, undertaking_id)
        assert (after["amount"], after["dueDate"], after["expiry"], after["amendmentCount"]) == (
            90_000,
            now + 45 * DAY,
            now + 40 * DAY,
            1,
        )
        assert world.call(UNDERTAKINGS, "pendingAmendment", undertaking_id)["proposer"] == "0x" + "0" * 40

    def test_consent_refused_when_the_proposed_dates_have_passed(self, world: World) -> None:
        undertaking_id = establish(world)
        now = world.chain.timestamp()
        world.tx(OBLIGOR, UNDERTAKINGS, "proposeAmendment", undertaking_id, 1, now + DAY, now + DAY)
        world.chain.increase_time(2 * DAY)
        assert _error(world, RECIPIENT, UNDERTAKINGS, "consentToAmendment", undertaking_id) == (
            "PaymentUndertakingsInvalidTerms"
        )


class TestSettle:
    def test_settle_pays_obligor_to_recipient_to_seller_on_the_due_date(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        before = {actor: _balance(world, actor) for actor in (OBLIGOR, RECIPIENT, SELLER, BUYER)}
        assert _error(world, OBLIGOR, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsNotDue"
        world.chain.increase_time(30 * DAY)
        receipt = world.tx(OBLIGOR, UNDERTAKINGS, "settle", undertaking_id)
        after = {actor: _balance(world, actor) for actor in before}
        assert after[OBLIGOR] == before[OBLIGOR] - ORDER_AMOUNT
        assert after[RECIPIENT] == before[RECIPIENT]
        assert after[SELLER] == before[SELLER] + ORDER_AMOUNT
        assert after[BUYER] == before[BUYER]
        settled = receipt.event("UndertakingSettled")
        assert settled["payee"] == world.address(SELLER) and settled["creditEntryId"] == settled["paymentEntryId"] + 1
        assert UNDERTAKING_STATES[_undertaking(world, undertaking_id)["state"]] == "SETTLED"  # type: ignore[index]
        assert _error(world, RECIPIENT, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsInvalidState"

    def test_settle_marks_the_order_paid_so_it_cannot_be_paid_again(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        order_id = _undertaking(world, undertaking_id)["orderId"]
        world.chain.increase_time(30 * DAY)
        receipt = world.tx(OBLIGOR, UNDERTAKINGS, "settle", undertaking_id)
        block = int(receipt.raw["blockNumber"], 16)
        (paid,) = [e.args for e in world.logs(block) if e.name == "OrderPaidByUndertaking"]
        assert (paid["orderId"], paid["undertakingId"]) == (order_id, undertaking_id)
        assert paid["entryId"] == receipt.event("UndertakingSettled")["paymentEntryId"]
        assert ORDER_STATES[world.call("TradeOrders", "order", order_id)["state"]] == "PAID"
        seller_before = _balance(world, SELLER)
        assert _error(world, BUYER, "TradeOrders", "payOrder", order_id) == "TradeOrdersInvalidState"
        world.chain.increase_time(31 * DAY)  # past the order's own due date: the seller may not collect either
        assert _error(world, SELLER, "TradeOrders", "payOrder", order_id) == "TradeOrdersInvalidState"
        assert _balance(world, SELLER) == seller_before

    def test_payOrder_refused_while_a_live_undertaking_covers_the_order(self, world: World) -> None:
        """The order's payment belongs to its undertaking: a direct payment by the buyer (or the seller's collection
        after the order's due date) would leave the irrevocable undertaking unable to settle and unable to expire."""
        undertaking_id, _invoice = matched_undertaking(world)
        order_id = _undertaking(world, undertaking_id)["orderId"]
        assert world.call("TradeOrders", "coveringUndertakingOf", order_id) == undertaking_id
        error = world.error(BUYER, "TradeOrders", "payOrder", order_id)
        assert error is not None and (error.name, error.args) == (
            "TradeOrdersCoveredByUndertaking", (order_id, undertaking_id),
        )  # fmt: skip
        world.chain.increase_time(61 * DAY)  # past the order's own due date too
        assert _error(world, SELLER, "TradeOrders", "payOrder", order_id) == "TradeOrdersCoveredByUndertaking"
        buyer_before = _balance(world, BUYER)
        world.tx(OBLIGOR, UNDERTAKINGS, "settle", undertaking_id)  # the undertaking pays, once
        assert ORDER_STATES[world.call("TradeOrders", "order", order_id)["state"]] == "PAID"
        assert world.call("TradeOrders", "coveringUndertakingOf", order_id) == 0
        assert _balance(world, BUYER) == buyer_before

    def test_requestCancellation_refused_while_a_live_undertaking_covers_the_order(self, world: World) -> None:
        order_id = open_account_order(world)  # ACCEPTED: cancellable by consent, were it not covered
        undertaking_id = establish(world, order_id)
        error = world.error(BUYER, "TradeOrders", "requestCancellation", order_id)
        assert error is not None and (error.name, error.args) == (
            "TradeOrdersCoveredByUndertaking", (order_id, undertaking_id),
        )  # fmt: skip

    def test_expiry_releases_the_order_to_its_parties(self, world: World) -> None:
        """An undertaking that lapsed without a data match closes cleanly and the buyer may pay the order itself."""
        order_id = open_account_order(world, steps=3)
        undertaking_id = establish(world, order_id)
        world.chain.increase_time(21 * DAY)
        receipt = world.tx(RECIPIENT, UNDERTAKINGS, "expire", undertaking_id)
        block = int(receipt.raw["blockNumber"], 16)
        (released,) = [e.args for e in world.logs(block) if e.name == "OrderUndertakingReleased"]
        assert (released["orderId"], released["undertakingId"]) == (order_id, undertaking_id)
        assert world.call("TradeOrders", "coveringUndertakingOf", order_id) == 0
        world.tx(BUYER, "TradeOrders", "payOrder", order_id)
        assert ORDER_STATES[world.call("TradeOrders", "order", order_id)["state"]] == "PAID"

    def test_a_buyers_acceptance_alone_does_not_make_the_undertaking_payable(self, world: World) -> None:
        """URBPO 750: a data mismatch binds only the obligor bank that accepted it; the buyer's waiver is not that."""
        order_id = open_account_order(world, steps=3)
        undertaking_id = establish(world, order_id)
        invoice_id, report = mismatched_invoice(world, order_id)
        world.tx(BUYER, INVOICES, "acceptMismatch", invoice_id, report)
        world.chain.increase_time(31 * DAY)
        assert _error(world, OBLIGOR, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsDataNotMatched"

    def test_the_obligor_banks_acceptance_of_the_mismatch_makes_it_payable(self, world: World) -> None:
        order_id = open_account_order(world, steps=3)
        undertaking_id = establish(world, order_id)
        invoice_id, report = mismatched_invoice(world, order_id)
        for bank, error in (
            (RECIPIENT, "PaymentUndertakingsUnauthorized"),
            (FINANCIER, "PaymentUndertakingsUnauthorized"),
        ):
            assert _error(world, bank, UNDERTAKINGS, "acceptMismatch", undertaking_id, report) == error
        wrong = world.unique("other-report")
        assert _error(world, OBLIGOR, UNDERTAKINGS, "acceptMismatch", undertaking_id, wrong) == (
            "PaymentUndertakingsInvalidMismatch"
        )
        receipt = world.tx(OBLIGOR, UNDERTAKINGS, "acceptMismatch", undertaking_id, report)
        accepted = receipt.event("UndertakingMismatchAccepted")
        assert (accepted["invoiceId"], accepted["obligorBank"]) == (invoice_id, world.address(OBLIGOR))
        assert world.call(UNDERTAKINGS, "mismatchAcceptance", undertaking_id) == {
            "invoiceId": invoice_id,
            "acceptedAt": accepted["acceptedAt"],
        }
        assert _error(world, OBLIGOR, UNDERTAKINGS, "acceptMismatch", undertaking_id, report) == (
            "PaymentUndertakingsInvalidMismatch"
        )  # once
        assert _error(world, OBLIGOR, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsNotDue"
        world.chain.increase_time(30 * DAY)  # past the expiry too: an accepted mismatch never lapses
        assert _error(world, OBLIGOR, UNDERTAKINGS, "expire", undertaking_id) == "PaymentUndertakingsNotExpired"
        world.tx(RECIPIENT, UNDERTAKINGS, "settle", undertaking_id)
        assert UNDERTAKING_STATES[_undertaking(world, undertaking_id)["state"]] == "SETTLED"  # type: ignore[index]

    def test_mismatch_acceptance_is_refused_after_expiry_and_void_for_a_corrected_invoice(self, world: World) -> None:
        order_id = open_account_order(world, steps=3)
        undertaking_id = establish(world, order_id, due_in=30 * DAY, expiry_in=20 * DAY)
        invoice_id, report = mismatched_invoice(world, order_id)
        world.tx(OBLIGOR, UNDERTAKINGS, "acceptMismatch", undertaking_id, report)
        world.tx(SELLER, INVOICES, "correctInvoice", invoice_id, invoice_data(world))  # a new version: not accepted
        world.chain.increase_time(21 * DAY)
        late = _error(world, OBLIGOR, UNDERTAKINGS, "acceptMismatch", undertaking_id, report)
        assert late == "PaymentUndertakingsAcceptanceTooLate"
        world.chain.increase_time(10 * DAY)
        assert _error(world, OBLIGOR, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsDataNotMatched"
        world.tx(OBLIGOR, UNDERTAKINGS, "expire", undertaking_id)

    def test_settle_refused_without_a_data_match(self, world: World) -> None:
        order_id = open_account_order(world)
        undertaking_id = establish(world, order_id)
        mismatched_invoice(world, order_id)
        world.chain.increase_time(31 * DAY)
        assert _error(world, OBLIGOR, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsDataNotMatched"

    def test_a_match_after_expiry_neither_pays_nor_blocks_expiry(self, world: World) -> None:
        order_id = open_account_order(world)
        undertaking_id = establish(world, order_id, due_in=30 * DAY, expiry_in=20 * DAY)
        invoice_id = issue_invoice(world, order_id)
        world.chain.increase_time(25 * DAY)
        world.tx(BUYER, INVOICES, "recordMatch", invoice_id, True, world.unique())
        world.chain.increase_time(10 * DAY)
        assert _error(world, OBLIGOR, UNDERTAKINGS, "settle", undertaking_id) == "PaymentUndertakingsDataNotMatched"
        world.tx(OBLIGOR, UNDERTAKINGS, "expire", undertaking_id)
        assert UNDERTAKING_STATES[_undertaking(world, undertaking_id)["state"]] == "EXPIRED"  # type: ignore[index]

    def test_a_matched_undertaking_never_expires(self, world: World) -> None:
        """URBPO 750: once the data matched, the obligor bank's undertaking to pay does not lapse."""
        undertaking_id, _invoice = matched_undertaking(world)
        world.chain.increase_time(90 * DAY)
        assert _error(world, OBLIGOR, UNDERTAKINGS, "expire", undertaking_id) == "PaymentUndertakingsNotExpired"
        world.tx(RECIPIENT, UNDERTAKINGS, "settle", undertaking_id)

    def test_settle_refused_when_the_obligor_cannot_pay(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        balance = _balance(world, OBLIGOR)
        world.tx(OBLIGOR, "Settlement", "transfer", world.address(FINANCIER), USD, balance - 1, world.unique())
        world.chain.increase_time(30 * DAY)
        assert _error(world, RECIPIENT, UNDERTAKINGS, "settle", undertaking_id) == "SettlementInsufficientBalance"


class TestDiscounting:
    def test_assigned_proceeds_go_to_the_financier_at_maturity(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        seller_before = _balance(world, SELLER)
        document_id = financed_invoice_document(world, advance=98_500)
        assert _balance(world, SELLER) == seller_before + 98_500
        world.tx(FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, document_id)
        assert _error(world, FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, document_id) == (
            "PaymentUndertakingsInvalidFinancing"
        )
        financier_before = _balance(world, FINANCIER)
        world.chain.increase_time(30 * DAY)
        receipt = world.tx(OBLIGOR, UNDERTAKINGS, "settle", undertaking_id)
        assert _balance(world, FINANCIER) == financier_before + ORDER_AMOUNT
        assert _balance(world, SELLER) == seller_before + 98_500
        block = int(receipt.raw["blockNumber"], 16)
        posted = [e.args for e in world.logs(block) if e.name == "Posted"]
        assert [POSTING_KINDS[a["kind"]] for a in posted] == ["OPEN_ACCOUNT_PAYMENT", "FINANCING_REPAYMENT"]
        # the statements' references name the undertaking and the leg
        references = [posting_reference(PostingKind(a["kind"]), a["ref"]) for a in posted]
        assert references == [f"BPU{undertaking_id}-PAY", f"BPU{undertaking_id}-CREDIT"]

    def test_the_recipient_bank_as_financier_keeps_the_single_leg(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        document_id = financed_invoice_document(world, financier=RECIPIENT)
        world.tx(RECIPIENT, UNDERTAKINGS, "assignProceeds", undertaking_id, document_id)
        world.chain.increase_time(30 * DAY)
        settled = world.tx(RECIPIENT, UNDERTAKINGS, "settle", undertaking_id).event("UndertakingSettled")
        assert (settled["payee"], settled["creditEntryId"]) == (world.address(RECIPIENT), 0)

    def test_an_invoice_financed_once_cannot_be_financed_again(self, world: World) -> None:
        """The duplicate-financing rule: the same invoice fingerprints financed by a second bank are refused."""
        fingerprints = [world.unique("fp"), world.unique("fp")]
        ids = []
        for financier in (FINANCIER, RECIPIENT):
            receipt = world.tx(
                financier, "DocumentRegistry", "registerDocument", world.address(SELLER), 0, USD, ORDER_AMOUNT,
                fingerprints,
            )  # fmt: skip
            ids.append(receipt.event("DocumentRegistered")["documentId"])
        world.tx(FINANCIER, "DocumentRegistry", "finance", ids[0], 90_000, world.unique())
        error = world.error(RECIPIENT, "DocumentRegistry", "finance", ids[1], 90_000, world.unique())
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"
        assert error.args[1:] == (ids[0], world.address(FINANCIER))


class TestDuplicateFinancingAcrossPaths:
    """One invoice (one set of fingerprints) financed once anywhere: invoice financing, open-account discounting,
    or an LC bank financing the documents it was presented; the DocumentRegistry refuses every second financing."""

    @staticmethod
    def _register(world: World, financier: str, fingerprints: list[bytes]) -> int:
        receipt = world.tx(
            financier, "DocumentRegistry", "registerDocument", world.address(SELLER), 0, USD, ORDER_AMOUNT,
            fingerprints,
        )  # fmt: skip
        document_id: int = receipt.event("DocumentRegistered")["documentId"]
        return document_id

    def test_discounting_refused_for_an_invoice_already_financed(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        fingerprints = [world.unique("fp"), world.unique("fp")]
        first = self._register(world, RECIPIENT, fingerprints)  # invoice financing by the seller's bank
        world.tx(RECIPIENT, "DocumentRegistry", "finance", first, 90_000, world.unique())
        second = self._register(world, FINANCIER, fingerprints[1:])  # the same invoice, to discount the undertaking
        error = world.error(FINANCIER, "DocumentRegistry", "finance", second, 90_000, world.unique())
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"
        error = world.error(FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, second)
        assert error is not None and error.name == "PaymentUndertakingsInvalidFinancing"

    def test_invoice_financing_refused_after_discounting(self, world: World) -> None:
        undertaking_id, _invoice = matched_undertaking(world)
        fingerprints = [world.unique("fp"), world.unique("fp")]
        discounted = self._register(world, FINANCIER, fingerprints)
        world.tx(FINANCIER, "DocumentRegistry", "finance", discounted, 95_000, world.unique())
        world.tx(FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, discounted)
        again = self._register(world, RECIPIENT, fingerprints[:1])
        error = world.error(RECIPIENT, "DocumentRegistry", "finance", again, 50_000, world.unique())
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"
        assert error.args[1:] == (discounted, world.address(FINANCIER))

    def test_documents_presented_under_an_lc_are_financed_once_too(self, world: World) -> None:
        """The LC path: the presented invoice is flagged when presented again, and the registry refuses to
        finance it a second time whichever path financed it first."""
        lc_id = open_credit(world, "ISSUED")
        fingerprints = [world.unique("fp"), world.unique("fp")]
        present(world, lc_id, 1_000, documents=fingerprints)
        lc_financing = self._register(world, ISSUER, fingerprints)
        world.tx(ISSUER, "DocumentRegistry", "finance", lc_financing, 1_000, world.unique())
        undertaking_id, _invoice = matched_undertaking(world)
        discount = self._register(world, FINANCIER, fingerprints)
        error = world.error(FINANCIER, "DocumentRegistry", "finance", discount, 1_000, world.unique())
        assert error is not None and error.name == "DocumentRegistryAlreadyFinanced"
        assert world.error(FINANCIER, UNDERTAKINGS, "assignProceeds", undertaking_id, discount) is not None
        second_lc = open_credit(world, "ISSUED")
        receipt = world.tx(BENEFICIARY, LC, "present", second_lc, fingerprints, 1_000, world.chain.timestamp() - DAY)
        assert (
            len([e for e in world.logs(int(receipt.raw["blockNumber"], 16)) if e.name == "DocumentReuseFlagged"]) == 2
        )
