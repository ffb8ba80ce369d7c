"""The import graph of the ``zhongchuang`` package: no cycles, no other area's private names.

Read from the source with :mod:`ast`; nothing of the app is imported. Every ``import``
counts, at module level or inside a function (a function-level import only defers a cycle,
it does not remove it), except those under ``if TYPE_CHECKING:``, which never run. A
package's ``__init__`` is a module like any other: it importing its submodules, or a
submodule importing a name from its package, is an edge. Importing ``a.b.c`` is an edge to
``a.b.c`` only, not to the packages ``a`` and ``a.b`` that Python initialises on the way.

An *area* is a direct subpackage of ``zhongchuang`` (``services``, ``web``, ``api``,
``models``, ``workflow``, …) or a top-level module (``cli_ops``, ``uow``, …). A name starting
with ``_`` is private to its area: other areas neither import it nor read it as a module's
attribute.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "zhongchuang"
PACKAGE_DIR = Path(__file__).resolve().parents[2] / PACKAGE
#: Cycles listed per strongly connected component, at most (the component is named anyway).
MAX_CYCLES_SHOWN = 12


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    is_package: bool
    #: The import statements and the reads of private attributes that can run (see
    #: :func:`runtime_nodes`), each with whether it is inside a function.
    imports: tuple[tuple[ast.Import | ast.ImportFrom, bool], ...]
    private_attributes: tuple[ast.Attribute, ...]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    function_level: bool

    def where(self, modules: Mapping[str, Module]) -> str:
        level = "function-level" if self.function_level else "module-level"
        return f"{modules[self.source].path}:{self.line} ({level})"


# --- reading the package ---------------------------------------------------------------


def parse_sources(sources: Mapping[str, str]) -> dict[str, Module]:
    """Modules from ``{path relative to the package's parent: source}``."""
    modules: dict[str, Module] = {}
    for path, source in sources.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        imports: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        attributes: list[ast.Attribute] = []
        for node, in_function in runtime_nodes(ast.parse(source, filename=path)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                imports.append((node, in_function))
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                attributes.append(node)
        modules[name] = Module(name, path, is_package, tuple(imports), tuple(attributes))
    return modules


@functools.cache
def package_modules(package_dir: Path = PACKAGE_DIR) -> dict[str, Module]:
    """The package's modules, read once for all the tests (do not change the answer)."""
    root = package_dir.parent
    return parse_sources(
        {
            path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(package_dir.rglob("*.py"))
        }
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_nodes(tree: ast.AST) -> Iterable[tuple[ast.AST, bool]]:
    """Every node that can run, with whether it is inside a function; the bodies of
    ``if TYPE_CHECKING:`` (and the ``else`` of ``if not TYPE_CHECKING:``) left out."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        yield node, in_function
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        if isinstance(node, ast.If):
            test = node.test
            negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            if _is_type_checking(test.operand if negated else test):
                kept = node.body if negated else node.orelse
                stack.extend((child, inner) for child in reversed(kept))
                continue
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def _from_base(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module an ``from … import`` reads from."""
    if node.level == 0:
        return node.module or ""
    parts = module.name.split(".")
    if not module.is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _owner(name: str, modules: Mapping[str, Module]) -> str | None:
    """The module of the package that ``name`` (a dotted module or attribute path) is in."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


@dataclass(frozen=True)
class ImportedName:
    """One name an import statement brings in: ``module`` is where it is defined (or the
    module itself, when the name is a module)."""

    importer: str
    module: str
    name: str | None
    line: int
    function_level: bool


def imported_names(module: Module, modules: Mapping[str, Module]) -> Iterable[ImportedName]:
    for node, in_function in module.imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _owner(alias.name, modules)
                if target:
                    yield ImportedName(module.name, target, None, node.lineno, in_function)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, node)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:  # ``from pkg import submodule``
                    yield ImportedName(module.name, full, None, node.lineno, in_function)
                elif target := _owner(base, modules):
                    name = None if alias.name == "*" else alias.name
                    yield ImportedName(module.name, target, name, node.lineno, in_function)


def import_graph(modules: Mapping[str, Module]) -> dict[str, dict[str, Edge]]:
    """``{module: {imported module: the first edge seen}}``; a function-level edge is
    replaced by a module-level one of the same pair, which is the one to remove first."""
    graph: dict[str, dict[str, Edge]] = {name: {} for name in modules}
    for module in modules.values():
        for imp in imported_names(module, modules):
            if imp.module == module.name:
                continue
            edge = Edge(module.name, imp.module, imp.line, imp.function_level)
            seen = graph[module.name].get(imp.module)
            if seen is None or (seen.function_level and not edge.function_level):
                graph[module.name][imp.module] = edge
    return graph


# --- cycles ----------------------------------------------------------------------------


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module (or a module importing itself),
    each sorted; iterative, so a deep graph does not hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        found.append(sorted(component))
    return sorted(found)


def elementary_cycles(
    graph: Mapping[str, Iterable[str]], component: list[str], limit: int = MAX_CYCLES_SHOWN
) -> list[list[str]]:
    """Simple cycles inside one component, each starting at its smallest module, shortest
    first, at most ``limit``."""
    members = set(component)
    cycles: list[list[str]] = []
    for start in sorted(component):
        allowed = {m for m in members if m >= start}
        path = [start]
        todo: list[Iterable[str]] = [iter(sorted(set(graph[start]) & allowed))]
        while todo and len(cycles) < limit * 4:
            for child in todo[-1]:
                if child == start:
                    cycles.append([*path, start])
                elif child not in path:
                    path.append(child)
                    todo.append(iter(sorted(set(graph[child]) & allowed)))
                    break
            else:
                todo.pop()
                path.pop()
    cycles.sort(key=lambda c: (len(c), c))
    return cycles[:limit]


def describe_cycles(graph: Mapping[str, Mapping[str, Edge]], modules: Mapping[str, Module]) -> str:
    lines: list[str] = []
    for component in strongly_connected(graph):
        lines.append(f"{len(component)} modules import each other: {', '.join(component)}")
        for cycle in elementary_cycles(graph, component):
            lines.append("  " + " → ".join(cycle))
            for a, b in zip(cycle, cycle[1:], strict=False):
                lines.append(f"      {a} → {b}: {graph[a][b].where(modules)}")
    return "\n".join(lines)


# --- private names across areas ---------------------------------------------------------


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_module(module: str) -> bool:
    return any(_private(part) for part in module.split(".")[1:])


def _attribute_chain(node: ast.Attribute) -> list[str] | None:
    chain: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        chain.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    chain.append(current.id)
    return chain[::-1]


def private_reaches(modules: Mapping[str, Module]) -> list[str]:
    """Imports of, and ``module._name`` reads of, another area's private names."""
    found: list[str] = []
    for module in modules.values():
        mine = area(module.name)

        def foreign(target: str, here: str = mine) -> bool:
            return area(target) != here

        bound: dict[str, str] = {}  # local name -> module of the package it stands for
        for node, _ in module.imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _owner(alias.name, modules)
                    if target and foreign(target) and _private_module(target):
                        found.append(f"{module.path}:{node.lineno} imports {target}")
                    if target is None:
                        continue
                    if alias.asname:
                        if alias.name in modules:
                            bound[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        if top in modules:
                            bound[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = _from_base(module, node)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in modules:
                        bound[alias.asname or alias.name] = full
                        if foreign(full) and _private_module(full):
                            found.append(f"{module.path}:{node.lineno} imports {full}")
                        continue
                    target = _owner(base, modules)
                    if target is None or not foreign(target):
                        continue
                    if _private(alias.name) or _private_module(target):
                        found.append(f"{module.path}:{node.lineno} imports {target}.{alias.name}")
        for node in module.private_attributes:
            chain = _attribute_chain(node)
            if chain is None or chain[0] not in bound:
                continue
            target = bound[chain[0]]
            for part in chain[1:-1]:  # ``zhongchuang.cases.engine._x``
                if f"{target}.{part}" not in modules:
                    target = ""
                    break
                target = f"{target}.{part}"
            if target and foreign(target):
                found.append(f"{module.path}:{node.lineno} reads {target}.{node.attr}")
    return sorted(set(found))


# --- the tests -------------------------------------------------------------------------


def test_no_module_of_the_package_takes_part_in_an_import_cycle() -> None:
    modules = package_modules()
    assert {"zhongchuang", "zhongchuang.cases.engine", "zhongchuang.web"} <= set(modules)
    graph = import_graph(modules)
    assert sum(map(len, graph.values())) > 100, "the graph lost its edges"
    cycles = describe_cycles(graph, modules)
    assert not cycles, "import cycles (break one edge of each):\n" + cycles


def test_no_area_imports_or_reads_another_areas_private_names() -> None:
    reaches = private_reaches(package_modules())
    assert reaches == [], "private names used across areas:\n" + "\n".join(reaches)


SYNTHETIC = {
    "app/__init__.py": "from app import views\n",
    "app/views.py": (
        "from typing import TYPE_CHECKING\n"
        "from .services import orders\n"
        "if TYPE_CHECKING:\n"
        "    from app.services.mail import Mailer\n"
    ),
    "app/services/__init__.py": "",
    "app/services/orders.py": (
        "from app.services.stock import _local, reserve\n"  # its own area's: allowed
        "def after():\n"
        "    from . import mail\n"
    ),
    "app/services/stock.py": "import app.services.orders as orders\nfrom app.lib import _fmt\n",
    "app/services/mail.py": "from app.views import render\n",
    "app/lib.py": "import app.services.stock\nx = app.services.stock._hold\n",
}


def test_the_detector_finds_cycles_and_private_reaches_in_a_synthetic_package() -> None:
    modules = parse_sources(SYNTHETIC)
    graph = import_graph(modules)
    assert set(graph["app"]) == {"app.views"}
    assert set(graph["app.views"]) == {"app.services.orders"}  # TYPE_CHECKING left out
    assert set(graph["app.services.orders"]) == {"app.services.stock", "app.services.mail"}
    assert graph["app.services.orders"]["app.services.mail"].function_level
    assert set(graph["app.services.stock"]) == {"app.services.orders", "app.lib"}

    assert strongly_connected(graph) == [
        ["app.lib", "app.services.mail", "app.services.orders", "app.services.stock", "app.views"]
    ]
    cycles = elementary_cycles(graph, strongly_connected(graph)[0])
    assert ["app.services.orders", "app.services.stock", "app.services.orders"] in cycles
    assert [
        "app.services.mail",
        "app.views",
        "app.services.orders",
        "app.services.mail",
    ] in cycles
    text = describe_cycles(graph, modules)
    assert "app.services.orders → app.services.stock → app.services.orders" in text
    assert "app/services/orders.py:3 (function-level)" in text

    # One edge less (the function-level mail import) and one cycle is gone, not the other.
    del graph["app.services.orders"]["app.services.mail"]
    assert strongly_connected(graph) == [["app.lib", "app.services.orders", "app.services.stock"]]
    acyclic = {"a": {"b", "c"}, "b": {"c"}, "c": set()}
    assert strongly_connected(acyclic) == []
    assert strongly_connected({"a": {"a"}}) == [["a"]]

    assert private_reaches(modules) == [
        "app/lib.py:2 reads app.services.stock._hold",
        "app/services/stock.py:2 imports app.lib._fmt",
    ]
