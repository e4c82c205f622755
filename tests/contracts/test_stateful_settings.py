"""The stateful contract tests share one hypothesis settings block (`helpers.stateful_settings`): a change to how
they draw (reproducibility, deadlines, health checks) is made once and holds for all of them."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.contracts.helpers import stateful_settings

STATEFUL = sorted(Path(__file__).parent.glob("test_*stateful*.py"))


def _called(path: Path) -> set[str]:
    """The names of the functions a module calls by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_every_stateful_test_uses_the_shared_settings() -> None:
    assert len(STATEFUL) >= 7
    assert [path.name for path in STATEFUL if "settings" in _called(path)] == []
    assert [path.name for path in STATEFUL if "stateful_settings" not in _called(path)] == []


def test_the_shared_settings_are_reproducible() -> None:
    drawn = stateful_settings(3, steps=5)
    assert (drawn.max_examples, drawn.stateful_step_count) == (3, 5)
    assert drawn.derandomize and drawn.database is None and drawn.deadline is None
