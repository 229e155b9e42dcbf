"""Stripe's form encoding: `a[b]=1`, `a[0][c]=2`, `a[]=x` into nested dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from paydesk.sandbox.errors import InvalidRequest

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_MAX_DEPTH = 8
_MAX_INDEX_DIGITS = 10


def parse(raw: str | bytes) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _assign(root, _path(key), value)
    # Only nested values become lists: a body of `0=x` is a parameter named "0" (which the
    # endpoint then refuses as unknown), never a list in place of the parameters.
    return {key: _listify(value) for key, value in root.items()}


def _path(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    segments = _SEGMENT.findall("[" + rest)
    if len(segments) > _MAX_DEPTH or not head:
        raise InvalidRequest(f"Invalid parameter name: {key}", param=key)
    return [head, *segments]


def _assign(node: dict[str, Any], path: list[str], value: str) -> None:
    for i, segment in enumerate(path):
        last = i == len(path) - 1
        if segment == "":  # `a[]=x`: append, keyed by arrival order
            segment = str(len(node))
        child = node.get(segment)
        if last:
            if isinstance(child, dict):
                # `a[b]=1&a=2`: a value cannot replace a hash (it used to, silently).
                raise _mixed(path, i)
            node[segment] = value
            return
        if not isinstance(child, dict):
            if isinstance(child, str) and child != "":
                raise _mixed(path, i)
            child = {}
            node[segment] = child
        node = child


def _mixed(path: list[str], i: int) -> InvalidRequest:
    name = path[0] + "".join(f"[{segment}]" for segment in path[1 : i + 1])
    return InvalidRequest(
        f"Invalid {name}: it was sent both as a value and as a hash or array.", param=name
    )


def _index(key: str) -> bool:
    # ASCII digits only (str.isdigit accepts "²", which int() refuses), and short: a 5,000
    # digit "index" is a plain key, not a list position to convert.
    return key.isascii() and key.isdigit() and len(key) < _MAX_INDEX_DIGITS


def _listify(value: Any) -> Any:
    """Dicts keyed only by integers become lists (Stripe arrays), in index order, recursively."""
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(_index(k) for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items
