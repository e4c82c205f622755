"""The consortium generator (scripts/consortium/generate.py), loaded as a module, and one generated network."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "consortium" / "generate.py"
SEED = "tradeledger-consortium-tests"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("consortium_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


def generate(out: Path, *extra: str) -> dict[str, Any]:
    """Run the generator's CLI entry point (quietly) into `out`; return its network description."""
    assert generator.main(["--out", str(out), "--seed", SEED, "--fast-kdf", *extra], echo=lambda _: None) == 0
    description: dict[str, Any] = generator.json.loads((out / "network.json").read_text())
    return description


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A network generated where docker-compose.yml expects it, relative to a stand-in project root."""
    root = tmp_path_factory.mktemp("project")
    generate(root / "consortium" / "generated")
    return root / "consortium" / "generated"
