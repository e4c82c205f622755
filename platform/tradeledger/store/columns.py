"""Column types and the chain-evidence mixin shared by the read-model (projection) tables.

Every projected row keeps the on-chain evidence of the event that last changed it: block number, transaction
hash, log index and the block's timestamp, so that any value shown can be traced back to the log it came from.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Dialect, Enum, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from tradeledger.store.base import UtcDateTime

ADDRESS = 42
"""Length of a checksummed 0x address."""
HASH = 66
"""Length of a 0x-hex bytes32 (hashes, references, fingerprints, role ids)."""
CURRENCY = 3
"""ISO 4217 alphabetic code."""

_UINT64_DIGITS = 20


class Uint64(TypeDecorator[int]):
    """An exact unsigned integer up to 2**64 - 1 (on-chain uint64 dates and counters).

    Signed BIGINT stops at 2**63 - 1, and a caller may put any uint64 into a date field: the indexer must not
    halt on it. NUMERIC(20, 0) on PostgreSQL; on SQLite a zero-padded 20-digit string, exact and still ordered
    the way the numbers are, so range queries keep working.
    """

    impl = String(_UINT64_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(_UINT64_DIGITS, 0))
        return dialect.type_descriptor(String(_UINT64_DIGITS))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value < 0 or value >= 2**64:
            raise ValueError(f"{value} is outside the uint64 range")
        return value if dialect.name == "postgresql" else str(value).zfill(_UINT64_DIGITS)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


def enum_column(cls: type[enum.Enum]) -> Enum:
    """A portable enum column that stores the member's NAME (VARCHAR, no native type, no CHECK)."""
    return Enum(cls, native_enum=False, length=32, create_constraint=False)


class ChainEvidence:
    """Mixin: the event that last changed the row (block, transaction, log index, block time)."""

    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(HASH))
    log_index: Mapped[int] = mapped_column(Integer)
    block_timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
