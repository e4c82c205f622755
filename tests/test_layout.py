"""The layout rules of DESIGN.md §2 that keep the project importable and its layers apart."""

from __future__ import annotations

import ast
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
CHECK_PLATFORM = (
    "import platform, sys, sysconfig, pathlib; "
    "stdlib = pathlib.Path(sysconfig.get_paths()['stdlib']).resolve(); "
    "sys.exit(0 if pathlib.Path(platform.__file__).resolve().parent == stdlib and hasattr(platform, 'system') else 1)"
)


class TestPlatformIsTheStandardLibrary:
    def test_import_platform_under_pytest(self) -> None:
        import platform

        assert Path(platform.__file__).resolve().parent == STDLIB
        assert platform.system()

    def test_platform_folder_is_not_a_package(self) -> None:
        assert not (ROOT / "platform" / "__init__.py").exists()

    @pytest.mark.parametrize(
        "command",
        [
            [sys.executable, "-c", CHECK_PLATFORM],
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co", "tests/test_layout.py"],
        ],
        ids=["python-from-repo-root", "python-m-pytest-from-repo-root"],
    )
    def test_import_platform_from_repo_root(self, command: list[str]) -> None:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_ruff_keeps_a005_on(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--show-settings", "."],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "stdlib-module-shadowing (A005)" in result.stdout


WEB3_MODULES = ("web3", "eth_abi", "eth_account", "eth_tester", "eth_utils", "eth_typing", "eth_keys")


def _imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, and for `from M import N` also `M.N` (N may be a submodule)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _session_uses(path: Path) -> list[str]:
    """Where a file reaches the database directly: SQLAlchemy imported, or the platform's session factory or unit
    of work used (`platform.sessions`, `platform.transaction`), in source order after the imports."""
    uses = [f"imports {module}" for module in sorted(_imported_modules(path)) if module.split(".")[0] == "sqlalchemy"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    attributes = sorted(
        (node.lineno, node.col_offset, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "platform"
        and node.attr in ("sessions", "transaction")
    )
    return uses + [f"platform.{attr}" for _, _, attr in attributes]


def _imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module in _imported_modules(path)}


class TestDependencyRules:
    """`reconciliation`'s purity is tested in tests/reconciliation/test_purity.py."""

    def test_only_tradeledger_chain_imports_web3(self) -> None:
        package = ROOT / "platform" / "tradeledger"
        offenders = [
            str(path.relative_to(ROOT))
            for path in package.rglob("*.py")
            if "chain" not in path.relative_to(package).parts[:1] and _imported_roots(path) & set(WEB3_MODULES)
        ]
        assert offenders == []

    def test_routers_import_nothing_from_chain_or_store(self) -> None:
        """A router validates, authorizes and calls one domain command or query: the write path (contract calls,
        sessions, outbox, read-your-writes) lives in the domain services and tradeledger.operations."""
        routers = ROOT / "platform" / "tradeledger" / "api" / "routers"
        layers = {"tradeledger.chain", "tradeledger.store"}
        offenders = [
            f"{path.relative_to(ROOT)}: {module}"
            for path in sorted(routers.glob("*.py"))
            for module in sorted(_imported_modules(path))
            if any(module == layer or module.startswith(layer + ".") for layer in layers)
        ]
        assert offenders == []

    def test_routers_open_no_database_session(self) -> None:
        """Reads too are domain queries: a router names no SQLAlchemy Session and opens no unit of work on the
        platform (`platform.sessions`, `platform.transaction`); the query or command owns its session."""
        routers = ROOT / "platform" / "tradeledger" / "api" / "routers"
        offenders = [
            f"{path.relative_to(ROOT)}: {use}" for path in sorted(routers.glob("*.py")) for use in _session_uses(path)
        ]
        assert offenders == []

    def test_a_router_opening_a_session_is_found(self, tmp_path: Path) -> None:
        """The check itself, on a router written the old way."""
        router = tmp_path / "router.py"
        router.write_text(
            "from sqlalchemy.orm import Session\n"
            "import sqlalchemy.orm as orm\n"
            "def read(platform, db: Session):\n"
            "    with platform.sessions() as db:\n"
            "        pass\n"
            "    with platform.transaction() as db:\n"
            "        pass\n"
            "    return platform.sessions\n"
        )
        assert _session_uses(router) == [
            "imports sqlalchemy.orm", "imports sqlalchemy.orm.Session", "platform.sessions", "platform.transaction",
            "platform.sessions",
        ]  # fmt: skip

    def test_every_test_folder_is_a_package(self) -> None:
        folders = {path.parent for path in (ROOT / "tests").rglob("test_*.py")}
        assert [str(f) for f in folders if not (f / "__init__.py").exists()] == []


SERVICE_PACKAGE = Path(__file__).resolve().parents[1] / "platform" / "tradeledger"


def _entry_modules() -> list[str]:
    """Where imports start: each domain's service, the write path, the runtime, the API, the CLI and the demo."""
    services = (path.parent.name for path in SERVICE_PACKAGE.glob("*/service.py"))
    return [*(f"tradeledger.{name}.service" for name in sorted(services)), "tradeledger.operations",
            "tradeledger.runtime", "tradeledger.api.app", "tradeledger.cli", "tradeledger.demo.trade"]  # fmt: skip


def _modules(package: Path) -> dict[str, Path]:
    """Every module of an import package by dotted name (Alembic's migration scripts are loaded by path, not name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.relative_to(package).parts:
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _load_time_imports(path: Path) -> set[str]:
    """What a module imports while it loads: its top-level and class-level imports, not those inside functions nor
    under `if TYPE_CHECKING:`; `from M import N` names M and M.N (N may be a submodule)."""
    imported: set[str] = set()
    pending: list[ast.stmt] = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))
            pending.extend(stmt for handler in getattr(node, "handlers", []) for stmt in handler.body)
    return imported


def _modules_on_a_cycle(package: Path) -> list[str]:
    """The modules that lie on a cycle of load-time imports (importing a submodule loads its packages first).

    Only these can fail to import first because of a cycle: any other module that does enters the cycle at one of
    them, with nothing of the cycle loaded yet, as importing that one first does."""
    modules = _modules(package)

    def loads(name: str) -> set[str]:
        targets = set()
        for imported in _load_time_imports(modules[name]):
            parts = imported.split(".")
            targets.update(".".join(parts[:n]) for n in range(1, len(parts) + 1) if ".".join(parts[:n]) in modules)
        return targets - {name}

    graph = {name: loads(name) for name in modules}

    def reaches(start: str) -> set[str]:
        seen, stack = set(), list(graph[start])
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(graph[name])
        return seen

    return [name for name in modules if name in reaches(name)]


# Third-party packages the service imports: loaded once before the forks, as they cannot take part in a cycle of
# the service's own modules (they import none of them), and loading them is most of each interpreter's start-up.
THIRD_PARTY = ("web3", "eth_abi", "eth_account", "eth_utils", "sqlalchemy", "alembic", "fastapi", "starlette",
               "pydantic", "pydantic_settings", "typer", "rich", "httpx", "standardwebhooks", "xmlschema", "psycopg",
               "uvicorn", "solcx")  # fmt: skip
IMPORT_FIRST = """
import importlib, os, sys
for name in sys.argv[1].split(","):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
assert not [m for m in sys.modules if m.split(".")[0] in ("tradeledger", "reconciliation")], "preloaded the service"
failed = []
for module in sys.argv[2:]:
    child = os.fork()
    if child == 0:  # a fresh copy of an interpreter that has imported nothing of the service yet
        try:
            importlib.import_module(module)
        except BaseException:
            os._exit(1)
        os._exit(0)
    if os.waitpid(child, 0)[1] != 0:
        failed.append(module)
print(" ".join(failed))
"""


class TestNoImportCycles:
    def test_every_entry_module_imports_first_in_a_fresh_interpreter(self) -> None:
        """A cycle shows only when the import enters it at a particular module (the chaos drill entered one
        through the demo): each entry module is imported first, in a forked interpreter that has imported
        nothing of the service before it."""
        result = subprocess.run(
            [sys.executable, "-c", IMPORT_FIRST, ",".join(THIRD_PARTY), *_entry_modules()],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        assert result.stdout.strip() == "", f"modules that fail to import first: {result.stdout.strip()}"

    def test_every_module_on_an_import_cycle_imports_first_in_a_fresh_interpreter(self) -> None:
        """Entry modules are not the only doors: a test module (tests/cli/test_configuration_errors.py) imports
        tradeledger.chain.backends before anything else. Every module on a cycle of load-time imports is imported
        first; as no other module can fail where all of these pass, this covers importing any module first."""
        on_a_cycle = _modules_on_a_cycle(SERVICE_PACKAGE)
        assert "tradeledger.indexer.handlers" in on_a_cycle  # the package that imports its handlers, which import it
        result = subprocess.run(
            [sys.executable, "-c", IMPORT_FIRST, ",".join(THIRD_PARTY), *on_a_cycle],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        assert result.stdout.strip() == "", f"modules that fail to import first: {result.stdout.strip()}"

    def test_a_cycle_is_found(self, tmp_path: Path) -> None:
        """The check itself: a package whose modules import each other's names fails when entered at either."""
        package = tmp_path / "cyclic"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "a.py").write_text("from cyclic.b import B\nA = 1\n")
        (package / "b.py").write_text("from cyclic.a import A\nB = 2\n")
        result = subprocess.run(
            [sys.executable, "-c", IMPORT_FIRST, "json", "json", "cyclic.a", "cyclic.b"],
            capture_output=True, text=True, check=True, cwd=tmp_path,
        )  # fmt: skip
        assert result.stdout.split() == ["cyclic.a", "cyclic.b"]
        (package / "c.py").write_text("import json\nfrom cyclic import a\n\ndef late():\n    from cyclic import c\n")
        assert _modules_on_a_cycle(package) == ["cyclic.a", "cyclic.b"]  # c only enters the cycle
