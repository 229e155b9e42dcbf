"""Webhook endpoints: CRUD; the signing `secret` is returned only on create."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.ids import secret
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.params import apply_metadata, check_known, get_bool, get_list, get_str, req_str
from paydesk.sandbox.routing import Call, api

_FIELDS = {"url", "enabled_events", "description", "metadata", "api_version", "disabled", "connect"}


def _public(endpoint: Obj) -> Obj:
    return {k: v for k, v in endpoint.items() if k != "secret"}


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequest(f"Invalid URL: {value}", param="url")
    return value


def _events(params: dict[str, Any], required: bool) -> list[str] | None:
    events = get_list(params, "enabled_events")
    if events is None:
        if required:
            raise InvalidRequest(
                "Missing required param: enabled_events.",
                param="enabled_events",
                code="parameter_missing",
            )
        return None
    for name in events:
        if not isinstance(name, str) or not name or " " in name:
            raise InvalidRequest(f"Invalid event type: {name}", param="enabled_events")
    return events


@api.route("POST", "/v1/webhook_endpoints")
def create_endpoint(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    endpoint: Obj = {
        "id": call.account.new_id("we"),
        "object": "webhook_endpoint",
        "api_version": get_str(p, "api_version"),
        "application": None,
        "created": call.now,
        "description": get_str(p, "description"),
        "enabled_events": _events(p, required=True),
        "livemode": False,
        "metadata": apply_metadata({}, p),
        "secret": secret("whsec"),
        "status": "enabled",
        "url": _url(req_str(p, "url")),
    }
    call.account.insert(endpoint)
    return endpoint  # the only answer that carries the secret, as on Stripe


@api.route("GET", "/v1/webhook_endpoints/{id}")
def retrieve_endpoint(call: Call) -> Obj:
    return _public(call.account.get(call.args[0], "webhook_endpoint"))


@api.route("POST", "/v1/webhook_endpoints/{id}")
def update_endpoint(call: Call) -> Obj:
    p = call.params
    check_known(p, _FIELDS)
    endpoint = call.account.get(call.args[0], "webhook_endpoint")
    changes: dict[str, Any] = {}
    if "url" in p:
        changes["url"] = _url(req_str(p, "url"))
    events = _events(p, required=False)
    if events is not None:
        changes["enabled_events"] = events
    if "description" in p:
        changes["description"] = get_str(p, "description") or None
    if "metadata" in p:
        changes["metadata"] = apply_metadata(endpoint["metadata"], p)
    if "disabled" in p:
        changes["status"] = "disabled" if get_bool(p, "disabled") else "enabled"
    call.account.update(endpoint, changes)
    return _public(endpoint)


@api.route("DELETE", "/v1/webhook_endpoints/{id}")
def delete_endpoint(call: Call) -> Obj:
    endpoint = call.account.get(call.args[0], "webhook_endpoint")
    return call.account.delete(endpoint)


@api.route("GET", "/v1/webhook_endpoints")
def list_endpoints(call: Call) -> Obj:
    page = paginate(call.account, "webhook_endpoint", call.params, "/v1/webhook_endpoints")
    page["data"] = [_public(e) for e in page["data"]]
    return page
