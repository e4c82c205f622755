"""Settlement operations: owner transfers between accounts, and balances from the read model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum, role_id
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes, reference_text
from tradeledger.errors import NotFoundError
from tradeledger.members import repository as members_repository
from tradeledger.members.access import can_see, can_see_account, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import (
    Pending,
    Submission,
    Written,
    created_id,
    submit,
    submit_settled,
    write_then_view,
)
from tradeledger.settlements import repository
from tradeledger.settlements.models import ExternalPayment, ExternalRail
from tradeledger.settlements.schemas import (
    AccountBalances,
    Balance,
    CashMovementRequest,
    ExternalPaymentRequest,
    ExternalPaymentView,
    TransferRequest,
)
from tradeledger.store.models import ChainTransaction
from tradeledger.store.reads import Rows
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "Settlement"

SETTLEMENT_AGENT_ROLE = "0x" + role_id("SETTLEMENT_AGENT_ROLE").hex()


class AccountNotFoundError(NotFoundError):
    code = "account_not_found"


class ExternalPaymentNotFoundError(NotFoundError):
    code = "external_payment_not_found"


def transfer_call(settlement: str, sender: str, request: TransferRequest) -> ContractCall:
    """The Settlement.transfer call moving the sender's own money."""
    return ContractCall(
        CONTRACT,
        settlement,
        "transfer",
        (checksum(request.to), currency_bytes(request.currency), request.amount, reference_bytes(request.reference)),
        sender,
    )


def visible_account(db: Session, viewer: str, viewer_kind: MemberKind | None, account: str) -> str:
    """The checksummed account (0x and 40 hex digits) if the viewer may see it; others answer exactly like
    unknown accounts."""
    address = checksum(account)
    if not (can_see_account(db, viewer, viewer_kind, address) or _serves_bank(db, viewer, address)):
        raise AccountNotFoundError(f"no account {account}")
    return address


def balance_rows(account: str) -> Rows:
    """The account's (currency, balance, last_entry_id) rows, in no particular order: the part of the balance read
    that does not depend on who asks, read in one statement with the caller's check (api.auth.Reader)."""
    return Rows(repository.BALANCES_OF, {"account": checksum(account)})


def balances(
    db: Session, viewer: str, viewer_kind: MemberKind | None, rows: Sequence[tuple[Any, ...]], account: str
) -> AccountBalances:
    """An account's balances per currency, in exact minor units, from its `balance_rows` once the caller is checked
    (404 for an account the viewer may not see: the rows are then dropped unseen)."""
    visible_account(db, viewer, viewer_kind, account)
    return AccountBalances(
        account=account,
        balances=[
            Balance(currency=currency, amount=str(amount), last_entry_id=str(last_entry_id))
            for currency, amount, last_entry_id in sorted(rows)
        ],
    )


def _serves_bank(db: Session, viewer: str, account: str) -> bool:
    """Whether the viewer is the settlement agent and the account a bank's: Settlement lets the agent issue to
    and redeem from banks' accounts (and no other), so it sees their balances and moves their cash, nothing more
    of theirs. Suspended banks included: the contract refuses an issue to them, not a redemption."""
    member = members_repository.get(db, account)
    return (
        member is not None
        and member.kind is MemberKind.BANK
        and members_repository.holds_role(db, "Settlement", SETTLEMENT_AGENT_ROLE, viewer)
    )


def rail_reference_bytes(reference: str) -> bytes:
    """A UETR (UUID) fits bytes32 as its 32 hex digits; other rail references as text."""
    compact = reference.replace("-", "")
    if len(reference) == 36 and len(compact) == 32 and all(c in "0123456789abcdefABCDEF" for c in compact):
        return compact.lower().encode("ascii")
    return reference_bytes(reference, "rail_reference")


def external_payment_call(settlement: str, payer: str, request: ExternalPaymentRequest) -> ContractCall:
    args = (
        checksum(request.payee),
        currency_bytes(request.currency),
        request.amount,
        int(ExternalRail[request.rail.upper()]),
        rail_reference_bytes(request.rail_reference),
        reference_bytes(request.reference),
    )
    return ContractCall(CONTRACT, settlement, "recordExternalPayment", args, payer)


EXTERNAL_PAYMENT_STEPS = {"confirm": "confirmExternalPayment", "reject": "rejectExternalPayment"}


def external_payment_step_call(settlement: str, payee: str, payment_id: int, step: str) -> ContractCall:
    return ContractCall(CONTRACT, settlement, EXTERNAL_PAYMENT_STEPS[step], (payment_id,), payee)


def visible_external_payment(
    db: Session, viewer: str, viewer_kind: MemberKind | None, payment_id: int
) -> ExternalPayment:
    payment = repository.external_payment(db, payment_id)
    if payment is None or not can_see(db, viewer, viewer_kind, [payment.payer, payment.payee]):
        raise ExternalPaymentNotFoundError(f"no external payment {payment_id}")
    return payment


def external_payment_view(payment: ExternalPayment) -> ExternalPaymentView:
    return ExternalPaymentView(
        payment_id=str(payment.payment_id),
        payer=payment.payer,
        payee=payment.payee,
        currency=payment.currency,
        amount=str(payment.amount),
        rail=payment.rail.name.lower(),
        rail_reference=reference_text(payment.rail_reference),
        reference=reference_text(payment.reference),
        state=payment.state.name,
        tx_hash=payment.tx_hash,
        block_number=payment.block_number,
    )


def list_external_payments(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[ExternalPaymentView]:
    with platform.sessions() as db:
        payments = repository.external_payments(db, visible_accounts(db, viewer, viewer_kind), after, limit)
        return [external_payment_view(payment) for payment in payments]


CASH_FUNCTIONS = {"deposits": "issue", "withdrawals": "redeem"}


def cash_call(settlement: str, issuer: str, account: str, movement: str, request: CashMovementRequest) -> ContractCall:
    """Settlement.issue / redeem: the settlement agent for banks, the sponsor bank for its traders."""
    args = (checksum(account), currency_bytes(request.currency), request.amount, reference_bytes(request.reference))
    return ContractCall(CONTRACT, settlement, CASH_FUNCTIONS[movement], args, issuer)


TRANSFER, EXTERNAL_PAYMENT = "settlements.transfer", "settlements.external_payment"
CASH_OPERATIONS = {"deposits": "settlements.deposit", "withdrawals": "settlements.withdrawal"}


def transfer(platform: Platform, sender: str, request: TransferRequest, submission: Submission) -> Written | Held:
    """The sender moves its own money to another member's account (held for approval when a policy of the
    submitter's member covers it: `settlements.transfer`, its amount)."""
    held = approvals.hold(platform, submission, TRANSFER, approvals.arguments(request), approvals.stated(request))
    if held is not None:
        return held
    return submit(platform, transfer_call(platform.address(CONTRACT), sender, request), submission)


async def transfer_settled(
    platform: Platform, sender: str, request: TransferRequest, submission: Submission
) -> Written | Held:
    """`transfer`, its read-your-writes wait on the caller's event loop (`operations.submit_settled`)."""
    return await submit_settled(platform, lambda submits: transfer(platform, sender, request, submits), submission)


def move_cash(
    platform: Platform,
    issuer: str,
    issuer_kind: MemberKind | None,
    account: str,
    movement: str,
    request: CashMovementRequest,
    submission: Submission,
) -> Written | Held:
    """A deposit or withdrawal of fiat moved off chain, on an account the issuer may see (held for approval when
    a policy of the submitter's member covers it: `settlements.deposit` / `.withdrawal`, its amount)."""
    with platform.sessions() as db:
        address = visible_account(db, issuer, issuer_kind, account)
    target = approvals.arguments(request, account=address, movement=movement)
    held = approvals.hold(platform, submission, CASH_OPERATIONS[movement], target, approvals.stated(request))
    if held is not None:
        return held
    return submit(platform, cash_call(platform.address(CONTRACT), issuer, address, movement, request), submission)


def payment_view(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, payment_id: int
) -> ExternalPaymentView:
    """One external payment the viewer may see."""
    with platform.sessions() as db:
        return external_payment_view(visible_external_payment(db, viewer, viewer_kind, payment_id))


def record_external_payment(
    platform: Platform,
    payer: str,
    payer_kind: MemberKind | None,
    request: ExternalPaymentRequest,
    submission: Submission,
) -> ExternalPaymentView | Pending | Held:
    """The payer records a payment made on an outside rail, read back once indexed (held for approval when a
    policy of the submitter's member covers it: `settlements.external_payment`, its amount)."""
    target = approvals.arguments(request)
    held = approvals.hold(platform, submission, EXTERNAL_PAYMENT, target, approvals.stated(request))
    if held is not None:
        return held
    call = external_payment_call(platform.address(CONTRACT), payer, request)

    def created(row: ChainTransaction) -> ExternalPaymentView:
        payment_id = created_id(platform, row, CONTRACT, "ExternalPaymentRecorded", "paymentId")
        return payment_view(platform, payer, payer_kind, payment_id)

    return write_then_view(platform, call, submission, created)


def external_payment_step(
    platform: Platform,
    payee: str,
    payee_kind: MemberKind | None,
    payment_id: int,
    step: str,
    submission: Submission,
) -> ExternalPaymentView | Pending:
    """The payee confirms or rejects an external payment it may see."""
    payment_view(platform, payee, payee_kind, payment_id)
    call = external_payment_step_call(platform.address(CONTRACT), payee, payment_id, step)
    return write_then_view(platform, call, submission, lambda _: payment_view(platform, payee, payee_kind, payment_id))


def _send_transfer(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved transfer: the same command, as the member that holds it (its policy applied already)."""
    return transfer(platform, request.member, approvals.body_of(request, TransferRequest), submission)


def _send_cash(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, CashMovementRequest)
    return move_cash(platform, member, kind, request.target["account"], request.target["movement"], body, submission)


def _send_external_payment(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    member, kind = approvals.acting(platform, request)
    return record_external_payment(platform, member, kind, approvals.body_of(request, ExternalPaymentRequest),
                                   submission)  # fmt: skip


approvals.register(TRANSFER, _send_transfer)
for _operation in CASH_OPERATIONS.values():
    approvals.register(_operation, _send_cash)
approvals.register(EXTERNAL_PAYMENT, _send_external_payment)
