"""`reconciliation` stays pure: no tradeledger, web3, eth_* or fastapi, neither imported nor named.

Why both checks: the import check (in a fresh interpreter, since other tests load web3 into this one)
catches transitive imports; the source scan catches imports hidden in functions that never ran.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import reconciliation

PACKAGE_DIR = Path(reconciliation.__file__).parent
FORBIDDEN = ("tradeledger", "web3", "eth_", "eth", "fastapi", "starlette")


def forbidden(module: str) -> bool:
    top = module.split(".", 1)[0]
    return top in FORBIDDEN or top.startswith("eth_")


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


class TestPurity:
    def test_importing_every_module_loads_nothing_forbidden(self) -> None:
        script = (
            "import importlib, json, sys\n"
            f"for name in {module_names()!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))\n"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        loaded = json.loads(done.stdout)
        assert "reconciliation.statements" in loaded
        assert [m for m in loaded if forbidden(m)] == []

    def test_no_source_file_names_a_forbidden_import(self) -> None:
        offenders = []
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    names = [str(node.args[0].value)]
                offenders += [f"{path.name}:{getattr(node, 'lineno', 0)} {n}" for n in names if forbidden(n)]
        assert offenders == []

    def test_the_scan_covers_the_statement_modules(self) -> None:
        names = module_names()
        for expected in (
            "reconciliation.statements.builder",
            "reconciliation.formats.camt",
            "reconciliation.merkle",
            "reconciliation.canonical",
            "reconciliation.manifest",
        ):
            assert expected in names
