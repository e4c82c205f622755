"""Queries of the letter-of-credit read model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeledger.lcs.models import (
    ClaimState,
    LcAmendment,
    LcDeferredPayment,
    LcInterbankClaim,
    LcPresentation,
    LcProceedsLeg,
    LcReimbursementClaim,
    LcTransfer,
    LcTransferredDocument,
    LcTransferredPresentation,
    LetterOfCredit,
    TransferState,
)


def get(db: Session, lc_id: int) -> LetterOfCredit | None:
    return db.get(LetterOfCredit, lc_id)


def amendments(db: Session, lc_id: int) -> list[LcAmendment]:
    return list(db.scalars(select(LcAmendment).where(LcAmendment.lc_id == lc_id).order_by(LcAmendment.amendment_id)))


def presentations(db: Session, lc_id: int) -> list[LcPresentation]:
    query = select(LcPresentation).where(LcPresentation.lc_id == lc_id).order_by(LcPresentation.presentation_id)
    return list(db.scalars(query))


def interbank_claims(db: Session, lc_id: int) -> dict[int, LcInterbankClaim]:
    """The nominated banks' claims on the issuing bank under one credit, by presentation id."""
    claims = db.scalars(select(LcInterbankClaim).where(LcInterbankClaim.lc_id == lc_id))
    return {claim.presentation_id: claim for claim in claims}


def deferred_payments(db: Session, lc_id: int) -> dict[int, LcDeferredPayment]:
    """The undertakings honour incurred under one credit (deferred payment, acceptance), by presentation id."""
    rows = db.scalars(select(LcDeferredPayment).where(LcDeferredPayment.lc_id == lc_id))
    return {row.presentation_id: row for row in rows}


def transfers(db: Session, lc_id: int) -> list[LcTransfer]:
    return list(db.scalars(select(LcTransfer).where(LcTransfer.lc_id == lc_id).order_by(LcTransfer.transfer_id)))


def transferred_presentations(db: Session, lc_id: int) -> list[LcTransferredPresentation]:
    query = select(LcTransferredPresentation).where(LcTransferredPresentation.lc_id == lc_id)
    return list(db.scalars(query.order_by(LcTransferredPresentation.transferred_presentation_id)))


def transferred_documents(db: Session, lc_id: int, transferred_presentation_id: int) -> list[str]:
    """The document hashes a second beneficiary presented, in their order (forwarded as presented, Art 38i)."""
    query = select(LcTransferredDocument.document_hash).where(
        LcTransferredDocument.lc_id == lc_id,
        LcTransferredDocument.transferred_presentation_id == transferred_presentation_id,
    )
    return list(db.scalars(query.order_by(LcTransferredDocument.position)))


def proceeds_legs(db: Session, lc_id: int) -> dict[int, list[LcProceedsLeg]]:
    """The honour legs paid to second beneficiaries and assignees under one credit, by presentation id."""
    legs: dict[int, list[LcProceedsLeg]] = {}
    for leg in db.scalars(select(LcProceedsLeg).where(LcProceedsLeg.lc_id == lc_id).order_by(LcProceedsLeg.kind)):
        legs.setdefault(leg.presentation_id, []).append(leg)
    return legs


def second_beneficiaries(db: Session, lc_id: int) -> list[str]:
    """Whom the credit was transferred to, the bank's consent given (Art 38a): a request alone discloses nothing."""
    query = select(LcTransfer.second_beneficiary).where(
        LcTransfer.lc_id == lc_id, LcTransfer.state == TransferState.TRANSFERRED
    )
    return list(db.scalars(query))


# The credit's own parties, by column: the single view, the list and the event feed all decide by these.
PARTIES = (
    LetterOfCredit.applicant, LetterOfCredit.beneficiary, LetterOfCredit.issuing_bank, LetterOfCredit.advising_bank,
    LetterOfCredit.confirming_bank, LetterOfCredit.available_with_bank,
)  # fmt: skip


def parties(lc: LetterOfCredit) -> list[str | None]:
    """The credit's own parties: they see all of it, every event of it included."""
    return [getattr(lc, column.key) for column in PARTIES]


# The events of a presentation its second beneficiary's view shows (its state and disposition); not the
# reimbursement between the applicant and the banks, nor the banks' claims on each other.
PRESENTATION_EVENTS = frozenset(
    {"DocumentsPresented", "PresentationRefused", "PresentationHonoured", "DocumentsReturned",
     "TransferableRecordPresented"}
)  # fmt: skip
# The events that pay a presentation's legs to its second beneficiary and assignee (in the same transaction).
PAYING_EVENTS = frozenset(
    {"PresentationHonoured", "DeferredPaymentPrepaid", "DeferredPaymentPaid", "DeferredPaymentDefaulted"}
)


# The read model's rows that decide a reduced view's audience, by what an event names: (credit, id) -> party.
_AUDIENCE_SOURCES: dict[str, tuple[Any, ...]] = {
    "transfer": (LcTransfer.lc_id, LcTransfer.transfer_id, LcTransfer.second_beneficiary),
    "transferred": (
        LcTransferredPresentation.lc_id,
        LcTransferredPresentation.transferred_presentation_id,
        LcTransferredPresentation.second_beneficiary,
    ),
    "came_from": (
        LcTransferredPresentation.lc_id,
        LcTransferredPresentation.presentation_id,
        LcTransferredPresentation.second_beneficiary,
    ),
    "paid": (LcProceedsLeg.lc_id, LcProceedsLeg.presentation_id, LcProceedsLeg.payee),
}
_AUDIENCE_FILTERS: dict[str, tuple[Any, ...]] = {"transfer": (LcTransfer.state == TransferState.TRANSFERRED,)}


def _audience_keys(event: str, args: dict[str, Any]) -> list[tuple[str, tuple[int, int]]]:
    """Which rows of `_AUDIENCE_SOURCES` decide who sees an event of a credit through a reduced view
    (`tradeledger.lcs.service.audience`) besides the addresses it names: the second beneficiary of a transfer the
    bank consented to (38a: a request alone, or a refusal, discloses nothing) or of the transferred presentation the
    event is about; for a presentation's own events, the second beneficiary it came from (38h, 38i); for the event
    that paid it, whoever it paid a leg to (Art 38, 39). Never the credit's other events: the applicant's terms,
    amendments and reimbursement stay with the credit's parties. What decides is in the read model by the time the
    event's block is indexed, so a webhook queued then and the feed read later agree."""
    lc_id = args.get("lcId")
    if not isinstance(lc_id, int):
        return []
    if event == "TransferDecided" and isinstance(args.get("transferId"), int):
        return [("transfer", (lc_id, args["transferId"]))]
    if isinstance(args.get("transferredPresentationId"), int):
        return [("transferred", (lc_id, args["transferredPresentationId"]))]
    presentation_id = args.get("presentationId")
    if not isinstance(presentation_id, int):
        return []
    return [
        *([("came_from", (lc_id, presentation_id))] if event in PRESENTATION_EVENTS else []),
        *([("paid", (lc_id, presentation_id))] if event in PAYING_EVENTS else []),
    ]


@dataclass(frozen=True)
class ReducedAudiences:
    """Who sees credit events through a reduced view, read for a batch of events with one query per kind of row
    that decides it (`reduced_audiences`), not one or two per event."""

    found: dict[str, dict[tuple[int, int], set[str]]]

    def of(self, event: str, args: dict[str, Any]) -> set[str]:
        """The event's reduced audience (`_audience_keys`); the event must be one of the batch."""
        return {party for kind, key in _audience_keys(event, args) for party in self.found[kind].get(key, ())}


def reduced_audiences(db: Session, events: Iterable[tuple[str, dict[str, Any]]]) -> ReducedAudiences:
    """The reduced audiences of a batch of events, as (event name, arguments)."""
    wanted: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for event, args in events:
        for kind, key in _audience_keys(event, args):
            wanted[kind].add(key)
    found: dict[str, dict[tuple[int, int], set[str]]] = {kind: defaultdict(set) for kind in _AUDIENCE_SOURCES}
    for kind, keys in wanted.items():
        credit, object_id, party = _AUDIENCE_SOURCES[kind]
        query = select(credit, object_id, party).where(
            credit.in_({key[0] for key in keys}),
            object_id.in_({key[1] for key in keys}),
            *_AUDIENCE_FILTERS.get(kind, ()),
        )
        for lc_id, row_id, who in db.execute(query):
            if (lc_id, row_id) in keys:  # the two IN lists also match other pairs of the batch's credits and ids
                found[kind][(lc_id, row_id)].add(who)
    return ReducedAudiences(found)


def claim(db: Session, claim_id: int) -> LcReimbursementClaim | None:
    return db.get(LcReimbursementClaim, claim_id)


def claims_page(
    db: Session, accounts: set[str] | None, state: ClaimState | None, after: int | None, limit: int
) -> list[LcReimbursementClaim]:
    """Reimbursement claims on applicants with a party among `accounts` (all for None), by claim id."""
    query = select(LcReimbursementClaim).order_by(LcReimbursementClaim.claim_id).limit(limit)
    if accounts is not None:
        query = query.where(
            or_(LcReimbursementClaim.issuing_bank.in_(accounts), LcReimbursementClaim.applicant.in_(accounts))
        )
    if state is not None:
        query = query.where(LcReimbursementClaim.state == state)
    if after is not None:
        query = query.where(LcReimbursementClaim.claim_id > after)
    return list(db.scalars(query))


def page(db: Session, accounts: set[str] | None, after: int | None, limit: int) -> list[LetterOfCredit]:
    """Credits by id that `accounts` (all for None) see: as one of their `PARTIES`, as a second beneficiary or as
    the assignee, as `tradeledger.lcs.service.audience` decides for one credit."""
    query = select(LetterOfCredit).order_by(LetterOfCredit.lc_id).limit(limit)
    if accounts is not None:
        transferred = select(LcTransfer.lc_id).where(
            LcTransfer.second_beneficiary.in_(accounts), LcTransfer.state == TransferState.TRANSFERRED
        )
        query = query.where(
            or_(
                *(column.in_(accounts) for column in PARTIES),
                LetterOfCredit.lc_id.in_(transferred),
                LetterOfCredit.assignee.in_(accounts),
            )
        )
    if after is not None:
        query = query.where(LetterOfCredit.lc_id > after)
    return list(db.scalars(query))
