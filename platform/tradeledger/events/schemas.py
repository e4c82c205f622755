"""One platform event as back offices see it: in the cursor feed and in webhook payloads alike."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tradeledger.store.models import ChainEvent


class EventView(BaseModel):
    id: str = Field(description="position in this instance's feed; use as cursor")
    contract: str
    event: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    block_timestamp: datetime
    tx_hash: str
    log_index: int

    @classmethod
    def of(cls, row: ChainEvent) -> EventView:
        return cls(
            id=str(row.id),
            contract=row.contract,
            event=row.event,
            args=json.loads(row.args),
            block_number=row.block_number,
            block_hash=row.block_hash,
            block_timestamp=row.block_timestamp,
            tx_hash=row.tx_hash,
            log_index=row.log_index,
        )
