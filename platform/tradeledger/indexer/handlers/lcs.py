"""Projections of LetterOfCredit: credits, amendments, presentations, reimbursement claims, cancellation consents,
transfers and assignment of proceeds (Art 38, 39) and bank holidays.

The credit's state follows `LetterOfCreditStateChanged` (emitted by the contract's one `_transition`), except the
first edge NONE -> APPLIED, which comes just before `LetterOfCreditApplied` creates the row. Utilisation
(reserved, drawn, counters) is replayed exactly as the contract keeps it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import (
    currency,
    evidence,
    existing,
    hex32,
    optional_address,
    require,
    seconds,
    stamp,
)
from tradeledger.indexer.projections import projector
from tradeledger.lcs.models import (
    AMEND_AVAILABILITY,
    AMEND_TENOR,
    CONSENT_FLAGS,
    AmendmentConfirmation,
    AmendmentState,
    Availability,
    BankHoliday,
    ClaimState,
    DeferredState,
    Disposition,
    InterbankClaimState,
    LcAmendment,
    LcCancellationConsent,
    LcDeferredPayment,
    LcDiscrepancy,
    LcInterbankClaim,
    LcPresentation,
    LcPresentationDocument,
    LcProceedsLeg,
    LcReimbursementClaim,
    LcState,
    LcTransfer,
    LcTransferredDocument,
    LcTransferredPresentation,
    LetterOfCredit,
    Party,
    PresentationState,
    ProceedsLegKind,
    TenorBasis,
    TransferredPresentationState,
    TransferState,
)

LC = "LetterOfCredit"
CALENDAR = "BankingCalendar"
DEFAULT_PRESENTATION_PERIOD_DAYS = 21
AMEND_AMOUNT, AMEND_EXPIRY, AMEND_LATEST_SHIPMENT = 1, 2, 4
AMEND_TOLERANCE, AMEND_PRESENTATION_PERIOD, AMEND_PARTIAL_DRAWINGS = 8, 16, 32

projector.owns(
    LetterOfCredit,
    LcAmendment,
    LcPresentation,
    LcPresentationDocument,
    LcDiscrepancy,
    LcReimbursementClaim,
    LcInterbankClaim,
    LcCancellationConsent,
    LcDeferredPayment,
    LcTransfer,
    LcTransferredPresentation,
    LcTransferredDocument,
    LcProceedsLeg,
    BankHoliday,
)


def _credit(db: Session, record: EventRecord) -> LetterOfCredit:
    credit = existing(db, LetterOfCredit, record.args["lcId"], record)
    stamp(credit, record)
    return credit


def _presentation(db: Session, record: EventRecord, *expected: PresentationState) -> LcPresentation:
    key = (record.args["lcId"], record.args["presentationId"])
    presentation = existing(db, LcPresentation, key, record)
    require(presentation.state in expected, record, f"presentation {key} is {presentation.state.name}")
    stamp(presentation, record)
    return presentation


def _amendment(db: Session, record: EventRecord) -> LcAmendment:
    key = (record.args["lcId"], record.args["amendmentId"])
    amendment = existing(db, LcAmendment, key, record)
    require(amendment.state is AmendmentState.ISSUED, record, f"amendment {key} is {amendment.state.name}")
    stamp(amendment, record)
    return amendment


# ------------------------------------------------------------------------------------------------ credit


@projector.on(LC, "LetterOfCreditStateChanged")
def state_changed(db: Session, record: EventRecord) -> None:
    before, after = LcState(record.args["from"]), LcState(record.args["to"])
    if before is LcState.NONE:
        return  # the application: LetterOfCreditApplied follows in the same call and creates the row
    credit = _credit(db, record)
    require(credit.state is before, record, f"credit {credit.lc_id} is {credit.state.name}, not {before.name}")
    credit.state = after


@projector.on(LC, "LetterOfCreditApplied")
def applied(db: Session, record: EventRecord) -> None:
    args = record.args
    (
        terms_hash,
        beneficiary,
        issuing_bank,
        advising_bank,
        confirming_bank,
        available_with_bank,
        code,
        amount,
        tolerance_plus_bps,
        tolerance_minus_bps,
        presentation_period_days,
        partial_drawings_allowed,
        expiry,
        latest_shipment,
        availability,
        tenor_days,
        tenor_basis,
        transferable,
    ) = args["terms"]
    require(issuing_bank.lower() == args["issuingBank"].lower(), record, "terms name another issuing bank")
    db.add(
        LetterOfCredit(
            lc_id=args["lcId"],
            applicant=args["applicant"],
            beneficiary=checksum(beneficiary),
            issuing_bank=args["issuingBank"],
            advising_bank=checksum(advising_bank),
            confirming_bank=optional_address(checksum(confirming_bank)),
            available_with_bank=checksum(available_with_bank),
            terms_hash=hex32(terms_hash),
            currency=currency(code),
            amount=amount,
            tolerance_plus_bps=tolerance_plus_bps,
            tolerance_minus_bps=tolerance_minus_bps,
            presentation_period_days=presentation_period_days,
            partial_drawings_allowed=bool(partial_drawings_allowed),
            expiry=expiry,
            latest_shipment=latest_shipment or None,
            availability=Availability(availability),
            tenor_days=tenor_days,
            tenor_basis=TenorBasis(tenor_basis),
            transferable=bool(transferable),
            assignee=None,
            assigned_share_bps=None,
            state=LcState.APPLIED,
            cancellation_consents=0,
            presentation_count=0,
            amendment_count=0,
            open_presentation_count=0,
            honoured_count=0,
            drawn=0,
            reserved=0,
            applied_at=seconds(record),
            **evidence(record),
        )
    )


@projector.on(LC, "LetterOfCreditIssued")
@projector.on(LC, "LetterOfCreditApplicationDeclined")
@projector.on(LC, "LetterOfCreditApplicationWithdrawn")
@projector.on(LC, "LetterOfCreditCancelled")
@projector.on(LC, "LetterOfCreditFullyDrawn")
@projector.on(LC, "LetterOfCreditClosed")
def credit_event(db: Session, record: EventRecord) -> None:
    """Events whose state change came with LetterOfCreditStateChanged: keep them as the row's evidence."""
    _credit(db, record)


@projector.on(LC, "LetterOfCreditAdvised")
def advised(db: Session, record: EventRecord) -> None:
    credit = _credit(db, record)
    require(credit.advising_bank == record.args["advisingBank"], record, "advised by another bank than named")


@projector.on(LC, "LetterOfCreditConfirmed")
def confirmed(db: Session, record: EventRecord) -> None:
    credit = _credit(db, record)
    require(credit.confirming_bank == record.args["confirmingBank"], record, "confirmed by another bank than named")


@projector.on(LC, "LetterOfCreditExpired")
def expired(db: Session, record: EventRecord) -> None:
    _credit(db, record).last_presentation_day = record.args["lastDay"]


@projector.on(LC, "LetterOfCreditCancellationConsented")
def cancellation_consented(db: Session, record: EventRecord) -> None:
    args = record.args
    credit = _credit(db, record)
    role = Party(args["role"])
    require(role in CONSENT_FLAGS, record, f"{role.name} cannot consent to cancellation")
    credit.cancellation_consents |= CONSENT_FLAGS[role]
    db.add(LcCancellationConsent(lc_id=credit.lc_id, role=role, party=args["party"], **evidence(record)))


# ------------------------------------------------------------------------------------------------ amendments


@projector.on(LC, "AmendmentIssued")
def amendment_issued(db: Session, record: EventRecord) -> None:
    args = record.args
    credit = _credit(db, record)
    fields, plus, minus, period, partial, expiry, latest_shipment, amount, availability, tenor_days, basis = args[
        "changes"
    ]
    db.add(
        LcAmendment(
            lc_id=credit.lc_id,
            amendment_id=args["amendmentId"],
            issuing_bank=args["issuingBank"],
            amendment_hash=hex32(args["amendmentHash"]),
            fields=fields,
            tolerance_plus_bps=plus,
            tolerance_minus_bps=minus,
            presentation_period_days=period,
            partial_drawings_allowed=partial,
            expiry=expiry,
            latest_shipment=latest_shipment,
            amount=amount,
            availability=Availability(availability),
            tenor_days=tenor_days,
            tenor_basis=TenorBasis(basis),
            state=AmendmentState.ISSUED,
            partial_acceptance=None,
            issued_at=seconds(record),
            decided_at=None,
            advised=False,
            confirmation=AmendmentConfirmation.NONE,
            **evidence(record),
        )
    )
    credit.amendment_count = args["amendmentId"]


@projector.on(LC, "AmendmentAccepted")
def amendment_accepted(db: Session, record: EventRecord) -> None:
    amendment = _amendment(db, record)
    amendment.state = AmendmentState.ACCEPTED
    amendment.decided_at = seconds(record)
    credit = _credit(db, record)
    fields = amendment.fields
    if fields & AMEND_AMOUNT:
        credit.amount = amendment.amount
    if fields & AMEND_EXPIRY:
        credit.expiry = amendment.expiry
    if fields & AMEND_LATEST_SHIPMENT:
        credit.latest_shipment = amendment.latest_shipment or None
    if fields & AMEND_TOLERANCE:
        credit.tolerance_plus_bps = amendment.tolerance_plus_bps
        credit.tolerance_minus_bps = amendment.tolerance_minus_bps
    if fields & AMEND_PRESENTATION_PERIOD:
        credit.presentation_period_days = amendment.presentation_period_days or DEFAULT_PRESENTATION_PERIOD_DAYS
    if fields & AMEND_PARTIAL_DRAWINGS:
        credit.partial_drawings_allowed = amendment.partial_drawings_allowed
    if fields & AMEND_AVAILABILITY:
        credit.availability = amendment.availability
    if fields & AMEND_TENOR:
        credit.tenor_days, credit.tenor_basis = amendment.tenor_days, amendment.tenor_basis


@projector.on(LC, "AmendmentRejected")
def amendment_rejected(db: Session, record: EventRecord) -> None:
    amendment = _amendment(db, record)
    amendment.state = AmendmentState.REJECTED
    amendment.partial_acceptance = bool(record.args["partialAcceptance"])
    amendment.decided_at = seconds(record)


@projector.on(LC, "AmendmentAdvised")
def amendment_advised(db: Session, record: EventRecord) -> None:
    amendment = _amendment(db, record)
    require(not amendment.advised, record, "amendment advised twice")
    amendment.advised = True


@projector.on(LC, "AmendmentConfirmationDecided")
def amendment_confirmation_decided(db: Session, record: EventRecord) -> None:
    amendment = _amendment(db, record)
    require(amendment.confirmation is AmendmentConfirmation.NONE, record, "confirmation decided twice")
    extended = bool(record.args["extended"])
    amendment.confirmation = AmendmentConfirmation.EXTENDED if extended else AmendmentConfirmation.DECLINED


# ------------------------------------------------------------------------------------------------ presentations


@projector.on(LC, "DocumentsPresented")
def documents_presented(db: Session, record: EventRecord) -> None:
    args = record.args
    credit = _credit(db, record)
    presentation_id, amount, documents = args["presentationId"], args["amount"], args["documentHashes"]
    db.add(
        LcPresentation(
            lc_id=credit.lc_id,
            presentation_id=presentation_id,
            beneficiary=args["beneficiary"],
            amount=amount,
            shipment_date=args["shipmentDate"],
            presented_at=seconds(record),
            presentation_day=args["presentationDay"],
            deadline=args["deadline"],
            document_count=len(documents),
            reused_document_count=args["reusedDocumentCount"],
            discrepancy_count=0,
            state=PresentationState.PRESENTED,
            disposition=Disposition.NONE,
            precluded=False,
            honour_entry_id=None,
            reimbursement_entry_id=None,
            claim_id=None,
            record_id=None,
            **evidence(record),
        )
    )
    for position, document_hash in enumerate(documents):
        db.add(
            LcPresentationDocument(
                lc_id=credit.lc_id,
                presentation_id=presentation_id,
                position=position,
                document_hash=hex32(document_hash),
                **evidence(record),
            )
        )
    credit.reserved += amount
    credit.open_presentation_count += 1
    credit.presentation_count = presentation_id


@projector.on(LC, "PresentationRefused")
def presentation_refused(db: Session, record: EventRecord) -> None:
    args = record.args
    presentation = _presentation(db, record, PresentationState.PRESENTED)
    presentation.state = PresentationState.REFUSED
    presentation.disposition = Disposition(args["disposition"])
    presentation.discrepancy_count = len(args["discrepancies"])
    for position, code in enumerate(args["discrepancies"]):
        db.add(
            LcDiscrepancy(
                lc_id=presentation.lc_id,
                presentation_id=presentation.presentation_id,
                position=position,
                code=hex32(code),
                **evidence(record),
            )
        )


@projector.on(LC, "DiscrepanciesWaived")
def discrepancies_waived(db: Session, record: EventRecord) -> None:
    _presentation(db, record, PresentationState.REFUSED).state = PresentationState.WAIVED


@projector.on(LC, "PresentationHonoured")
def presentation_honoured(db: Session, record: EventRecord) -> None:
    presentation = _honoured(db, record)
    presentation.honour_entry_id = record.args["entryId"] or None  # 0: the second beneficiary or assignee took it all


@projector.on(LC, "DeferredPaymentIncurred")
def deferred_payment_incurred(db: Session, record: EventRecord) -> None:
    """Honour by deferred payment or acceptance: the drawing is honoured now, paid at `maturityDay`."""
    args = record.args
    presentation = _honoured(db, record)
    db.add(
        LcDeferredPayment(
            lc_id=presentation.lc_id,
            presentation_id=presentation.presentation_id,
            obligor=args["obligor"],
            beneficiary=args["beneficiary"],
            amount=args["amount"],
            maturity_day=args["maturityDay"],
            state=DeferredState.INCURRED,
            discount=0,
            entry_id=None,
            incurred_at=seconds(record),
            **evidence(record),
        )
    )


def _deferred(db: Session, record: EventRecord) -> LcDeferredPayment:
    key = (record.args["lcId"], record.args["presentationId"])
    deferred = existing(db, LcDeferredPayment, key, record)
    require(deferred.state is DeferredState.INCURRED, record, f"deferred payment {key} is {deferred.state.name}")
    require(deferred.amount == record.args["amount"], record, "amount differs from the undertaking's")
    stamp(deferred, record)
    return deferred


@projector.on(LC, "DeferredPaymentPrepaid")
def deferred_payment_prepaid(db: Session, record: EventRecord) -> None:
    deferred = _deferred(db, record)
    deferred.state = DeferredState.PREPAID
    deferred.discount = record.args["discount"]
    deferred.entry_id = record.args["entryId"] or None  # 0: the shares took all of it


@projector.on(LC, "DeferredPaymentPaid")
def deferred_payment_paid(db: Session, record: EventRecord) -> None:
    deferred = _deferred(db, record)
    deferred.state = DeferredState.PAID
    deferred.entry_id = record.args["entryId"] or None  # 0: the shares took all of it


@projector.on(LC, "DeferredPaymentDefaulted")
def deferred_payment_defaulted(db: Session, record: EventRecord) -> None:
    """Art 7a: the nominated bank did not pay at maturity; the issuing bank honoured and the nominated bank's claim
    for reimbursement lapsed."""
    deferred = _deferred(db, record)
    require(deferred.obligor == record.args["nominatedBank"], record, "the defaulting bank is not the obligor")
    deferred.state = DeferredState.DEFAULTED
    deferred.entry_id = record.args["entryId"] or None  # 0: the shares took all of it
    _interbank(db, record).state = InterbankClaimState.LAPSED


def _honoured(db: Session, record: EventRecord) -> LcPresentation:
    """The presentation is honoured: the drawing moves from reserved to drawn, as the contract's `_honour` does."""
    args = record.args
    presentation = _presentation(db, record, PresentationState.PRESENTED, PresentationState.WAIVED)
    require(presentation.amount == args["amount"], record, "honoured amount differs from the presentation's")
    presentation.state = PresentationState.HONOURED
    presentation.precluded = bool(args["precluded"])
    credit = _credit(db, record)
    credit.reserved -= presentation.amount
    credit.drawn += presentation.amount
    credit.open_presentation_count -= 1
    credit.honoured_count += 1
    return presentation


@projector.on(LC, "TransferableRecordPresented")
def transferable_record_presented(db: Session, record: EventRecord) -> None:
    """The presentation carries a record; its control is projected from TransferableRecords' own events."""
    presentation = _presentation(db, record, PresentationState.PRESENTED)
    require(presentation.record_id is None, record, "presentation carries a record already")
    presentation.record_id = record.args["recordId"]


@projector.on(LC, "DocumentsReturned")
def documents_returned(db: Session, record: EventRecord) -> None:
    presentation = _presentation(db, record, PresentationState.REFUSED, PresentationState.WAIVED)
    presentation.state = PresentationState.RETURNED
    credit = _credit(db, record)
    credit.reserved -= presentation.amount
    credit.open_presentation_count -= 1


# ------------------------------------------------------------------------------------------------ reimbursement


@projector.on(LC, "ReimbursementSettled")
def reimbursement_settled(db: Session, record: EventRecord) -> None:
    presentation = _presentation(db, record, PresentationState.HONOURED)
    presentation.reimbursement_entry_id = record.args["entryId"]


@projector.on(LC, "ReimbursementClaimOpened")
def reimbursement_claim_opened(db: Session, record: EventRecord) -> None:
    args = record.args
    key = (args["lcId"], args["presentationId"])
    presentation = existing(db, LcPresentation, key, record)
    require(presentation.state is PresentationState.HONOURED, record, f"presentation {key} is not honoured")
    presentation.claim_id = args["claimId"]
    stamp(presentation, record)
    db.add(
        LcReimbursementClaim(
            claim_id=args["claimId"],
            lc_id=args["lcId"],
            presentation_id=args["presentationId"],
            issuing_bank=args["issuingBank"],
            applicant=args["applicant"],
            currency=currency(args["currency"]),
            amount=args["amount"],
            state=ClaimState.OPEN,
            settlement_entry_id=None,
            opened_at=seconds(record),
            settled_at=None,
            **evidence(record),
        )
    )


@projector.on(LC, "ReimbursementClaimSettled")
def reimbursement_claim_settled(db: Session, record: EventRecord) -> None:
    claim = existing(db, LcReimbursementClaim, record.args["claimId"], record)
    require(claim.state is ClaimState.OPEN, record, f"claim {claim.claim_id} is {claim.state.name}")
    claim.state = ClaimState.SETTLED
    claim.settlement_entry_id = record.args["entryId"]
    claim.settled_at = seconds(record)
    stamp(claim, record)


# ------------------------------------------------------------------------------------------------ second banks


def _interbank(db: Session, record: EventRecord) -> LcInterbankClaim:
    key = (record.args["lcId"], record.args["presentationId"])
    claim = existing(db, LcInterbankClaim, key, record)
    require(claim.state is InterbankClaimState.OPEN, record, f"interbank claim {key} is {claim.state.name}")
    stamp(claim, record)
    return claim


@projector.on(LC, "DocumentsForwarded")
def documents_forwarded(db: Session, record: EventRecord) -> None:
    args = record.args
    key = (args["lcId"], args["presentationId"])
    presentation = existing(db, LcPresentation, key, record)
    require(presentation.state is PresentationState.HONOURED, record, f"presentation {key} is not honoured")
    db.add(
        LcInterbankClaim(
            lc_id=args["lcId"],
            presentation_id=args["presentationId"],
            nominated_bank=args["nominatedBank"],
            issuing_bank=args["issuingBank"],
            amount=args["amount"],
            deadline=args["deadline"],
            state=InterbankClaimState.OPEN,
            precluded=False,
            settlement_entry_id=None,
            discrepancy_count=0,
            **evidence(record),
        )
    )


@projector.on(LC, "NominatedBankReimbursed")
def nominated_bank_reimbursed(db: Session, record: EventRecord) -> None:
    claim = _interbank(db, record)
    require(claim.amount == record.args["amount"], record, "reimbursed amount differs from the claim's")
    claim.state = InterbankClaimState.REIMBURSED
    claim.precluded = bool(record.args["precluded"])
    claim.settlement_entry_id = record.args["entryId"]


@projector.on(LC, "InterbankReimbursementRefused")
def interbank_reimbursement_refused(db: Session, record: EventRecord) -> None:
    claim = _interbank(db, record)
    claim.state = InterbankClaimState.REFUSED
    claim.discrepancy_count = len(record.args["discrepancies"])


# ------------------------------------------------------------------------------------------------ calendars


# ------------------------------------------------------------------ transfers and assignment (Art 38, 39)


def _transfer(db: Session, record: EventRecord, *expected: TransferState) -> LcTransfer:
    key = (record.args["lcId"], record.args["transferId"])
    transfer = existing(db, LcTransfer, key, record)
    require(transfer.state in expected, record, f"transfer {key} is {transfer.state.name}")
    stamp(transfer, record)
    return transfer


def _transferred(
    db: Session, record: EventRecord, *expected: TransferredPresentationState
) -> LcTransferredPresentation:
    key = (record.args["lcId"], record.args["transferredPresentationId"])
    presented = existing(db, LcTransferredPresentation, key, record)
    require(presented.state in expected, record, f"transferred presentation {key} is {presented.state.name}")
    stamp(presented, record)
    return presented


@projector.on(LC, "TransferRequested")
def transfer_requested(db: Session, record: EventRecord) -> None:
    args = record.args
    credit = _credit(db, record)
    second, terms_hash, amount, expiry, latest_shipment, period = args["terms"]
    db.add(
        LcTransfer(
            lc_id=credit.lc_id,
            transfer_id=args["transferId"],
            second_beneficiary=checksum(second),
            transferring_bank=args["transferringBank"],
            terms_hash=hex32(terms_hash),
            amount=amount,
            expiry=expiry,
            latest_shipment=latest_shipment,
            presentation_period_days=period,
            state=TransferState.REQUESTED,
            presented=0,
            **evidence(record),
        )
    )


@projector.on(LC, "TransferDecided")
def transfer_decided(db: Session, record: EventRecord) -> None:
    transfer = _transfer(db, record, TransferState.REQUESTED)
    transfer.state = TransferState.TRANSFERRED if record.args["consented"] else TransferState.DECLINED


@projector.on(LC, "TransferredDocumentsPresented")
def transferred_documents_presented(db: Session, record: EventRecord) -> None:
    args = record.args
    transfer = _transfer(db, record, TransferState.TRANSFERRED)
    transfer.presented += args["amount"]
    presented_id = args["transferredPresentationId"]
    db.add(
        LcTransferredPresentation(
            lc_id=transfer.lc_id,
            transferred_presentation_id=presented_id,
            transfer_id=transfer.transfer_id,
            second_beneficiary=args["secondBeneficiary"],
            amount=args["amount"],
            shipment_date=args["shipmentDate"],
            presented_at=seconds(record),
            substitution_deadline=None,
            state=TransferredPresentationState.PRESENTED,
            presentation_id=None,
            **evidence(record),
        )
    )
    db.flush()  # the presentation before its documents: no ORM relationship orders the two inserts
    for position, document_hash in enumerate(args["documentHashes"]):
        db.add(
            LcTransferredDocument(
                lc_id=transfer.lc_id,
                transferred_presentation_id=presented_id,
                position=position,
                document_hash=hex32(document_hash),
                **evidence(record),
            )
        )


@projector.on(LC, "SubstitutionDemanded")
def substitution_demanded(db: Session, record: EventRecord) -> None:
    presented = _transferred(db, record, TransferredPresentationState.PRESENTED)
    presented.state = TransferredPresentationState.DEMANDED
    presented.substitution_deadline = record.args["deadline"]


@projector.on(LC, "InvoiceSubstituted")
def invoice_substituted(db: Session, record: EventRecord) -> None:
    presented = _transferred(db, record, TransferredPresentationState.PRESENTED, TransferredPresentationState.DEMANDED)
    presented.state = TransferredPresentationState.SUBSTITUTED
    presented.presentation_id = record.args["presentationId"]


@projector.on(LC, "TransferredDocumentsForwarded")
def transferred_documents_forwarded(db: Session, record: EventRecord) -> None:
    presented = _transferred(db, record, TransferredPresentationState.DEMANDED)
    presented.state = TransferredPresentationState.FORWARDED
    presented.presentation_id = record.args["presentationId"]


@projector.on(LC, "ProceedsAssigned")
def proceeds_assigned(db: Session, record: EventRecord) -> None:
    credit = _credit(db, record)
    require(credit.assignee is None, record, f"credit {credit.lc_id} proceeds already assigned")
    credit.assignee = record.args["assignee"]
    credit.assigned_share_bps = record.args["shareBps"]


@projector.on(LC, "TransferredProceedsPaid")
@projector.on(LC, "AssignedProceedsPaid")
def proceeds_paid(db: Session, record: EventRecord) -> None:
    args = record.args
    # a sight drawing is paid just before it is honoured; one with a tenor when its undertaking is paid or prepaid
    # (Art 12b), or honoured by the issuing bank for a defaulting nominated bank (Art 7a)
    states = (PresentationState.PRESENTED, PresentationState.WAIVED, PresentationState.HONOURED)
    presentation = _presentation(db, record, *states)
    if presentation.state is PresentationState.HONOURED:
        deferred = db.get(LcDeferredPayment, (args["lcId"], args["presentationId"]))
        require(deferred is not None and deferred.state is DeferredState.INCURRED, record, "proceeds of a paid drawing")
    second = record.event == "TransferredProceedsPaid"
    db.add(
        LcProceedsLeg(
            lc_id=args["lcId"],
            presentation_id=args["presentationId"],
            kind=ProceedsLegKind.SECOND_BENEFICIARY if second else ProceedsLegKind.ASSIGNEE,
            payee=args["secondBeneficiary"] if second else args["assignee"],
            amount=args["amount"],
            entry_id=args["entryId"] or None,  # 0: the assignee is the honouring bank and keeps its share
            **evidence(record),
        )
    )


@projector.on(CALENDAR, "HolidayUpdated")
def holiday_updated(db: Session, record: EventRecord) -> None:
    args = record.args
    holiday = db.get(BankHoliday, (args["bank"], args["day"]))
    if holiday is None:
        db.add(BankHoliday(bank=args["bank"], day=args["day"], closed=bool(args["closed"]), **evidence(record)))
    else:
        holiday.closed = bool(args["closed"])
        stamp(holiday, record)
