"""`/v1/events`: retrieve and list (`type` with `*` wildcards, `types[]`, `created`,
`delivery_success`). Events are created by the other resources through `Account.emit`."""

from __future__ import annotations

from collections.abc import Callable

from paydesk.sandbox.account import Obj, event_matches
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.params import get_bool, get_list, get_str
from paydesk.sandbox.routing import Call, api

api.retrieve("/v1/events/{id}", "event")


@api.route("GET", "/v1/events")
def list_events(call: Call) -> Obj:
    p = call.params
    one = get_str(p, "type")
    many = get_list(p, "types")
    if one and many:
        raise InvalidRequest("You cannot specify both type and types.", param="types")
    patterns = [one] if one else many
    checks: list[Callable[[Obj], bool]] = []
    if patterns:
        checks.append(lambda e: event_matches(patterns, e["type"]))
    if "delivery_success" in p:
        wanted = get_bool(p, "delivery_success")
        checks.append(lambda e: (e.get("pending_webhooks", 0) == 0) == wanted)
    keep = (lambda e: all(c(e) for c in checks)) if checks else None
    return paginate(call.account, "event", p, "/v1/events", keep)
