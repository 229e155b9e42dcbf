"""Webhook endpoints: create, update, delete (deliveries themselves: sandbox/delivery.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.ids import secret
from paydesk.sandbox.objects.webhook_endpoint import webhook_endpoint
from paydesk.sandbox.params import apply_metadata, get_bool, get_list, get_str, req_str


def create_endpoint(account: Account, now: int, p: dict[str, Any]) -> Obj:
    url = _url(req_str(p, "url"))
    endpoint = webhook_endpoint(account.new_id("we"), now, url, secret("whsec"))
    endpoint.update(
        api_version=get_str(p, "api_version"),
        description=get_str(p, "description"),
        enabled_events=_events(p, required=True),
        metadata=apply_metadata({}, p),
    )
    account.insert(endpoint)
    return endpoint


def update_endpoint(account: Account, now: int, endpoint: Obj, p: dict[str, Any]) -> Obj:
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
    account.update(endpoint, changes)
    return endpoint


def delete_endpoint(account: Account, now: int, endpoint: Obj) -> Obj:
    return account.delete(endpoint)


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
