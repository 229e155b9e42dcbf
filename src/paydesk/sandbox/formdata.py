"""Stripe's form encoding: `a[b]=1`, `a[0][c]=2`, `a[]=x` into nested dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from paydesk.sandbox.errors import InvalidRequest

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_MAX_DEPTH = 8


def parse(raw: str | bytes) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _assign(root, _path(key), value)
    return _listify(root)  # type: ignore[no-any-return]


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
        if last:
            node[segment] = value
            return
        child = node.get(segment)
        if not isinstance(child, dict):
            if isinstance(child, str) and child != "":
                raise InvalidRequest(f"Invalid parameter: {path[0]}", param=path[0])
            child = {}
            node[segment] = child
        node = child


def _listify(value: Any) -> Any:
    """Dicts keyed only by integers become lists (Stripe arrays), recursively."""
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items
