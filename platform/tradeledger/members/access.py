"""Object-level access: who may see what. A hidden object answers exactly like a missing one.

A member sees objects it is a party to; a bank also those of the traders it sponsors; an auditor everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeledger.members.models import Member, MemberKind


def visible_accounts(db: Session, viewer: str, viewer_kind: MemberKind | None) -> set[str] | None:
    """The accounts whose objects the viewer sees, or None for all (auditors)."""
    if viewer_kind is MemberKind.AUDITOR:
        return None
    accounts = {viewer}
    if viewer_kind is MemberKind.BANK:
        accounts.update(db.scalars(select(Member.address).where(Member.sponsor == viewer)))
    return accounts


def can_see(db: Session, viewer: str, viewer_kind: MemberKind | None, parties: Iterable[str | None]) -> bool:
    """Whether the viewer may see an object with these parties (a party itself without a query)."""
    parties = list(parties)
    if viewer in parties:
        return True
    accounts = visible_accounts(db, viewer, viewer_kind)
    return accounts is None or any(party in accounts for party in parties if party)


def can_see_account(db: Session, viewer: str, viewer_kind: MemberKind | None, account: str) -> bool:
    return can_see(db, viewer, viewer_kind, [account])
