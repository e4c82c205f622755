"""Cursor pagination, on-chain id and address parameters shared by every resource."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, Field

from tradeledger.codec import ADDRESS_PATTERN

T = TypeVar("T")
MAX_PAGE = 200

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Cursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,76}$", description="`next_cursor` of the previous page")]
"""After an on-chain id (uint256: up to 78 digits)."""
RowCursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the previous page")]
"""After a row of this instance's database (a 64-bit integer)."""
ObjectId = Annotated[int, Path(ge=0, lt=2**256, description="an on-chain id (uint256)")]
AddressPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="a member's address: 0x and 40 hex digits")]
"""A malformed address is a 422 naming the parameter; a well-formed one nobody (visible) holds stays a 404."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as `cursor` to get the next page; null on the last page")
