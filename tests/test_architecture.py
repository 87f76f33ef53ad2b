"""ARCHITECTURE.md kept true: no import cycle, the core knows nothing of the faces, modules and
functions stay small. Read from the source (the AST), every import counted, lazy ones too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "searchsvc"
FACES = ("searchsvc.web", "searchsvc.cli", "searchsvc.server")  # and what only they may use:
FACE_LIBRARIES = ("flask", "werkzeug", "click", "waitress", "jinja2")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules (and outside libraries) ``name`` imports, at any depth."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            out.add(base)
            out.update(
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known
            )
    return {m for m in out if m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def is_face(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FACES)


def test_no_import_cycle():
    full = graph()
    deps = {name: {m for m in found if m in full} for name, found in full.items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node) :] + [node]
            pytest.fail("import cycle: " + " → ".join(cycle))
        if node in done:
            return
        for dep in sorted(deps[node]):
            # a package's own __init__ importing its modules is not a cycle back to itself
            if not dep.startswith(node + "."):
                visit(dep, [*path, node])
        done.add(node)

    for name in sorted(deps):
        visit(name, [])


def test_the_core_knows_nothing_of_the_faces():
    wrong = []
    for name, deps in graph().items():
        if is_face(name):
            continue
        for dep in deps:
            if is_face(dep) or dep.split(".")[0] in FACE_LIBRARIES:
                wrong.append(f"{name} imports {dep}")
    assert not wrong, wrong


def test_modules_and_functions_stay_small():
    big = []
    for name, path in modules().items():
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > MAX_MODULE_LINES:
            big.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    big.append(f"{name}.{node.name}: {length} lines")
    assert not big, big


def test_architecture_md_lists_every_module_and_what_it_imports():
    """The module map in ARCHITECTURE.md is true: every module has its row, and imports only
    what its row's last column allows."""
    doc = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0].endswith("`"):
            allowed = {c.strip() for c in cells[2].split(",") if c.strip() not in ("", "—")}
            rows["searchsvc." + cells[0].strip("`")] = {f"searchsvc.{a}" for a in allowed}
    full = graph()
    missing = sorted(set(full) - set(rows) - {"searchsvc"})
    assert not missing, f"not in ARCHITECTURE.md: {missing}"
    wrong = []
    for name, deps in full.items():
        inside = {
            d for d in deps if d in full and d != "searchsvc" and not d.startswith(name + ".")
        }
        if extra := sorted(inside - rows.get(name, set())):
            wrong.append(f"{name} imports {extra}, which ARCHITECTURE.md does not allow")
    assert not wrong, wrong
