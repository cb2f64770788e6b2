"""The engine package's public surface: what the HTTP layer imports, and nothing impure."""

from __future__ import annotations

import ast
from pathlib import Path

import questline_mock.engine as engine

ENGINE_DIR = Path(engine.__file__).parent


def test_all_names_exist_once() -> None:
    assert len(set(engine.__all__)) == len(engine.__all__)
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_core_action_handlers_and_processors_are_registered_in_order() -> None:
    assert {"grant_xp", "grant_currency"} <= set(engine.ACTION_HANDLERS)
    modules = [p.__module__.rsplit(".", 1)[-1] for p in engine.EVENT_PROCESSORS]
    order = ["badges", "quests", "streaks", "leaderboards"]
    assert [m for m in modules if m in order] == sorted(
        (m for m in modules if m in order), key=order.index
    )


def test_the_engine_imports_no_web_or_sql_and_reads_no_clock() -> None:
    for path in ENGINE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None) or ""
                assert not any(n.split(".")[0] in {"flask", "sqlite3"} for n in [module, *names])
            if isinstance(node, ast.Attribute) and node.attr in {"utcnow", "today"}:
                raise AssertionError(f"{path.name} reads the wall clock")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "now"
                and isinstance(node.value, ast.Name)
                and node.value.id == "datetime"
            ):
                raise AssertionError(f"{path.name} reads the wall clock")
