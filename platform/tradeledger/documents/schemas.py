"""Request and response bodies of the document and financing resources."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeledger.documents.fingerprints import FIELD_MODELS, DocumentKindName
from tradeledger.documents.models import Document
from tradeledger.settlements.schemas import Address, CurrencyCode, MinorUnits, Reference


class DocumentFieldsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DocumentKindName
    fields: dict[str, Any] = Field(
        description="the canonical fields of the document kind; they never go on chain, only HMAC fingerprints",
        examples=[{"seller_id": "5493001KJTIIGC8Y1R12", "buyer_id": "DE-HRB-1234", "invoice_number": "INV-2026-042",
                   "issue_date": "2026-11-20", "amount": 1250000, "currency": "USD"}],
    )  # fmt: skip

    @model_validator(mode="after")
    def _fields_of_kind(self) -> DocumentFieldsRequest:
        FIELD_MODELS[self.kind].model_validate(self.fields)
        return self


class RegisterDocumentRequest(DocumentFieldsRequest):
    owner: Address = Field(description="the trader whose document it is")
    currency: CurrencyCode
    face_value: MinorUnits
    record_id: int | None = Field(
        None,
        gt=0,
        lt=2**256,
        description="the transferable record (eBL, warehouse receipt) the document is or carries: financing the "
        "document pledges the record to the financier in the same transaction (the owner must then control it), "
        "and repayment or release gives it back",
    )


class FinancingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits
    reference: Reference


class FingerprintMatch(BaseModel):
    fingerprint: str
    document_id: str = Field(description="the registered document holding this fingerprint")
    state: str
    financier: str | None = Field(description="visible to the caller only for its own documents")


class FingerprintCheck(BaseModel):
    fingerprints: list[str]
    matches: list[FingerprintMatch]
    presented_under_lc: list[str] = Field(description="fingerprints already presented under a letter of credit")


class DocumentView(BaseModel):
    document_id: str
    owner: str
    registrar: str
    kind: str
    state: str
    currency: str
    face_value: str
    financier: str | None
    financed_amount: str
    outstanding: str
    fingerprints: list[str]
    record_id: str | None = Field(description="the transferable record linked to the document, if any")
    record_pledged: bool = Field(
        description="whether the linked record is pledged to the document's financier now (financed documents)"
    )
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, document: Document, fingerprints: list[str], record_pledged: bool = False) -> DocumentView:
        return cls(
            document_id=str(document.document_id),
            owner=document.owner,
            registrar=document.registrar,
            kind=document.kind.name.lower(),
            state=document.state.name,
            currency=document.currency,
            face_value=str(document.face_value),
            financier=document.financier,
            financed_amount=str(document.financed_amount),
            outstanding=str(document.outstanding),
            fingerprints=fingerprints,
            record_id=None if document.record_id is None else str(document.record_id),
            record_pledged=record_pledged,
            tx_hash=document.tx_hash,
            block_number=document.block_number,
        )
