"""The shape of the package, checked from its source text alone (ast; the package is never imported).

1. Size: no module in faqbot/ over MAX_MODULE_LINES lines, no function over MAX_FUNCTION_LINES
   (counted from the `def` line to the function's last line, docstring included; decorators not).
2. Layers: imports point only down core <- ingest <- search <- answer <- store <- doors <- evaluate.
   A module may import its own package or a package listed before it; store imports only core.
   The root `faqbot/__init__.py` is the public facade above every layer.
3. `bot/` stays a thin alias of `faqbot`: one small module.

An exception goes in one of the allow-lists below with the reason it is there; an entry that is
no longer needed fails the test too, so the lists only shrink.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "faqbot"
ALIAS = REPO / "bot"

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
MAX_ALIAS_LINES = 40

# Size exceptions: "faqbot/path.py" (a module) or "faqbot/path.py::Class.function" -> why.
SIZE_ALLOW_LIST: dict[str, str] = {}

LAYERS = ("core", "ingest", "search", "answer", "store", "doors", "evaluate")
# What each layer may import besides itself: every layer before it, except store (core only).
MAY_IMPORT: dict[str, frozenset[str]] = {layer: frozenset(LAYERS[:position]) for position, layer in enumerate(LAYERS)}
MAY_IMPORT["store"] = frozenset({"core"})

# Upward imports allowed inside functions only: (importing module or package, imported package) -> why.
LAYER_ALLOW_LIST: dict[tuple[str, str], str] = {
    ("faqbot.doors.cli", "faqbot.evaluate"): (
        "the CLI is the composition root: `faqbot eval` (and `--cv`) imports the evaluation lazily, "
        "inside the command's function"
    ),
}
# Names a layered module may take from the root facade: constants it defines itself (the other
# names it offers are re-exports from the layers, so importing them would hide an upward import).
ROOT_NAMES = frozenset({"__version__"})


# ---------------------------------------------------------------------------- reading the source


def modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def module_name(path: Path) -> str:
    """`faqbot/doors/http/app.py` -> `faqbot.doors.http.app`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method, nested ones too, with its qualified name (`Class.method.inner`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """From the `def` line (ast's lineno, after any decorators) to the last line, both included."""
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted and absolute
    line: int
    in_function: bool


def imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[Import]:
    """The faqbot/bot imports of one module, relative ones resolved; `from a import b` names a.b
    when b is a submodule we can see on disk, else a."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, in_function)
            elif isinstance(child, ast.ImportFrom):
                base = absolute(child, module, is_package)
                for alias in child.names:
                    yield Import(module, submodule(base, alias.name), child.lineno, in_function)
            yield from visit(child, inside)

    for found in visit(tree, False):
        if found.target.split(".")[0] in {"faqbot", "bot"}:
            yield found


def absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def submodule(base: str, name: str) -> str:
    """`from faqbot import store` imports faqbot.store; `from faqbot.store import Store` imports faqbot.store."""
    folder = REPO.joinpath(*base.split("."))
    candidate = f"{base}.{name}"
    if (folder / name / "__init__.py").is_file() or (folder / f"{name}.py").is_file():
        return candidate
    if base == "faqbot" and name in ROOT_NAMES:
        return "faqbot.__init__"  # a constant of the facade itself, not a re-export
    return base


def layer_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "faqbot" and parts[1] in LAYERS else None


def allowed_by(found: Import, entry: tuple[str, str]) -> bool:
    """Whether this LAYER_ALLOW_LIST entry covers the import (a function-level one only)."""
    importer, imported = entry
    return (
        found.in_function
        and (found.module == importer or found.module.startswith(f"{importer}."))
        and (found.target == imported or found.target.startswith(f"{imported}."))
    )


def layer_violation(found: Import) -> str | None:
    """Why this import breaks the layer order, or None when it does not."""
    source = layer_of(found.module)
    if source is None:
        return None  # the facade faqbot/__init__.py sits above the layers
    if found.target.split(".")[0] == "bot":
        return "the package imports its own former name `bot`"
    if found.target == "faqbot.__init__":
        return None
    target = layer_of(found.target)
    if target is None:
        return "imports the root facade `faqbot` (re-exports from every layer); import the defining module"
    if target == source or target in MAY_IMPORT[source]:
        return None
    if any(allowed_by(found, entry) for entry in LAYER_ALLOW_LIST):
        return None
    allowed = ", ".join(sorted(MAY_IMPORT[source])) or "nothing"
    return f"{source} may import only itself and {allowed}, not {target}"


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------------------- what is measured


@functools.cache
def oversized() -> list[tuple[str, str, int, int]]:
    """(key, kind, lines, limit) for every module and function over its limit, allowed or not."""
    found = []
    for path in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            found.append((relative(path), "module", lines, MAX_MODULE_LINES))
        for name, node in functions(parse(path)):
            length = function_lines(node)
            if length > MAX_FUNCTION_LINES:
                found.append((f"{relative(path)}::{name}", "function", length, MAX_FUNCTION_LINES))
    return found


@functools.cache
def package_imports() -> list[tuple[Import, str]]:
    """(import, file) for every faqbot/bot import in the package."""
    return [
        (found, relative(path))
        for path in modules()
        for found in imports(parse(path), module_name(path), path.name == "__init__.py")
    ]


def upward_imports() -> list[tuple[Import, str, str]]:
    """(import, file, why) for every import against the layer order, one per statement and target."""
    found: dict[Import, tuple[Import, str, str]] = {}
    for found_import, path in package_imports():
        why = layer_violation(found_import)
        if why:
            found.setdefault(found_import, (found_import, path, why))
    return list(found.values())


# ---------------------------------------------------------------------------- the tests


def test_no_module_or_function_over_its_size_limit() -> None:
    offenders = [row for row in oversized() if row[0] not in SIZE_ALLOW_LIST]
    if offenders:
        offenders.sort(key=lambda row: (row[1] != "module", -row[2]))
        rows = [(key, kind, str(lines), f"+{lines - limit}") for key, kind, lines, limit in offenders]
        pytest.fail(
            f"{len(offenders)} over the size limits (module {MAX_MODULE_LINES} lines, function "
            f"{MAX_FUNCTION_LINES} lines from `def` to its last line); split them, or add an entry "
            f"with its reason to SIZE_ALLOW_LIST in {relative(Path(__file__))}:\n\n"
            + table(rows, ("where", "kind", "lines", "over")),
            pytrace=False,
        )


def test_imports_point_down_the_layers() -> None:
    offenders = upward_imports()
    if offenders:
        rows = [
            (f"{path}:{found.line}", found.target, "function" if found.in_function else "module", why)
            for found, path, why in offenders
        ]
        pytest.fail(
            f"{len(offenders)} imports against the layer order {' <- '.join(LAYERS)}:\n\n"
            + table(rows, ("where", "imports", "level", "why")),
            pytrace=False,
        )


def test_the_allow_lists_hold_only_what_is_still_needed() -> None:
    over = {row[0] for row in oversized()}
    stale = [key for key in SIZE_ALLOW_LIST if key not in over]
    stale += [
        f"{entry[0]} -> {entry[1]}"
        for entry in LAYER_ALLOW_LIST
        if not any(allowed_by(found, entry) for found, _path in package_imports())
    ]
    assert not stale, f"allow-list entries no longer needed (remove them): {stale}"
    assert all(reason.strip() for reason in [*SIZE_ALLOW_LIST.values(), *LAYER_ALLOW_LIST.values()])


def test_bot_is_a_thin_alias() -> None:
    files = modules(ALIAS)
    assert [relative(path) for path in files] == ["bot/__init__.py"], "bot/ holds one module, its __init__.py"
    source = files[0].read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_ALIAS_LINES, f"bot/__init__.py is over {MAX_ALIAS_LINES} lines"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            for name in names:
                assert name.split(".")[0] in {"faqbot", "__future__", "typing"}, f"bot imports {name}"
    assert not [node for node in tree.body if isinstance(node, ast.ClassDef)], "bot/ defines no classes"


# ---------------------------------------------------------------------------- the checker itself


def _imports_of(source: str, module: str, is_package: bool = False) -> list[Import]:
    return list(imports(ast.parse(source), module, is_package))


def test_the_checker_resolves_relative_and_nested_imports() -> None:
    source = """
from __future__ import annotations
import os
from . import config
from ..search.index import build_index
import faqbot.answer.rules as rules

def later():
    from faqbot.evaluate import evaluation
"""
    found = _imports_of(source, "faqbot.core.text")
    assert [(item.target, item.in_function) for item in found] == [
        ("faqbot.core.config", False),
        ("faqbot.search.index", False),
        ("faqbot.answer.rules", False),
        ("faqbot.evaluate.evaluation", True),
    ]
    assert [layer_violation(item) is None for item in found] == [True, False, False, False]


def test_the_checker_allows_the_cli_composition_root_only_inside_functions() -> None:
    source = (
        "from faqbot.evaluate.evaluation import read_eval_file\ndef main():\n    from faqbot.evaluate import crossval\n"
    )
    top, inner = _imports_of(source, "faqbot.doors.cli")
    assert layer_violation(top) is not None
    assert layer_violation(inner) is None
    (other,) = _imports_of("def f():\n    from faqbot.evaluate import crossval\n", "faqbot.doors.slack")
    assert layer_violation(other) is not None
    (store,) = _imports_of("from faqbot.search.index import read_manifest\n", "faqbot.store._sql")
    assert "store may import only itself and core" in str(layer_violation(store))
    (root,) = _imports_of("from faqbot import FAQBot\n", "faqbot.core.config")
    assert "root facade" in str(layer_violation(root))
    (version,) = _imports_of("from faqbot import __version__\n", "faqbot.search.index")
    assert layer_violation(version) is None


def test_the_checker_counts_a_function_from_def_to_its_last_line() -> None:
    source = '@decorator\ndef f():\n    """Doc."""\n    x = 1\n\n    return x\n\nclass C:\n    def m(self):\n        def inner():\n            pass\n'
    lengths = {name: function_lines(node) for name, node in functions(ast.parse(source))}
    assert lengths == {"f": 5, "C.m": 3, "C.m.inner": 2}
