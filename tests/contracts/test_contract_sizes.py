"""EIP-170: a deployed contract's runtime code may not exceed 24,576 bytes; every committed artifact must fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeledger.chain.compiler import ARTIFACTS_DIR

EIP_170_LIMIT = 24_576
ARTIFACTS = sorted(ARTIFACTS_DIR.glob("*.json"))


@pytest.mark.parametrize("path", ARTIFACTS, ids=[p.stem for p in ARTIFACTS])
def test_runtime_code_fits_eip_170(path: Path) -> None:
    artifact = json.loads(path.read_text(encoding="utf-8"))
    size = (len(artifact["deployedBytecode"]) - 2) // 2
    assert 0 < size <= EIP_170_LIMIT, f"{path}: {size} bytes of runtime code"
