"""The policy package imports neither Flask nor the database models (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "zhongchuang" / "policy"
FORBIDDEN = (
    "flask",
    "flask_sqlalchemy",
    "flask_login",
    "flask_wtf",
    "flask_babel",
    "sqlalchemy",
    "werkzeug",
    "zhongchuang.models",
    "zhongchuang.extensions",
    "zhongchuang.services",
    "zhongchuang.cases",
    "zhongchuang.review",
    "zhongchuang.roster",
    "zhongchuang.notices",
    "zhongchuang.documents",
    "zhongchuang.accounts",
    "zhongchuang.messages",
    "zhongchuang.catalogue",
    "zhongchuang.public",
    "zhongchuang.stats",
    "zhongchuang.admin",
    "zhongchuang.audit",
    "zhongchuang.ops",
    "zhongchuang.runtime",
    "zhongchuang.uow",
    "zhongchuang.web",
    "zhongchuang.api",
)
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("zhongchuang.policy")  # relative: stays inside the package
                continue
            module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            names.update(
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            )
    return names


def test_the_package_has_modules_to_check() -> None:
    assert {p.name for p in MODULES} >= {"catalogue.py", "evaluate.py", "rules.py", "roster.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_policy_module_imports_flask_or_the_models(path: Path) -> None:
    bad = {
        name
        for name in imported_names(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert bad == set(), f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_policy_module_reads_the_wall_clock(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for call in ("date.today(", "datetime.now(", "datetime.utcnow(", "time.time("):
        assert call not in source, f"{path.name} calls {call}…) — use the as-of date"
