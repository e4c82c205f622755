"""Slither gate (checklist A1): 0 High and 0 Medium findings in contracts/, per source file; every
suppression is an inline `slither-disable-next-line <detector>` with a written reason on the line above.

Slither pins web3 < 8, so it runs from its own virtual environment `.venv-slither` (`make setup` creates it:
`python3 -m venv .venv-slither && .venv-slither/bin/pip install slither-analyzer==0.11.6`), compiling through
the project's solc shim. `slither.config.json` filters node_modules.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tradeledger.chain.compiler import CONTRACTS_DIR, PROJECT_ROOT, SOLC_SHIM

SLITHER = PROJECT_ROOT / ".venv-slither" / "bin" / "slither"
SOURCES = sorted(p.relative_to(PROJECT_ROOT).as_posix() for p in CONTRACTS_DIR.rglob("*.sol"))
GATED_IMPACTS = {"High", "Medium"}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not SLITHER.is_file():
        pytest.fail(f"{SLITHER} is missing: run `make setup` (slither-analyzer lives in its own venv)")
    report = tmp_path_factory.mktemp("slither") / "slither.json"
    result = subprocess.run(
        [str(SLITHER), "contracts/", "--solc", str(SOLC_SHIM), "--solc-standard-json", "--json", str(report)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert report.is_file(), f"slither produced no report (exit {result.returncode}):\n{result.stderr[-3000:]}"
    document = json.loads(report.read_text())
    assert document["success"], document.get("error")
    detectors: list[dict[str, Any]] = document["results"].get("detectors", [])
    return detectors


def _files(finding: dict[str, Any]) -> set[str]:
    return {e["source_mapping"]["filename_relative"] for e in finding["elements"] if "source_mapping" in e}


class TestSlither:
    @pytest.mark.parametrize("source", SOURCES)
    def test_slither_no_high_or_medium_findings(self, findings: list[dict[str, Any]], source: str) -> None:
        gated = [
            f"{f['impact']} {f['check']}: {f['description'].strip()}"
            for f in findings
            if f["impact"] in GATED_IMPACTS and source in _files(f)
        ]
        assert gated == [], "\n\n".join(gated)

    @pytest.mark.parametrize("source", SOURCES)
    def test_suppressions_carry_a_reason(self, source: str) -> None:
        lines = Path(PROJECT_ROOT / source).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "slither-disable" in line:
                assert re.search(r"slither-disable-next-line [a-z-]+(,[a-z-]+)*$", line.strip()), line
                assert number > 0 and lines[number - 1].strip().startswith("//"), (
                    f"{source}:{number + 1}: explain the suppression in a comment on the line above"
                )
