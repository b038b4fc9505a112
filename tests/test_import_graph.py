"""The layers and the import graph of bot/, handlers/ and storage/, read from the
source with ast (nothing is imported): storage never imports handlers or bot,
handlers never import bot, and no modules import each other in a cycle.

Cycles are looked for among the imports run when a module loads (at module level,
outside ``if TYPE_CHECKING:``), a submodule's import counting its packages' too: a
function's own import runs later and cannot deadlock start-up. The layer rule
counts every import, those too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")
# Who may import whom: a layer imports only the layers below it.
BELOW = {"bot": {"handlers", "storage"}, "handlers": {"storage"}, "storage": set()}


def module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:  # Alembic loads these by path, one at a time
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            files[name] = path
    return files


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, module: str, is_package: bool):
    """(imported name, at load time) for every import in the module; "from a.b import
    c" names a.b.c (the caller keeps it if that is a module, else a.b)."""

    def walk(nodes, at_load: bool):
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, at_load
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    yield f"{base}.{alias.name}", at_load
            elif isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.body, False)
                yield from walk(node.orelse, at_load)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(ast.iter_child_nodes(node), False)
            else:
                yield from walk(ast.iter_child_nodes(node), at_load)

    yield from walk(tree.body, True)


def _resolve(imported: str, files: dict[str, Path]) -> str | None:
    """The project module an imported name loads: the longest prefix that is one."""
    parts = imported.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in files:
            return name
    return None


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(every import, imports at load time) between the project's modules."""
    files = module_files()
    every: dict[str, set[str]] = {name: set() for name in files}
    at_load: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for imported, loading in _imports(tree, name, path.name == "__init__.py"):
            target = _resolve(imported, files)
            if target is None or target == name:
                continue
            every[name].add(target)
            if loading:
                at_load[name].add(target)
                at_load[name].update(_parents_run_first(name, target, files))
    return every, at_load


def _parents_run_first(name: str, target: str, files: dict[str, Path]) -> set[str]:
    """The packages whose __init__ loading ``target`` runs first: "from a.b.c import x"
    runs a.b's __init__, and whatever that imports, before a.b.c. A package the
    importer is itself in has started loading already, so it does not run again."""
    parts = target.split(".")
    parents = {".".join(parts[:end]) for end in range(1, len(parts))}
    return {
        parent
        for parent in parents
        if parent in files and parent != name and not name.startswith(parent + ".")
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    _every, at_load = import_graph()
    assert len(at_load) > 100  # every module was read
    assert cycles(at_load) == []


def test_each_layer_imports_only_the_layers_below():
    every, _at_load = import_graph()
    wrong = sorted(
        (name, imported)
        for name, imports in every.items()
        for imported in imports
        if imported.split(".")[0] != name.split(".")[0]
        and imported.split(".")[0] not in BELOW[name.split(".")[0]]
    )
    assert wrong == []


def test_the_checks_see_a_cycle_and_a_wrong_layer():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse("from storage import kpis\nif TYPE_CHECKING:\n    import bot.app\n")
    assert list(_imports(tree, "storage.x", False)) == [
        ("storage.kpis", True),
        ("bot.app", False),
    ]
    files = {"storage": Path(), "storage.kpis": Path()}
    assert _resolve("storage.kpis.Scope", files) == "storage.kpis"
    assert _resolve("storage.nothing", files) == "storage" and _resolve("os", files) is None
