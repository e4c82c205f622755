"""Documents and financings: fingerprints computed here, uniqueness and caps enforced by the contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tradeledger.chain.abi import checksum, security_key
from tradeledger.chain.txmanager import ContractCall
from tradeledger.codec import currency_bytes, reference_bytes, reference_text
from tradeledger.documents import repository
from tradeledger.documents.fingerprints import FIELD_MODELS, fingerprints
from tradeledger.documents.models import Document, DocumentKind
from tradeledger.documents.schemas import (
    DocumentFieldsRequest,
    DocumentView,
    FinancingRequest,
    FingerprintCheck,
    FingerprintMatch,
    RegisterDocumentRequest,
)
from tradeledger.errors import ContractRevertError, NotFoundError
from tradeledger.members.access import can_see, visible_accounts
from tradeledger.members.models import MemberKind
from tradeledger.operations import Pending, Submission, created_id, write_then_view
from tradeledger.store.db import transaction
from tradeledger.store.models import ChainTransaction
from tradeledger.terms.service import store_terms
from tradeledger.users import approvals
from tradeledger.users.approvals import Held
from tradeledger.users.models import ApprovalRequest

if TYPE_CHECKING:  # the runtime composes the domains: importing it here would be a cycle
    from tradeledger.runtime import Platform

CONTRACT = "DocumentRegistry"


class DocumentNotFoundError(NotFoundError):
    code = "document_not_found"


def document_fingerprints(request: DocumentFieldsRequest, key: bytes) -> list[bytes]:
    return fingerprints(request.kind, FIELD_MODELS[request.kind].model_validate(request.fields), key)


def register_call(db: Session, address: str, caller: str, request: RegisterDocumentRequest, key: bytes) -> ContractCall:
    """Keep the fields off chain (the caller's records) and register only the fingerprints."""
    store_terms(db, request.kind, request.fields, caller)
    args: tuple[object, ...] = (
        checksum(request.owner),
        int(DocumentKind[request.kind.upper()]),
        currency_bytes(request.currency),
        request.face_value,
        document_fingerprints(request, key),
    )
    if request.record_id is not None:  # linked to its transferable record: financing will pledge it
        return ContractCall(CONTRACT, address, "registerDocumentWithRecord", (*args, request.record_id), caller)
    return ContractCall(CONTRACT, address, "registerDocument", args, caller)


STEP_FUNCTIONS = {"financings": "finance", "repayments": "repay", "release": "release"}
FINANCE, FINANCE_STEP = "documents.finance", "financings"  # a bank disbursing: holdable
HOLDABLE_STEPS = {FINANCE_STEP: FINANCE, "repayments": "documents.repay"}  # money out of the caller's account


def step_call(address: str, caller: str, document_id: int, step: str, body: FinancingRequest | None) -> ContractCall:
    """finance (a bank disburses), repay (the owner repays), release (ends the registration)."""
    args: tuple[object, ...] = (document_id,)
    if body is not None:
        args += (body.amount, reference_bytes(body.reference))
    return ContractCall(CONTRACT, address, STEP_FUNCTIONS[step], args, caller)


def visible_document(db: Session, viewer: str, viewer_kind: MemberKind | None, document_id: int) -> Document:
    document = repository.get(db, document_id)
    if document is None or not can_see(
        db, viewer, viewer_kind, [document.owner, document.registrar, document.financier]
    ):
        raise DocumentNotFoundError(f"no document {document_id}")
    return document


def check(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, request: DocumentFieldsRequest
) -> FingerprintCheck:
    """Would financing this document collide with one already registered or presented? (nothing is written)

    Collisions are reported to any bank, which is what stops double financing; who financed the other
    document is shown only to those who may see that document.
    """
    digests = ["0x" + digest.hex() for digest in document_fingerprints(request, platform.settings.fingerprint_secret())]
    with platform.sessions() as db:
        return _collisions(db, viewer, viewer_kind, digests)


def _collisions(db: Session, viewer: str, viewer_kind: MemberKind | None, digests: list[str]) -> FingerprintCheck:
    matches = [
        FingerprintMatch(
            fingerprint=fingerprint,
            document_id=str(document.document_id),
            state=document.state.name,
            financier=document.financier
            if can_see(db, viewer, viewer_kind, [document.owner, document.registrar, document.financier])
            else None,
        )
        for fingerprint, document in repository.holders(db, digests)
    ]
    return FingerprintCheck(fingerprints=digests, matches=matches, presented_under_lc=repository.presented(db, digests))


def list_documents(
    platform: Platform, viewer: str, viewer_kind: MemberKind | None, after: int | None, limit: int
) -> list[DocumentView]:
    """A page of the documents the viewer may see, each with its fingerprints."""
    with platform.sessions() as db:
        documents = repository.page(db, visible_accounts(db, viewer, viewer_kind), after, limit)
        return [_view(platform, db, document) for document in documents]


def _view(platform: Platform, db: Session, document: Document) -> DocumentView:
    key = security_key(platform.address(CONTRACT), document.document_id)
    pledged = repository.record_pledged(db, document, key)
    return DocumentView.of(document, repository.fingerprints_of(db, document.document_id), pledged)


def name_prior_financing(registry: str, db: Session, error: ContractRevertError) -> ContractRevertError:
    """A refused duplicate financing names the prior financing's own reference, not just the document id: the one
    that locks a fingerprint, or the one whose pledge holds the document's record."""
    if error.error == "DocumentRegistryAlreadyFinanced":
        prior = int(error.arguments["priorDocumentId"])
    elif error.error == "DocumentRegistryInvalidRecordState":
        holding = [
            document
            for document in repository.financed_with_record(db, int(error.arguments["recordId"]))
            if repository.record_pledged(db, document, security_key(registry, document.document_id))
        ]
        if not holding:  # pledged or lodged outside any financing: the error says by whom
            return error
        prior = holding[0].document_id
    else:
        return error
    reference = repository.financing_reference(db, prior)
    if reference is not None:
        error.message += f"; already financed as {reference_text(reference)} (document {prior})"
    return error


def document_view(platform: Platform, viewer: str, viewer_kind: MemberKind | None, document_id: int) -> DocumentView:
    """One document the viewer may see, with its fingerprints and financing."""
    with platform.sessions() as db:
        return _view(platform, db, visible_document(db, viewer, viewer_kind, document_id))


def register(
    platform: Platform, caller: str, caller_kind: MemberKind | None, request: RegisterDocumentRequest,
    submission: Submission,
) -> DocumentView | Pending:  # fmt: skip
    """Register a document's fingerprints (its fields kept off chain), read back once indexed."""
    with transaction(platform.sessions) as db:
        call = register_call(db, platform.address(CONTRACT), caller, request, platform.settings.fingerprint_secret())

    def created(row: ChainTransaction) -> DocumentView:
        document_id = created_id(platform, row, CONTRACT, "DocumentRegistered", "documentId")
        return document_view(platform, caller, caller_kind, document_id)

    return write_then_view(platform, call, submission, created)


def run_step(
    platform: Platform, caller: str, caller_kind: MemberKind | None, document_id: int, step: str,
    body: FinancingRequest | None, submission: Submission,
) -> DocumentView | Pending | Held:  # fmt: skip
    """Finance, repay or release a document the caller may see; a refused second financing names the prior one. A
    financing that a policy of the submitter's member covers is held for approval (`documents.finance`: its amount
    in the document's currency)."""
    document = document_view(platform, caller, caller_kind, document_id)
    operation = HOLDABLE_STEPS.get(step)
    if operation is not None and body is not None:
        target = approvals.arguments(body, document_id=document_id)
        held = approvals.hold(platform, submission, operation, target, lambda _: (body.amount, document.currency))
        if held is not None:
            return held
    call = step_call(platform.address(CONTRACT), caller, document_id, step, body)
    try:
        return write_then_view(
            platform, call, submission, lambda _: document_view(platform, caller, caller_kind, document_id)
        )
    except ContractRevertError as error:
        with platform.sessions() as db:
            raise name_prior_financing(platform.address(CONTRACT), db, error) from None


def _send_step(platform: Platform, request: ApprovalRequest, submission: Submission) -> object:
    """An approved financing or repayment: the same command, as the member that holds it (its policy applied)."""
    member, kind = approvals.acting(platform, request)
    body = approvals.body_of(request, FinancingRequest)
    step = next(step for step, operation in HOLDABLE_STEPS.items() if operation == request.operation)
    return run_step(platform, member, kind, int(request.target["document_id"]), step, body, submission)


for _operation in HOLDABLE_STEPS.values():
    approvals.register(_operation, _send_step)
