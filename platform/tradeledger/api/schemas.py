"""Bodies shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tradeledger.store.models import ChainTransaction


class TransactionView(BaseModel):
    """A submitted chain transaction and where it stands."""

    id: str = Field(description="operation id: poll /v1/transactions/{id}")
    tx_hash: str | None = Field(description="set once the engine has signed it (from state signed on)")
    state: str = Field(description="requested, signed, sent, mined, reverted or failed", examples=["mined"])
    signer: str
    contract: str
    function: str
    nonce: int | None = Field(description="set once the engine has signed it (from state signed on)")
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
