"""The shop's code keeps the shape src/paydesk/README.md promises: small functions, and imports
at module level (an import inside a function usually hides a cycle the layers contract forbids).
"""

from __future__ import annotations

import ast
from pathlib import Path

from paydesk.webhooks.dispatch import EVENT_TYPES

SRC = Path(__file__).resolve().parents[2] / "src" / "paydesk"
MAX_FUNCTION_LINES = 60
MAX_INNER_IMPORTS = 5  # in all of src/, the sandbox included


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _trees() -> dict[Path, ast.AST]:
    return {path: ast.parse(path.read_text()) for path in SRC.rglob("*.py")}


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = [
        f"{path.relative_to(SRC)}:{fn.lineno} {fn.name} ({fn.end_lineno - fn.lineno + 1} lines)"
        for path, tree in _trees().items()
        # A migration is a written-out schema.
        if "migrations" not in path.parts
        for fn in _functions(tree)
        if (fn.end_lineno or fn.lineno) - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_imports_stay_at_module_level() -> None:
    inner = sorted({
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path, tree in _trees().items()
        for fn in _functions(tree)
        for node in ast.walk(fn)
        if isinstance(node, ast.Import | ast.ImportFrom)
    })
    assert len(inner) <= MAX_INNER_IMPORTS, inner


def test_no_shop_module_imports_another_modules_private_names() -> None:
    """`from paydesk.x import _name` reaches into x's insides: what two modules share gets a
    public name in a module of its own (as checkout/cart.py does for checkout and payments)."""
    private = sorted(
        f"{path.relative_to(SRC)} {node.module}.{alias.name}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("paydesk")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    )
    assert private == []


def test_stripe_event_names_appear_only_in_dispatch() -> None:
    """Events are parsed into typed objects in webhooks/dispatch.py; other code matches on
    those objects, never on a type string."""
    named = sorted(
        f"{path.relative_to(SRC)}:{node.lineno} {node.value}"
        for path, tree in _trees().items()
        if "sandbox" not in path.parts and path != SRC / "webhooks" / "dispatch.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in EVENT_TYPES
    )
    assert named == []
