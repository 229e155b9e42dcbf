"""`GET /v1/{customers,charges,payment_intents,prices,products}/search`: Stripe's search query
language — `field:'value'`, `field~'sub'`, `amount>1000`, `metadata['key']:'v'`, `-` to negate,
clauses joined by AND or OR (never both) — over the account's objects, newest first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.params import check_known, get_int, get_str, req_str
from paydesk.sandbox.routing import Call, api

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
    (?P<field>[a-z_][a-z0-9_.]*(?:\[\s*'[^']*'\s*\]|\[\s*"[^"]*"\s*\])?)
    \s*(?P<op>:|~|>=|<=|>|<)\s*
    (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?|null)\s*""",
    re.VERBOSE | re.IGNORECASE,
)
_JOINER = re.compile(r"(AND|OR)\s+")
_MAX_CLAUSES = 10
_MAX_NUMBER = 40

Predicate = Callable[[Obj], bool]


def _invalid(query: str, why: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid query: {why} (query: {query})", param="query")


def _lookup(obj: Any, field: str) -> Any:
    meta = re.fullmatch(r"metadata\[\s*['\"](.*)['\"]\s*\]", field)
    if meta:
        return (obj.get("metadata") or {}).get(meta.group(1))
    for part in field.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _literal(raw: str) -> Any:
    if raw.lower() == "null":
        return None
    if raw[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    return float(raw) if "." in raw else int(raw)


def _clause(query: str, found: re.Match[str]) -> Predicate:
    raw = found["value"]
    if raw[0] not in "'\"" and len(raw) > _MAX_NUMBER:
        # int() refuses more than 4,300 digits (a 500); no amount or timestamp is this long.
        raise _invalid(query, f"the number at position {found.start('value')} is too long")
    field, op, value = found["field"], found["op"], _literal(raw)
    negate = bool(found["neg"])

    def matches(obj: Obj) -> bool:
        actual = _lookup(obj, field)
        if isinstance(actual, bool) and isinstance(value, str):
            actual = str(actual).lower()
        if op == ":":
            return bool(actual == value or (value is not None and str(actual) == str(value)))
        if op == "~":
            return isinstance(actual, str) and str(value).lower() in actual.lower()
        if not isinstance(actual, int | float) or not isinstance(value, int | float):
            return False
        return {">": actual > value, "<": actual < value, ">=": actual >= value}.get(
            op, actual <= value
        )

    if op == "~" and (not isinstance(value, str) or len(value) < 3):
        raise _invalid(query, "substring matching `~` needs a quoted value of 3 characters")
    if op in (">", "<", ">=", "<=") and not isinstance(value, int | float):
        raise _invalid(query, f"`{op}` compares numbers only")
    return (lambda obj: not matches(obj)) if negate else matches


def parse(query: str) -> Predicate:
    """The query as a predicate, or 400 naming `query` when it is not Stripe's syntax."""
    clauses: list[Predicate] = []
    joiners: set[str] = set()
    pos = 0
    while True:
        found = _CLAUSE.match(query, pos)
        if found is None:
            raise _invalid(query, f"could not parse the clause at position {pos}")
        clauses.append(_clause(query, found))
        pos = found.end()
        if pos >= len(query):
            break
        joiner = _JOINER.match(query, pos)  # the clause ate the spaces before it
        if joiner is None:
            raise _invalid(query, f"expected AND or OR at position {pos}")
        joiners.add(joiner.group(1))
        pos = joiner.end()
    if len(joiners) > 1:
        raise _invalid(query, "AND and OR cannot be combined in one query")
    if len(clauses) > _MAX_CLAUSES:
        raise _invalid(query, f"at most {_MAX_CLAUSES} clauses are allowed")
    if joiners == {"OR"}:
        return lambda obj: any(c(obj) for c in clauses)
    return lambda obj: all(c(obj) for c in clauses)


def search(call: Call, kind: str, url: str) -> Obj:
    p = call.params
    check_known(p, {"query", "limit", "page"})
    keep = parse(req_str(p, "query"))
    limit = get_int(p, "limit", minimum=1) or 10
    if limit > 100:
        raise InvalidRequest("This value must be less than or equal to 100.", param="limit")
    page = get_str(p, "page")
    start = 0
    if page:
        number = page[5:]
        if not page.startswith("page_") or not (
            number.isascii() and number.isdigit() and len(number) < 10
        ):
            raise InvalidRequest(f"Invalid page: {page}", param="page")
        start = int(number)
    found = [obj for obj in call.account.newest(kind) if keep(obj)]
    data = found[start : start + limit]
    more = start + limit < len(found)
    return {
        "object": "search_result",
        "data": data,
        "has_more": more,
        "next_page": f"page_{start + limit}" if more else None,
        "url": url,
    }


def _route(kind: str, url: str) -> None:
    api.route("GET", url)(lambda call: search(call, kind, url))


for _kind, _url in (
    ("customer", "/v1/customers/search"),
    ("charge", "/v1/charges/search"),
    ("payment_intent", "/v1/payment_intents/search"),
    ("price", "/v1/prices/search"),
    ("product", "/v1/products/search"),
):
    _route(_kind, _url)
