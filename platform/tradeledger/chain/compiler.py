"""Compile the Solidity sources into committed artifacts through py-solc-x and the project's solc shim.

The artifacts are what the service deploys and binds to, so that running the platform needs no compiler;
`tests/chain/test_artifacts.py` recompiles and fails when a committed artifact is stale.

py-solc-x (and `requests` under it) is imported only by the functions that compile: every process that reads the
artifacts imports this module for its paths, the indexer's fetch process too, and the import cost it about 0.15 s
of CPU at each start for a compiler it never runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeledger.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
NODE_MODULES = PROJECT_ROOT / "node_modules"
SOLC_SHIM = PROJECT_ROOT / "scripts" / "solc-shim.js"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

SOLC_VERSION = "0.8.30"
EVM_VERSION = "cancun"  # runs on anvil, py-evm and Besu alike
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": EVM_VERSION,
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}

_IMPORT = re.compile(r"""^\s*import\s+(?:[^"';]*?\bfrom\s+)?["']([^"']+)["']\s*;""", re.MULTILINE)


@dataclass(frozen=True)
class Artifact:
    """One deployable contract as committed under `chain/artifacts/`."""

    contract_name: str
    source_name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    source_hash: str

    def to_json(self) -> str:
        document = {
            "contractName": self.contract_name,
            "sourceName": self.source_name,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "sourceHash": self.source_hash,
            "compiler": {
                "solc": SOLC_VERSION,
                "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
            },
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _resolve(unit: str, imported: str) -> str:
    if imported.startswith("."):
        parts: list[str] = unit.split("/")[:-1]
        for part in imported.split("/"):
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)
    return imported


def _read_unit(unit: str) -> str:
    for root in (PROJECT_ROOT, NODE_MODULES):
        candidate = root / unit
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise ConfigurationError(f"Solidity import {unit!r} not found under contracts/ or node_modules/ (run `npm ci`)")


def collect_sources() -> dict[str, str]:
    """Every source unit of `contracts/` and, transitively, everything it imports, keyed by unit name."""
    pending = [f"contracts/{p.relative_to(CONTRACTS_DIR).as_posix()}" for p in sorted(CONTRACTS_DIR.rglob("*.sol"))]
    sources: dict[str, str] = {}
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        sources[unit] = _read_unit(unit)
        pending.extend(_resolve(unit, imported) for imported in _IMPORT.findall(sources[unit]))
    return dict(sorted(sources.items()))


def _closure(unit: str, sources: dict[str, str]) -> list[str]:
    seen: set[str] = set()
    stack = [unit]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(_resolve(current, imported) for imported in _IMPORT.findall(sources[current]))
    return sorted(seen)


def source_hash(unit: str, sources: dict[str, str]) -> str:
    """sha-256 over a contract's source unit and everything it imports, plus the compiler settings."""
    digest = hashlib.sha256(f"solc {SOLC_VERSION} {json.dumps(SETTINGS, sort_keys=True)}\n".encode())
    for name in _closure(unit, sources):
        digest.update(f"{name}\n{hashlib.sha256(sources[name].encode()).hexdigest()}\n".encode())
    return digest.hexdigest()


def solc_binary() -> str:
    """A native solc of the pinned version if one is on PATH, otherwise the project's Node shim."""
    import solcx  # see the module docstring

    native = shutil.which("solc")
    if native and str(solcx.wrapper.get_solc_version(native)) == SOLC_VERSION:
        return native
    if shutil.which("node") is None:
        raise ConfigurationError("compiling contracts needs Node.js on PATH (install Node 18+, then `npm ci`)")
    if not (NODE_MODULES / "solc").is_dir():
        raise ConfigurationError("the solc npm package is missing: run `npm ci` in the project root")
    return str(SOLC_SHIM)


def compile_all() -> dict[str, Artifact]:
    """Compile every contract under `contracts/`; returns the deployable ones (those with bytecode)."""
    import solcx  # see the module docstring

    sources = collect_sources()
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": SETTINGS,
    }
    output = solcx.compile_standard(standard_input, solc_binary=solc_binary(), allow_paths=str(PROJECT_ROOT))
    artifacts: dict[str, Artifact] = {}
    for unit, contracts in output["contracts"].items():
        if not unit.startswith("contracts/"):
            continue
        for name, compiled in contracts.items():
            bytecode = compiled["evm"]["bytecode"]["object"]
            if not bytecode:
                continue  # interfaces and abstract contracts
            artifacts[name] = Artifact(
                contract_name=name,
                source_name=unit,
                abi=compiled["abi"],
                bytecode="0x" + bytecode,
                deployed_bytecode="0x" + compiled["evm"]["deployedBytecode"]["object"],
                source_hash=source_hash(unit, sources),
            )
    return dict(sorted(artifacts.items()))


def write_artifacts(artifacts: dict[str, Artifact], directory: Path = ARTIFACTS_DIR) -> None:
    """Replace the artifact files in `directory` with `artifacts`, one JSON file per contract."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()
    for name, artifact in artifacts.items():
        (directory / f"{name}.json").write_text(artifact.to_json(), encoding="utf-8")


def stale_artifacts(fresh: dict[str, Artifact], directory: Path = ARTIFACTS_DIR) -> list[str]:
    """Names of contracts whose committed artifact in `directory` is missing, stale or left over."""
    committed = {path.stem: path.read_text(encoding="utf-8") for path in directory.glob("*.json")}
    problems = [f"{name} (missing)" for name in fresh if name not in committed]
    problems += [f"{name} (no such contract)" for name in committed if name not in fresh]
    problems += [f"{name} (stale)" for name, a in fresh.items() if name in committed and committed[name] != a.to_json()]
    return sorted(problems)
