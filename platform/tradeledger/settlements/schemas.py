"""Request and response bodies of the settlement resources."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tradeledger.codec import ADDRESS_PATTERN, money_code

Address = Annotated[
    str,
    StringConstraints(pattern=ADDRESS_PATTERN),
    Field(examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(money_code),
    Field(description="ISO 4217 code of a currency (not XXX, XTS, metals, SDR or bond units)", examples=["USD"]),
]
MinorUnits = Annotated[int, Field(strict=True, gt=0, lt=10**30, description="amount in minor units (cents for USD)")]
Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32),
    Field(description="business reference, SWIFT X characters", examples=["INV-2026-0042"]),
]


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Address = Field(description="the account credited")
    currency: CurrencyCode
    amount: MinorUnits
    reference: Reference


class CashMovementRequest(BaseModel):
    """Fiat deposited or withdrawn off chain, credited or debited on chain by the account's issuer."""

    model_config = ConfigDict(extra="forbid")

    currency: CurrencyCode
    amount: MinorUnits
    reference: Reference


class Balance(BaseModel):
    currency: str = Field(examples=["USD"])
    amount: str = Field(description="balance in minor units, as a decimal string (exact)", examples=["125000"])
    last_entry_id: str = Field(description="ledger entry id of the last movement")


class AccountBalances(BaseModel):
    account: str
    balances: list[Balance]


class ExternalPaymentRequest(BaseModel):
    """A payment made outside the chain (SWIFT, CIPS, RTGS), recorded by the payer for the payee to confirm."""

    model_config = ConfigDict(extra="forbid")

    payee: Address
    currency: CurrencyCode
    amount: MinorUnits
    rail: Literal["swift", "cips", "rtgs", "other"]
    rail_reference: Annotated[
        str,
        StringConstraints(min_length=1, max_length=36),
        Field(
            description="the rail's own reference: a SWIFT UETR, a CIPS or RTGS id",
            examples=["eb6305c9-1f7f-49de-aed0-16487c27b42d"],
        ),
    ]
    reference: Reference


class ExternalPaymentView(BaseModel):
    payment_id: str
    payer: str
    payee: str
    currency: str
    amount: str
    rail: str
    rail_reference: str
    reference: str
    state: str = Field(
        examples=["RECORDED"], description="RECORDED until the payee confirms or rejects; unconfirmed ones are breaks"
    )
    tx_hash: str
    block_number: int
