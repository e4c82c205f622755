"""The reconciliations tests run on the posted ledger of tests/posted_ledger.py (shared with the statements tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.posted_ledger import Ledger, posted_ledger


@pytest.fixture(scope="session")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """Two banks, two traders of the first bank, an auditor; USD transfers on DAY_1 and DAY_2."""
    with posted_ledger(Path(tmp_path_factory.mktemp("reconciliations"))) as built:
        yield built
