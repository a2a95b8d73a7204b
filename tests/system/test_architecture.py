"""The house as the README draws it: which room may import which, and no import circles.

Every import statement of the production code is read (also those inside functions);
`from a.b import c` is an arrow to the module a.b.c when there is one, else to a.b.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("fieldapp", "sync", "storage")


def _modules():
    """{dotted module name: its file} of the production code."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _arrows(module, path):
    """The modules of this project that `module` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _known(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                yield from _known(target if target in MODULES else base)


def _known(name):
    """The project module `name` names (or its nearest package), if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    if name:
        yield name


GRAPH = {module: sorted(set(_arrows(module, path)) - {module})
         for module, path in MODULES.items()}


def _room(module):
    """The room a module lives in: storage, sync, forms, views, cli, or app (the rest)."""
    parts = module.split(".")
    if parts[0] in ("storage", "sync"):
        return parts[0]
    if len(parts) > 1 and parts[1] in ("forms", "views", "cli"):
        return parts[1]
    if module == "fieldapp.__main__":          # `python -m fieldapp`: the command line
        return "cli"
    return "app"


# which rooms each room may import (itself always): data flows one way, rules and
# storage at the bottom, the pages and the command line at the top
MAY_IMPORT = {
    "storage": set(),
    "forms": set(),
    "sync": {"storage", "forms"},
    "app": {"storage", "forms", "sync"},
    "views": {"storage", "forms", "sync", "app"},
    "cli": {"storage", "forms", "sync", "app"},
}


def test_every_room_imports_only_the_rooms_below_it():
    wrong = [f"{module} -> {target}"
             for module, targets in GRAPH.items() for target in targets
             if _room(target) != _room(module)
             and _room(target) not in MAY_IMPORT[_room(module)]
             and not (module == "fieldapp" and _room(target) == "views")]   # create_app
    assert wrong == []


def test_the_rules_need_no_web_framework():
    for module, path in MODULES.items():
        if _room(module) in ("forms", "storage", "sync"):
            imported = {alias.name.split(".")[0]
                        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                        if isinstance(node, (ast.Import, ast.ImportFrom))
                        for alias in (node.names if isinstance(node, ast.Import)
                                      else [ast.alias(node.module or "")])}
            assert not imported & {"flask", "flask_wtf", "wtforms", "click", "jinja2"}, module


def _circles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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


def test_no_module_imports_itself_through_others():
    assert _circles(GRAPH) == []


@pytest.mark.parametrize("graph, circles", [
    ({"a": ["b"], "b": ["a"], "c": ["a"]}, [["a", "b"]]),
    ({"a": ["b"], "b": ["c"], "c": []}, []),
    ({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"]}, [["a", "b", "c"]]),
])
def test_the_circle_finder_finds_circles(graph, circles):
    assert _circles(graph) == circles


def test_the_import_reader_sees_the_arrows_it_must_judge():
    assert "fieldapp.forms.rules" in GRAPH["fieldapp.forms.versions"]       # from-import
    assert "sync.transfer" in GRAPH["fieldapp.cli.transfer"]               # in a function
    assert "fieldapp.views.commune.batches" in GRAPH["fieldapp.views.commune"]   # from pkg
    assert all(target in MODULES for targets in GRAPH.values() for target in targets)
