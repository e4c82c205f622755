"""Letters of credit under UCP 600: the calls of every step, and the views their parties may see.

The contract enforces the rules (roles, states, deadlines, tolerances); this module builds the calls, keeps the
MT700-like terms off chain under their hash, and fingerprints presented documents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import InvalidValueError
from tradeledger.documents.service import document_fingerprints
from tradeledger.errors import NotFoundError
from tradeledger.lcs import repository
from tradeledger.lcs.models import Disposition, LetterOfCredit
from tradeledger.lcs.schemas import AmendmentRequest, ApplyRequest, LcView, PresentationRequest, RefusalRequest
from tradeledger.lcs.terms import (
    LetterOfCreditTerms,
    canonical_bytes,
    chain_parameters,
    matches_onchain_hash,
    terms_hash_hex,
)
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.terms.service import load_terms, store_canonical, store_terms

CONTRACT = "LetterOfCredit"
AMEND_FLAGS = {
    "amount": 1,
    "expiry_date": 2,
    "latest_shipment_date": 4,
    "tolerance": 8,
    "presentation_period_days": 16,
    "partial_drawings_allowed": 32,
}


class LetterOfCreditNotFoundError(NotFoundError):
    code = "letter_of_credit_not_found"


def _day(value: date) -> int:
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def apply_call(db: Session, address: str, applicant: str, request: ApplyRequest) -> ContractCall:
    """Keep the terms off chain and build applyForCredit with their hash and the enforced parameters."""
    store_canonical(
        db, "letter_of_credit", canonical_bytes(request.terms).decode("utf-8"), terms_hash_hex(request.terms), applicant
    )
    parameters = chain_parameters(request.terms)
    zero = "0x0000000000000000000000000000000000000000"
    credit = (
        parameters["termsHash"],
        checksum(request.beneficiary),
        checksum(request.issuing_bank),
        checksum(request.advising_bank),
        checksum(request.confirming_bank) if request.confirming_bank else zero,
        checksum(request.available_with_bank),
        parameters["currency"],
        parameters["amount"],
        parameters["tolerancePlusBps"],
        parameters["toleranceMinusBps"],
        parameters["presentationPeriodDays"],
        parameters["partialDrawingsAllowed"],
        parameters["expiry"],
        parameters["latestShipment"],
    )
    return ContractCall(CONTRACT, address, "applyForCredit", (credit,), applicant)


LC_STEPS = {
    "issue": "issue",
    "decline": "declineApplication",
    "withdraw": "withdrawApplication",
    "advise": "advise",
    "confirm": "confirm",
    "cancel": "consentToCancellation",
    "expire": "expire",
    "close": "close",
}
PRESENTATION_STEPS = {
    "honour": "honour",
    "waive": "waiveDiscrepancies",
    "return-documents": "returnDocuments",
    "enforce-preclusion": "enforcePreclusion",
}


def step_call(address: str, caller: str, lc_id: int, step: str) -> ContractCall:
    return ContractCall(CONTRACT, address, LC_STEPS[step], (lc_id,), caller)


def presentation_step_call(address: str, caller: str, lc_id: int, presentation_id: int, step: str) -> ContractCall:
    return ContractCall(CONTRACT, address, PRESENTATION_STEPS[step], (lc_id, presentation_id), caller)


def amendment_call(db: Session, address: str, bank: str, lc_id: int, request: AmendmentRequest) -> ContractCall:
    """issueAmendment with the changed fields flagged; the narrative is kept off chain under its hash."""
    changes = request.changes
    given = changes.model_dump(exclude_none=True)
    flags = sum(flag for name, flag in AMEND_FLAGS.items() if name in given)
    if "tolerance_plus_bps" in given or "tolerance_minus_bps" in given:
        flags |= AMEND_FLAGS["tolerance"]
    digest = store_terms(
        db, "lc_amendment", {"lc_id": lc_id, "changes": changes.model_dump(mode="json"), **request.narrative}, bank
    )
    terms = (
        flags,
        changes.tolerance_plus_bps or 0,
        changes.tolerance_minus_bps or 0,
        changes.presentation_period_days or 0,
        bool(changes.partial_drawings_allowed),
        _day(changes.expiry_date) if changes.expiry_date else 0,
        _day(changes.latest_shipment_date) if changes.latest_shipment_date else 0,
        changes.amount or 0,
    )
    return ContractCall(CONTRACT, address, "issueAmendment", (lc_id, bytes.fromhex(digest[2:]), terms), bank)


def accept_amendment_call(address: str, beneficiary: str, lc_id: int, amendment_id: int, fields: int) -> ContractCall:
    return ContractCall(CONTRACT, address, "acceptAmendment", (lc_id, amendment_id, fields), beneficiary)


def reject_amendment_call(address: str, beneficiary: str, lc_id: int, amendment_id: int) -> ContractCall:
    return ContractCall(CONTRACT, address, "rejectAmendment", (lc_id, amendment_id), beneficiary)


def present_call(address: str, beneficiary: str, lc_id: int, request: PresentationRequest, key: bytes) -> ContractCall:
    """present() with every document's fingerprints, so re-use of a document across credits is flagged."""
    hashes = [digest for document in request.documents for digest in document_fingerprints(document, key)]
    return ContractCall(
        CONTRACT, address, "present", (lc_id, hashes, request.amount, _day(request.shipment_date)), beneficiary
    )


def discrepancy_code(code: str) -> bytes:
    """Discrepancy codes (ICC / bank codes such as LATE_SHIPMENT) left-aligned in bytes32."""
    try:
        data = code.strip().upper().encode("ascii")
    except UnicodeEncodeError:
        data = b""
    if not 1 <= len(data) <= 32:
        raise InvalidValueError(f"discrepancies: code {code!r} must be 1-32 ASCII characters")
    return data.ljust(32, b"\0")


def refuse_call(address: str, bank: str, lc_id: int, presentation_id: int, request: RefusalRequest) -> ContractCall:
    codes = [discrepancy_code(code) for code in request.discrepancies]
    disposition = int(Disposition[request.disposition.upper()])
    return ContractCall(CONTRACT, address, "refuse", (lc_id, presentation_id, codes, disposition), bank)


def settle_claim_call(address: str, applicant: str, claim_id: int) -> ContractCall:
    return ContractCall(CONTRACT, address, "settleReimbursementClaim", (claim_id,), applicant)


def holidays_call(address: str, bank: str, dates: list[date], closed: bool) -> ContractCall:
    return ContractCall(CONTRACT, address, "setHolidays", ([_day(d) for d in dates], closed), bank)


def _parties(lc: LetterOfCredit) -> list[str | None]:
    return [lc.applicant, lc.beneficiary, lc.issuing_bank, lc.advising_bank, lc.confirming_bank, lc.available_with_bank]


def visible_credit(db: Session, viewer: str, viewer_kind: MemberKind | None, lc_id: int) -> LetterOfCredit:
    lc = repository.get(db, lc_id)
    if lc is None or not can_see(db, viewer, viewer_kind, _parties(lc)):
        raise LetterOfCreditNotFoundError(f"no letter of credit {lc_id}")
    return lc


def view(db: Session, lc: LetterOfCredit) -> LcView:
    """The credit with its amendments, presentations and, when held here, its verified off-chain terms."""
    stored = load_terms(db, lc.terms_hash)
    terms: dict[str, Any] | None = stored.get("terms") if isinstance(stored, dict) else None
    verified = None if terms is None else matches_onchain_hash(LetterOfCreditTerms.model_validate(terms), lc.terms_hash)
    return LcView.of(lc, terms, verified, repository.amendments(db, lc.lc_id), repository.presentations(db, lc.lc_id))


def list_credits(
    db: Session, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[LetterOfCredit]:
    return repository.page(db, visible_accounts(db, viewer, viewer_kind), after, limit)


def claim_credit(db: Session, claim_id: int) -> int | None:
    claim = repository.claim(db, claim_id)
    return None if claim is None else claim.lc_id
