"""The statements tests run on the posted ledger of tests/posted_ledger.py (shared with the reconciliations tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.posted_ledger import (
    AUDITOR,
    BANK,
    DAY_1,
    DAY_2,
    DAY_3,
    EAST_BANK,
    OTHER_BANK,
    OUTSIDER,
    TRADER,
    WEST_BANK,
    Ledger,
    attach_instance,
    posted_ledger,
)

__all__ = [
    "AUDITOR",
    "BANK",
    "DAY_1",
    "DAY_2",
    "DAY_3",
    "EAST_BANK",
    "OTHER_BANK",
    "OUTSIDER",
    "TRADER",
    "WEST_BANK",
    "Ledger",
    "attach_instance",
]


@pytest.fixture(scope="session")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    with posted_ledger(Path(tmp_path_factory.mktemp("statements"))) as built:
        yield built


@pytest.fixture
def instance(ledger: Ledger, tmp_path: Path, database_url: str) -> Iterator[Ledger]:
    """WEST_BANK's own instance on the ledger's chain, on a fresh SQLite or PostgreSQL database."""
    west = attach_instance(ledger, tmp_path, WEST_BANK, database_url)
    try:
        yield west
    finally:
        west.platform.close()
