"""Bank payment undertakings: the ones their parties (both banks, both traders, the payee) may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeledger.chain.txmanager import ContractCall
from tradeledger.errors import NotFoundError
from tradeledger.invoices import repository as invoices
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, write_then_view
from tradeledger.undertakings import repository
from tradeledger.undertakings.models import UndertakingState
from tradeledger.undertakings.schemas import PaymentUndertakingView

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


def accept_mismatch(
    platform: Platform, bank: str, bank_kind: MemberKind | None, undertaking_id: int, submission: Submission
) -> PaymentUndertakingView | Pending:
    """The obligor bank accepts the data mismatch of the order's invoice in force, naming the report it read
    (URBPO 750: the obligor may accept a mismatch, and the undertaking then settles as if matched). The contract
    refuses anyone but the obligor bank and an invoice that is not mismatched."""
    undertaking_view(platform, bank, bank_kind, undertaking_id)  # a hidden one is a 404 before anything is sent
    with platform.sessions() as db:
        row = repository.get(db, undertaking_id)
        invoice = None if row is None else invoices.current(db, row.order_id)
        report = None if invoice is None else invoice.match_report_hash
    arguments = (undertaking_id, NO_REPORT if report is None else bytes.fromhex(report[2:]))
    call = ContractCall(CONTRACT, platform.address(CONTRACT), "acceptMismatch", arguments, bank)
    return write_then_view(
        platform, call, submission, lambda _: undertaking_view(platform, bank, bank_kind, undertaking_id)
    )
