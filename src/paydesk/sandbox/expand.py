"""`expand[]`: replace ids by the objects they name, along dotted paths (`data.` inside lists).

Stored objects hold ids; expansion works on a copy of the response, never on the stored state.
Fields that are not ids (like a Checkout Session's `line_items`) register a builder in `VIRTUAL`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paydesk.sandbox.account import Account, Obj, snapshot
from paydesk.sandbox.errors import InvalidRequest

MAX_DEPTH = 4
MAX_PATHS = 20

# (object type, field) -> builds the expanded value from the object.
VIRTUAL: dict[tuple[str, str], Callable[[Account, Obj], Any]] = {}


def check_paths(paths: Any) -> list[str]:
    """The `expand` parameter as a list of paths, refused before the endpoint runs (like any
    validation, so a refusal changes nothing and is not kept for an Idempotency-Key)."""
    if paths is None or paths == "":
        return []
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list):
        raise InvalidRequest("Invalid expand: must be a list of strings", param="expand")
    if len(paths) > MAX_PATHS:
        # Each path can walk lists of objects: without a cap one call could ask for any amount
        # of work.
        raise InvalidRequest(
            f"You cannot expand more than {MAX_PATHS} properties in a single request.",
            param="expand",
        )
    for path in paths:
        if not isinstance(path, str) or not path:
            raise InvalidRequest("Invalid expand: must be a list of strings", param="expand")
        if path.count(".") >= MAX_DEPTH:
            raise InvalidRequest(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
    return paths


def expand(account: Account, obj: Obj, paths: list[str]) -> Obj:
    """`obj` with `paths` (already through check_paths) expanded, on a copy."""
    if not paths:
        return obj
    result: Obj = snapshot(obj)
    for path in paths:
        _walk(account, result, path.split("."), path)
    return result


def _walk(account: Account, node: Any, segments: list[str], path: str) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(account, item, segments, path)
        return
    if not isinstance(node, dict):
        return
    key, rest = segments[0], segments[1:]
    builder = VIRTUAL.get((str(node.get("object")), key))
    if builder is not None:
        node[key] = builder(account, node)
    elif key not in node:
        raise _not_expandable(path, key)
    value = node[key]
    if isinstance(value, str):
        target = account.find(value)
        if target is None:
            raise _not_expandable(path, key)
        node[key] = value = snapshot(target)
    elif (value is not None and not rest and builder is None) and (
        not isinstance(value, dict) or "id" not in value
    ):
        raise _not_expandable(path, key)  # only ids (or already-expanded objects) expand
    if rest and value is not None:
        _walk(account, value, rest, path)


def _not_expandable(path: str, key: str) -> InvalidRequest:
    return InvalidRequest(f"This property cannot be expanded ({key}).", param="expand")
