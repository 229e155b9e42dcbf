"""Stripe's list envelope and cursor pagination, newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest, ResourceMissing
from paydesk.sandbox.params import get_dict, get_int, get_str

_RANGE_OPS = {
    "gt": lambda v, x: v > x,
    "gte": lambda v, x: v >= x,
    "lt": lambda v, x: v < x,
    "lte": lambda v, x: v <= x,
}


def one_page(data: list[Obj], url: str, *, counted: bool = False) -> Obj:
    """A list Stripe returns whole (a customer's sources, an invoice's lines, a list embedded
    in its object): one page, no more; `counted` adds the total_count some of them carry."""
    page: Obj = {"object": "list", "data": data, "has_more": False}
    if counted:
        page["total_count"] = len(data)
    page["url"] = url
    return page


def range_filter(params: dict[str, Any], name: str) -> Callable[[Obj], bool] | None:
    """`created=123` or `created[gte]=…&created[lt]=…` as a predicate on obj[name]."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        exact = get_int(params, name)
        return lambda obj: obj.get(name) == exact
    bounds = get_dict(params, name) or {}
    checks: list[tuple[Callable[[int, int], bool], int]] = []
    for op in bounds:
        if op not in _RANGE_OPS:
            raise InvalidRequest(
                f"Invalid {name}[{op}]: use gt, gte, lt or lte", param=f"{name}[{op}]"
            )
        number = get_int(bounds, op)
        assert number is not None
        checks.append((_RANGE_OPS[op], number))
    return lambda obj: all(check(obj.get(name) or 0, bound) for check, bound in checks)


def equals(field: str, value: object) -> Callable[[Obj], bool] | None:
    """`obj.get(field) == value` as a predicate, or None (no filter) for a parameter not given."""
    if value is None or value == "":
        return None
    return lambda obj: obj.get(field) == value


def both(*predicates: Callable[[Obj], bool] | None) -> Callable[[Obj], bool] | None:
    active = [p for p in predicates if p is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    return lambda obj: all(p(obj) for p in active)


def paginate(
    account: Account,
    kind: str,
    params: dict[str, Any],
    url: str,
    keep: Callable[[Obj], bool] | None = None,
) -> dict[str, Any]:
    """A page of `kind` objects, newest first, honouring limit/starting_after/ending_before and
    `created` ranges; `keep` narrows further (e.g. by customer)."""
    limit = get_int(params, "limit")
    if limit is None:
        limit = 10
    if not 1 <= limit <= 100:
        raise InvalidRequest(
            f"This value must be between 1 and 100 (it currently is {limit}).", param="limit"
        )
    keep = both(keep, range_filter(params, "created"))
    after = get_str(params, "starting_after")
    before = get_str(params, "ending_before")
    ids = account.ids_of(kind)
    if after:
        start = _cursor(account, kind, after, "starting_after")
        candidates = range(start - 1, -1, -1)  # older than the cursor, newest first
    elif before:
        start = _cursor(account, kind, before, "ending_before")
        candidates = range(start + 1, len(ids))  # newer than the cursor, nearest first
    else:
        candidates = range(len(ids) - 1, -1, -1)
    page: list[Obj] = []
    has_more = False
    for i in candidates:
        obj = account.find(ids[i])
        if obj is None or obj.get("deleted") or (keep is not None and not keep(obj)):
            continue
        if len(page) == limit:
            has_more = True
            break
        page.append(obj)
    if before and not after:
        page.reverse()
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _cursor(account: Account, kind: str, obj_id: str, param: str) -> int:
    pos = account.position(obj_id)
    obj = account.find(obj_id)
    if pos is None or obj is None or obj.get("object") != kind:
        raise ResourceMissing(kind, obj_id, param=param)
    return pos
