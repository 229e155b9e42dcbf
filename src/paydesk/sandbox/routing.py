"""The API's routes: resource modules register handlers with `@api.route(METHOD, PATTERN)`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paydesk.sandbox.account import Account


@dataclass(slots=True)
class Call:
    """One API request, as a handler sees it."""

    account: Account
    params: dict[str, Any]
    args: tuple[str, ...]  # the `{…}` parts of the path, in order
    base_url: str  # how the client reached us, for URLs we hand out (hosted pages)
    request_id: str
    method: str
    path: str
    now: int  # when the call happens (wall time): operations are handed it, never read a clock


Handler = Callable[[Call], dict[str, Any]]


class Router:
    def __init__(self) -> None:
        self._static: dict[tuple[str, str], Handler] = {}
        self._dynamic: list[tuple[str, re.Pattern[str], Handler]] = []
        self.patterns: list[tuple[str, str]] = []  # (method, pattern) as registered, in order

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.patterns.append((method, pattern))
            if "{" in pattern:
                regex = re.compile("^" + re.sub(r"\{\w+\}", "([^/]+)", pattern) + "$")
                self._dynamic.append((method, regex, handler))
            else:
                self._static[(method, pattern)] = handler
            return handler

        return register

    def retrieve(self, pattern: str, kind: str) -> None:
        """`GET pattern`: the `kind` object its `{id}` names, or Stripe's 404 naming `kind`."""
        self.route("GET", pattern)(lambda call: call.account.get(call.args[0], kind))

    def match(self, method: str, path: str) -> tuple[Handler, tuple[str, ...]] | None:
        handler = self._static.get((method, path))
        if handler is not None:
            return handler, ()
        for m, regex, handler in self._dynamic:
            if m == method:
                found = regex.match(path)
                if found:
                    return handler, found.groups()
        return None


api = Router()
