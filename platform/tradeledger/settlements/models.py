"""Read model of the on-chain cash ledger (Settlement): postings, balances, supplies, external payments.

`LedgerPosting` holds exactly one row per `Posted` event (the ledger statements are built from);
`AccountBalance` and `CurrencySupply` are maintained incrementally from the postings, so per currency
Σ balances = total issued - total redeemed holds in the read model as it does on chain.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tradeledger.store.base import Base, Uint256, UtcDateTime
from tradeledger.store.columns import ADDRESS, CURRENCY, HASH, ChainEvidence, enum_column


class PostingKind(enum.IntEnum):
    """ISettlement.PostingKind."""

    ISSUE = 0
    REDEEM = 1
    TRANSFER = 2
    LC_HONOUR = 3
    LC_REIMBURSEMENT = 4
    FINANCING_DISBURSEMENT = 5
    FINANCING_REPAYMENT = 6
    OPEN_ACCOUNT_PAYMENT = 7
    EXTERNAL_PAYMENT = 8
    UNDERTAKING_PAYMENT = 9
    UNDERTAKING_REIMBURSEMENT = 10


class ExternalRail(enum.IntEnum):
    """ISettlement.ExternalRail."""

    SWIFT = 0
    CIPS = 1
    RTGS = 2
    OTHER = 3


class ExternalPaymentState(enum.IntEnum):
    """ISettlement.ExternalPaymentState."""

    NONE = 0
    RECORDED = 1
    CONFIRMED = 2
    REJECTED = 3


class LedgerPosting(ChainEvidence, Base):
    """One ledger entry (`Posted`). ISSUE has no debit account, REDEEM no credit account (NULL, not zero)."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        # one posting per log of the canonical chain (the projection is rebuilt from the raw events on a reorg):
        # keyed by block number, not by transaction hash, so each batch appends to this index's last pages instead
        # of writing pages all over it (the postings are the bulk of what the indexer writes)
        UniqueConstraint("block_number", "log_index"),
        # an account's postings in one currency over a time range (a statement's period) without reading its history
        Index("ix_ledger_postings_debit_account_currency_time", "debit_account", "currency", "block_timestamp"),
        Index("ix_ledger_postings_credit_account_currency_time", "credit_account", "currency", "block_timestamp"),
    )

    entry_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    debit_account: Mapped[str | None] = mapped_column(String(ADDRESS))
    credit_account: Mapped[str | None] = mapped_column(String(ADDRESS))
    # no index of their own on currency or reference: no query looks postings up by either alone (the account
    # indexes above serve currency), and each index is written for every posting the indexer stores
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    amount: Mapped[int] = mapped_column(Uint256)
    kind: Mapped[PostingKind] = mapped_column(enum_column(PostingKind))
    reference: Mapped[str] = mapped_column(String(HASH))
    block_hash: Mapped[str] = mapped_column(String(HASH))
    tx_index: Mapped[int] = mapped_column(Integer)


class AccountBalance(ChainEvidence, Base):
    """Balance of one account in one currency after the last posting that touched it."""

    __tablename__ = "account_balances"

    account: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY), primary_key=True)
    balance: Mapped[int] = mapped_column(Uint256)
    last_entry_id: Mapped[int] = mapped_column(Uint256)


class CurrencySupply(ChainEvidence, Base):
    """Totals ever issued and redeemed in one currency (Settlement.totalIssued / totalRedeemed)."""

    __tablename__ = "currency_supplies"

    currency: Mapped[str] = mapped_column(String(CURRENCY), primary_key=True)
    total_issued: Mapped[int] = mapped_column(Uint256)
    total_redeemed: Mapped[int] = mapped_column(Uint256)
    last_entry_id: Mapped[int] = mapped_column(Uint256)


class ExternalPayment(ChainEvidence, Base):
    """A payment made outside the chain, recorded by the payer and confirmed or rejected by the payee."""

    __tablename__ = "external_payments"

    payment_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    payer: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    payee: Mapped[str] = mapped_column(String(ADDRESS), index=True)
    currency: Mapped[str] = mapped_column(String(CURRENCY))
    amount: Mapped[int] = mapped_column(Uint256)
    rail: Mapped[ExternalRail] = mapped_column(enum_column(ExternalRail))
    rail_reference: Mapped[str] = mapped_column(String(HASH))
    reference: Mapped[str] = mapped_column(String(HASH))
    state: Mapped[ExternalPaymentState] = mapped_column(enum_column(ExternalPaymentState), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
