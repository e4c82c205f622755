"""Bodies shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tradeledger.store.models import ChainTransaction


class TransactionView(BaseModel):
    """A submitted chain transaction and where it stands."""

    id: str = Field(description="operation id: poll /v1/transactions/{id}")
    tx_hash: str
    state: str = Field(description="signed, sent, mined, reverted or failed", examples=["mined"])
    signer: str
    contract: str
    function: str
    nonce: int
    block_number: int | None = None
    error: str | None = None

    @classmethod
    def of(cls, row: ChainTransaction) -> TransactionView:
        return cls(
            id=row.id,
            tx_hash=row.tx_hash,
            state=row.state.value,
            signer=row.signer,
            contract=row.contract,
            function=row.function,
            nonce=row.nonce,
            block_number=row.block_number,
            error=row.error_detail,
        )
