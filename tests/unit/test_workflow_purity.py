"""The workflow package stays free of Flask and of the SQLAlchemy models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "zhongchuang" / "workflow"
FORBIDDEN = (
    "flask",
    "flask_",
    "werkzeug",
    "sqlalchemy",
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
    "zhongchuang.forms",
)


def _imports(source: str) -> list[str]:
    """Absolute names of every module imported by a module of the package (relative
    imports resolved against ``zhongchuang.workflow``)."""
    package = ["zhongchuang", "workflow"]
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f if f.endswith("_") else f + ".") for f in FORBIDDEN)


SOURCES = sorted(PACKAGE.glob("**/*.py"))


def test_the_package_has_modules() -> None:
    assert {p.name for p in SOURCES} >= {
        "machine.py",
        "guards.py",
        "budget.py",
        "calendar.py",
        "audit.py",
        "letters.py",
    }


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_workflow_module_imports_neither_flask_nor_models(path: Path) -> None:
    bad = [name for name in _imports(path.read_text(encoding="utf-8")) if _forbidden(name)]
    assert bad == [], f"{path.name} imports {bad}"


def test_the_import_scan_catches_forbidden_imports() -> None:
    source = (
        "import flask\nfrom flask_login import current_user\nfrom ..models import case\n"
        "from zhongchuang.models.case import Case\nfrom sqlalchemy.orm import Session\n"
    )
    names = _imports(source)
    assert "zhongchuang.models" in names
    assert sum(_forbidden(n) for n in names) >= 5
    assert not any(_forbidden(n) for n in _imports("from .machine import STATES\nimport json\n"))
