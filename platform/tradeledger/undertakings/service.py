"""Bank payment undertakings: the ones their parties (both banks, both traders, the payee) may see."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.documents import service as documents
from tradeledger.documents.models import Document, DocumentKind, DocumentState
from tradeledger.documents.schemas import FinancingRequest
from tradeledger.errors import NotFoundError, TradeLedgerError
from tradeledger.invoices import repository as invoices
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, submit, write_then_view
from tradeledger.orders.service import end_of_day, visible_order
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import store_terms, terms_hash
from tradeledger.undertakings import repository
from tradeledger.undertakings.discount import Discount, days_to_maturity, discount
from tradeledger.undertakings.models import PaymentUndertaking, UndertakingState
from tradeledger.undertakings.schemas import DiscountRequest, DiscountView, EstablishRequest, PaymentUndertakingView
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform


class PaymentUndertakingNotFoundError(NotFoundError):
    code = "payment_undertaking_not_found"


def list_undertakings(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, state: UndertakingState | None,
    order_id: int | None, after: int | None, limit: int,
) -> list[PaymentUndertakingView]:  # fmt: skip
    """Undertakings the viewer is a party to (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        accounts = visible_accounts(db, viewer, viewer_kind)
        rows = repository.undertakings(db, accounts, state, limit, after=after, order_id=order_id)
        return [PaymentUndertakingView.of(row) for row in rows]


def undertaking_view(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, undertaking_id: int
) -> PaymentUndertakingView:
    """One undertaking the viewer may see (a hidden one answers 404 like a missing one)."""
    with platform.sessions() as db:
        row = repository.get(db, undertaking_id)
        if row is None or not can_see(db, viewer, viewer_kind, repository.parties(row)):
            raise PaymentUndertakingNotFoundError(f"no payment undertaking {undertaking_id}")
        return PaymentUndertakingView.of(row)


CONTRACT = "PaymentUndertakings"
NO_REPORT = b"\0" * 32


ESTABLISH = "undertakings.establish"  # the obligor bank commits itself: holdable (the undertaking's amount)
DISCOUNT = "undertakings.discount"  # the financier pays the seller early: holdable (the advance)
ACCEPT_MISMATCH = "undertakings.accept_mismatch"  # makes the undertaking payable: holdable (its amount)


def establish(
    platform: Platform, bank: str, bank_kind: MemberKind | None, request: EstablishRequest, submission: Submission
) -> PaymentUndertakingView | Pending | Held:
    """The buyer's bank undertakes to pay the recipient bank on the due date once the order's data match (URBPO
    750), its full terms kept off chain under their hash. An order the bank may not see is a 404 before anything is
    held or sent; the contract refuses any bank but the buyer's sponsor, an order not on open account or already
    covered by a live undertaking, and dates in the past. Held for approval above the member's policy
    (`undertakings.establish`: the amount in the order's currency)."""
    with platform.sessions() as db:
        currency = visible_order(db, bank, bank_kind, request.order_id).currency
    target = approvals.arguments(request)
    held = approvals.hold(platform, submission, ESTABLISH, target, lambda _: (request.amount, currency))
    if held is not None:
        return held
    with transaction(platform.sessions) as db:
        digest = store_terms(db, "payment_undertaking", request.terms, bank)
    arguments = (request.order_id, checksum(request.recipient_bank), request.amount, end_of_day(request.due_date),
                 end_of_day(request.expiry), bytes.fromhex(digest[2:]))  # fmt: skip
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "establish", arguments, bank)

    def created(row: ChainTransaction) -> PaymentUndertakingView:
        undertaking_id = created_id(platform, row, CONTRACT, "UndertakingEstablished", "undertakingId")
        return undertaking_view(platform, bank, bank_kind, undertaking_id)

    return write_then_view(platform, call, submission, created)


def established_already(
    platform: Platform, bank: str, bank_kind: MemberKind | None, request: EstablishRequest
) -> PaymentUndertakingView | None:
    """The live undertaking `bank` established with exactly these terms on the order, if any: a command repeated
    after its first run committed (the CLI has no Idempotency-Key) answers it instead of the contract's refusal of
    a second undertaking on the order."""
    with platform.sessions() as db:
        visible_order(db, bank, bank_kind, request.order_id)
        wanted = (bank, checksum(request.recipient_bank), request.amount, end_of_day(request.due_date),
                  end_of_day(request.expiry), terms_hash(request.terms))  # fmt: skip
        for row in repository.undertakings(db, {bank}, UndertakingState.ESTABLISHED, 2, order_id=request.order_id):
            if (row.obligor_bank, row.recipient_bank, row.amount, row.due_date, row.expiry, row.terms_hash) == wanted:
                return PaymentUndertakingView.of(row)
    return None


def _send_establish(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved undertaking: the same command, as the member that holds it (its policy applied already)."""
    member, kind = approvals.acting(platform, request)
    return establish(platform, member, kind, approvals.body_of(request, EstablishRequest), submission)


class DiscountRefusedError(TradeLedgerError):
    """The undertaking cannot be discounted against this document: checked before the financier pays anything,
    because the assignment of the proceeds (the second step) must not fail after the advance was paid."""

    code = "discount_refused"
    http_status = 409
    title = "Discount refused"


def _chain_day(platform: Platform) -> date:
    return datetime.fromtimestamp(platform.chain_time(), UTC).date()


def _discountable(
    db: Session, financier: str, financier_kind: MemberKind | None, undertaking_id: int, document_id: int
) -> tuple[PaymentUndertaking, Document]:
    """The undertaking and the document, if `financier` may discount the one against the other: it must see the
    document (it registered or financed it), which must be the seller's invoice in the undertaking's currency,
    registered, or already financed by it (a discount whose assignment did not happen yet: resumed). A member that
    may see neither gets the 404 of a missing undertaking."""
    row = repository.get(db, undertaking_id)
    try:
        document = documents.visible_document(db, financier, financier_kind, document_id)
    except documents.DocumentNotFoundError:
        if row is None or not can_see(db, financier, financier_kind, repository.parties(row)):
            raise PaymentUndertakingNotFoundError(f"no payment undertaking {undertaking_id}") from None
        raise
    if row is None or document.owner != row.seller:
        raise PaymentUndertakingNotFoundError(f"no payment undertaking {undertaking_id}")
    problems = []
    if row.state is not UndertakingState.ESTABLISHED:
        problems.append(f"the undertaking is {row.state.name}, not ESTABLISHED")
    if row.payee != row.seller:
        problems.append(f"its proceeds are assigned to {row.payee} already")
    if document.kind is not DocumentKind.INVOICE or document.currency != row.currency:
        problems.append(f"document {document_id} is not an invoice in {row.currency}")
    resumed = document.state is DocumentState.FINANCED and document.financier == financier
    if document.state is not DocumentState.REGISTERED and not resumed:
        problems.append(f"document {document_id} is {document.state.name}, not REGISTERED")
    if problems:
        raise DiscountRefusedError(f"payment undertaking {undertaking_id}: {'; '.join(problems)}")
    return row, document


def _priced(row: PaymentUndertaking, request: DiscountRequest, value_date: date) -> Discount:
    maturity = datetime.fromtimestamp(row.due_date, UTC).date()
    try:
        days = days_to_maturity(value_date, maturity)
    except ValueError as error:
        raise DiscountRefusedError(f"payment undertaking {row.undertaking_id}: {error}") from None
    return discount(row.amount, request.rate_bps, days, request.day_count)


def discount_undertaking(
    platform: Platform, financier: str, financier_kind: MemberKind | None, undertaking_id: int,
    request: DiscountRequest, submission: Submission,
) -> DiscountView | Pending | Held:  # fmt: skip
    """Receivables discounting: the financier pays the seller the undertaking's amount less the discount (today to
    the due date at the stated rate and day count) by financing the seller's invoice in the DocumentRegistry (the
    duplicate-financing guard: an invoice financed once is refused everywhere), then takes the undertaking's
    proceeds (`assignProceeds`): at maturity the obligor bank's payment goes on to the financier.

    Two transactions, the second once the first is mined; a retry after the first resumes with the second (the
    document is FINANCED by this financier already). Held for approval above the member's policy
    (`undertakings.discount`: the advance, in the undertaking's currency)."""
    with platform.sessions() as db:
        row, document = _discountable(db, financier, financier_kind, undertaking_id, request.document_id)
        value_date = _chain_day(platform)
        priced = _priced(row, request, value_date)
        financed = document.state is DocumentState.FINANCED
    target = approvals.arguments(request, undertaking_id=undertaking_id)
    held = approvals.hold(platform, submission, DISCOUNT, target, lambda _: (priced.advance, row.currency))
    if held is not None:
        return held
    if not financed:
        finance = FinancingRequest(amount=priced.advance, reference=request.reference)
        call = documents.step_call(platform.address(documents.CONTRACT), financier, request.document_id,
                                   documents.FINANCE_STEP, finance)  # fmt: skip
        paid = submit(platform, call, replace(submission, respond_async=False))
        if isinstance(paid, Pending):
            return paid
        submission = Submission(respond_async=submission.respond_async)  # the first step carried the request's hooks
    assign = ContractCall(CONTRACT, platform.address(CONTRACT), "assignProceeds", (undertaking_id, request.document_id),
                          financier)  # fmt: skip

    def discounted(_: ChainTransaction) -> DiscountView:
        view = undertaking_view(platform, financier, financier_kind, undertaking_id)
        with platform.sessions() as db:
            advance = documents.visible_document(db, financier, financier_kind, request.document_id).financed_amount
        return DiscountView(
            face=str(priced.face), rate_bps=priced.rate_bps, day_count=priced.day_count.value, value_date=value_date,
            days=priced.days, discount=str(priced.face - advance), advance=str(advance),
            document_id=str(request.document_id), undertaking=view,
        )  # fmt: skip

    return write_then_view(platform, assign, submission, discounted)


def _send_discount(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved discount: the same command, as the member that holds it (its policy applied already)."""
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, DiscountRequest)
    return discount_undertaking(platform, member, kind, int(request.target["undertaking_id"]), body, submission)


def accept_mismatch(
    platform: Platform, bank: str, bank_kind: MemberKind | None, undertaking_id: int, submission: Submission
) -> PaymentUndertakingView | Pending | Held:
    """The obligor bank accepts the data mismatch of the order's invoice in force, naming the report it read
    (URBPO 750: the obligor may accept a mismatch, and the undertaking then settles as if matched). The contract
    refuses anyone but the obligor bank and an invoice that is not mismatched. Held for approval above the member's
    policy (`undertakings.accept_mismatch`: the undertaking's amount): it makes the bank's undertaking payable."""
    seen = undertaking_view(platform, bank, bank_kind, undertaking_id)  # a hidden one is a 404 before anything
    measure = (int(seen.amount), seen.currency)
    target = approvals.arguments(undertaking_id=undertaking_id)
    held = approvals.hold(platform, submission, ACCEPT_MISMATCH, target, lambda _: measure)
    if held is not None:
        return held
    with platform.sessions() as db:
        row = repository.get(db, undertaking_id)
        invoice = None if row is None else invoices.current(db, row.order_id)
        report = None if invoice is None else invoice.match_report_hash
    arguments = (undertaking_id, NO_REPORT if report is None else bytes.fromhex(report[2:]))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "acceptMismatch", arguments, bank)
    return write_then_view(
        platform, call, submission, lambda _: undertaking_view(platform, bank, bank_kind, undertaking_id)
    )


def _send_acceptance(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved mismatch acceptance: the same command, as the member that holds it."""
    member, kind = approvals.acting(platform, request)
    return accept_mismatch(platform, member, kind, int(request.target["undertaking_id"]), submission)


approvals.register(ESTABLISH, _send_establish)
approvals.register(DISCOUNT, _send_discount)
approvals.register(ACCEPT_MISMATCH, _send_acceptance)
