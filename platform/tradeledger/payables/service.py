"""Payables finance commands and queries: the buyer approves, a bank finances at a discount, the buyer pays.

The discount is computed here to the minor unit (`tradeledger.undertakings.discount`, the arithmetic receivables
discounting uses) for the chain's day, and the contract recomputes it in the same transaction: an advance off by
one minor unit is refused. The financing itself goes through the DocumentRegistry, so a refused duplicate names
the prior financing as the document routes do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import InvalidValueError
from tradeledger.documents.service import name_prior_financing
from tradeledger.errors import ContractRevertError, NotFoundError
from tradeledger.invoices import service as invoices
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
from tradeledger.payables import repository
from tradeledger.payables.models import DayCountCode, PayableState
from tradeledger.payables.schemas import ApprovePayableRequest, FinancePayableRequest, PayableView
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import store_terms
from tradeledger.undertakings.discount import DayCount, Discount, days_to_maturity, discount
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "PayablesFinance"
APPROVE, FINANCE = "payables.approve", "payables.finance"  # the buyer commits to pay; a bank disburses: holdable
DAY_COUNT_CODES = {DayCount.ACT_360: DayCountCode.ACT_360, DayCount.ACT_365: DayCountCode.ACT_365}
DAY = 86_400


class PayableNotFoundError(NotFoundError):
    code = "payable_not_found"


def chain_day(platform: Platform) -> date:
    """The chain's UTC day: the value date of a financing made now (the contract counts days from its block's)."""
    return datetime.fromtimestamp(platform.chain_time(), UTC).date()


def maturity_seconds(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY


def list_payables(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, state: PayableState | None, after: int | None,
    limit: int,
) -> list[PayableView]:  # fmt: skip
    """Payables the viewer is buyer, supplier or financier of (a bank: also its clients'; an auditor: all)."""
    with platform.sessions() as db:
        rows = repository.payables(db, visible_accounts(db, viewer, viewer_kind), state, limit, after=after)
        return [PayableView.of(row) for row in rows]


def payable_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, payable_id: int) -> PayableView:
    """One payable the viewer may see (a hidden one answers 404 like a missing one)."""
    with platform.sessions() as db:
        row = repository.get(db, payable_id)
        if row is None or not can_see(db, viewer, viewer_kind, repository.parties(row)):
            raise PayableNotFoundError(f"no payable {payable_id}")
        return PayableView.of(row)


def approve(
    platform: Platform, buyer: str, buyer_kind: MemberKind | None, body: ApprovePayableRequest, submission: Submission
) -> PayableView | Pending | Held:
    """The buyer approves a payable for its matched invoice, irrevocably; its terms (this request) are kept off
    chain under the hash the contract records. Held for approval when a policy of the buyer's member covers it."""
    invoice = invoices.invoice_view(platform, buyer, buyer_kind, body.invoice_id)  # hidden: 404 before anything
    if body.currency != invoice.currency:
        raise InvalidValueError(f"currency {body.currency} is not the invoice's ({invoice.currency})")
    if body.maturity <= chain_day(platform):
        raise InvalidValueError(f"maturity {body.maturity.isoformat()} is not after today (UTC, the chain's clock)")
    held = approvals.hold(platform, submission, APPROVE, approvals.arguments(body), approvals.stated(body))
    if held is not None:
        return held
    with transaction(platform.sessions) as db:
        digest = store_terms(db, "payable", body.model_dump(mode="json"), buyer)
    arguments = (body.invoice_id, body.amount, maturity_seconds(body.maturity), bytes.fromhex(digest[2:]))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "approve", arguments, buyer)

    def created(row: ChainTransaction) -> PayableView:
        payable_id = created_id(platform, row, CONTRACT, "PayableApproved", "payableId")
        return payable_view(platform, buyer, buyer_kind, payable_id)

    return write_then_view(platform, call, submission, created)


def quote(payable: PayableView, body: FinancePayableRequest, value_date: date) -> Discount:
    """The discount on the payable's amount from `value_date` to its maturity day (no days left: none to finance)."""
    maturity = datetime.fromtimestamp(payable.maturity, UTC).date()
    if maturity <= value_date:
        raise InvalidValueError(f"payable {payable.payable_id} matures {maturity.isoformat()}: too late to finance")
    return discount(int(payable.amount), body.rate_bps, days_to_maturity(value_date, maturity), body.day_count)


def finance(
    platform: Platform, bank: str, bank_kind: MemberKind | None, payable_id: int, body: FinancePayableRequest,
    submission: Submission,
) -> PayableView | Pending | Held:  # fmt: skip
    """A bank pays the supplier early: the advance is computed here for the chain's day and checked by the contract,
    which finances the registered invoice in the DocumentRegistry in the same transaction (a duplicate is refused,
    naming the prior financing). Held for approval when a policy of the bank covers the advance."""
    payable = payable_view(platform, bank, bank_kind, payable_id)
    priced = quote(payable, body, chain_day(platform))
    target = approvals.arguments(body, payable_id=payable_id)
    held = approvals.hold(platform, submission, FINANCE, target, lambda _: (priced.advance, payable.currency))
    if held is not None:
        return held
    code = DAY_COUNT_CODES[body.day_count]
    arguments = (payable_id, body.document_id, body.rate_bps, int(code), priced.advance)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "finance", arguments, bank)
    try:
        return write_then_view(
            platform, call, submission, lambda _: payable_view(platform, bank, bank_kind, payable_id)
        )
    except ContractRevertError as error:
        with platform.sessions() as db:
            raise name_prior_financing(db, error) from None


def collect(
    platform: Platform, caller: str, caller_kind: MemberKind | None, payable_id: int, submission: Submission
) -> PayableView | Pending:
    """On or after maturity the buyer or the payee collects (the scheduler does it by itself): PAID, or OVERDUE
    when the buyer's balance is short. The contract refuses other callers and an early collection."""
    payable_view(platform, caller, caller_kind, payable_id)
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "collect", (payable_id,), caller)
    return write_then_view(
        platform, call, submission, lambda _: payable_view(platform, caller, caller_kind, payable_id)
    )


def _send_approve(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    return approve(platform, member, kind, approvals.body_of(request, ApprovePayableRequest), submission)


def _send_finance(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, FinancePayableRequest)
    return finance(platform, member, kind, int(request.target["payable_id"]), body, submission)


approvals.register(APPROVE, _send_approve)
approvals.register(FINANCE, _send_finance)
