"""Test helpers for webhooks, outside Stripe's public API: chaos settings, the delivery
timeline, and replay. `POST /v1/events/{id}/retry` is what the Dashboard's "Resend" and
`stripe events resend` do."""

from __future__ import annotations

from paydesk.sandbox.account import Account, Obj, event_matches
from paydesk.sandbox.chaos import CHAOS_OBJECT, Chaos, ChaosError, chaos_object
from paydesk.sandbox.delivery import pending_for, resend
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.params import get_str, get_timestamp, req_str
from paydesk.sandbox.routing import Call, api

ATTEMPT = "webhook_attempt"  # how the deliverer records an attempt
MAX_REPLAY = 10_000  # events one replay may queue


# -- chaos -----------------------------------------------------------------------------------


def _public(obj: Obj | None, endpoint_id: str | None) -> Obj:
    settings = Chaos.from_saved(obj or {})
    return {
        "object": "webhook_chaos",
        "active": obj is not None,
        **settings.as_fields(),
        "webhook_endpoint": endpoint_id,
    }


def _endpoint(call: Call) -> str | None:
    endpoint_id = get_str(call.params, "webhook_endpoint")
    if endpoint_id:
        call.account.get(endpoint_id, "webhook_endpoint", "webhook_endpoint")
    return endpoint_id


@api.route("POST", "/v1/test_helpers/webhook_chaos")
def set_chaos(call: Call) -> Obj:
    endpoint_id = _endpoint(call)
    fields = {k: v for k, v in call.params.items() if k != "webhook_endpoint"}
    try:
        settings = Chaos.from_fields(fields)
    except ChaosError as error:
        raise InvalidRequest(str(error), param=error.field) from None
    _clear(call.account, endpoint_id)
    # A new object per setting: its id names the sequence the choices are drawn along, so
    # setting chaos again starts the same seed's sequence again.
    saved: Obj = {
        "id": call.account.new_id("whchaos"),
        "object": CHAOS_OBJECT,
        "webhook_endpoint": endpoint_id,
        **settings.as_fields(),
    }
    call.account.insert(saved)
    return _public(saved, endpoint_id)


@api.route("GET", "/v1/test_helpers/webhook_chaos")
def get_chaos(call: Call) -> Obj:
    endpoint_id = _endpoint(call)
    return _public(chaos_object(call.account, endpoint_id), endpoint_id)


@api.route("DELETE", "/v1/test_helpers/webhook_chaos")
def clear_chaos(call: Call) -> Obj:
    endpoint_id = _endpoint(call)
    _clear(call.account, endpoint_id)
    return {**_public(None, endpoint_id), "deleted": True}


def _clear(account: Account, endpoint_id: str | None) -> None:
    current = chaos_object(account, endpoint_id)
    if current is not None:
        account.delete(current)


# -- the delivery timeline -------------------------------------------------------------------


def delivery_view(attempt: Obj) -> Obj:
    return {**attempt, "object": "webhook_delivery", "chaos": attempt.get("chaos") or []}


@api.route("GET", "/v1/test_helpers/deliveries")
def list_deliveries(call: Call) -> Obj:
    p = call.params
    event_id = get_str(p, "event")
    endpoint_id = get_str(p, "webhook_endpoint")

    def keep(attempt: Obj) -> bool:
        return (event_id is None or attempt["event"] == event_id) and (
            endpoint_id is None or attempt["webhook_endpoint"] == endpoint_id
        )

    page = paginate(call.account, ATTEMPT, p, "/v1/test_helpers/deliveries", keep)
    page["data"] = [delivery_view(a) for a in page["data"]]
    # Not in Stripe's list shape: how many deliveries are still to come (a test waits for 0).
    page["pending"] = pending_for(call.account)
    return page


# -- resend and replay -----------------------------------------------------------------------


@api.route("POST", "/v1/events/{id}/retry")
def retry_event(call: Call) -> Obj:
    event = call.account.get(call.args[0], "event")
    endpoint = call.account.get(
        req_str(call.params, "webhook_endpoint"), "webhook_endpoint", "webhook_endpoint"
    )
    _send(call.account, [event], endpoint)
    return event


@api.route("POST", "/v1/test_helpers/webhook_endpoints/{id}/replay")
def replay_endpoint(call: Call) -> Obj:
    endpoint = call.account.get(call.args[0], "webhook_endpoint")
    since = get_timestamp(call.params, "since")
    if since is None:
        raise InvalidRequest("Missing required param: since.", param="since")
    patterns: list[str] = endpoint.get("enabled_events") or []
    events = [
        e
        for e in call.account.newest("event")
        if e["created"] >= since and event_matches(patterns, e["type"])
    ]
    if len(events) > MAX_REPLAY:
        raise InvalidRequest(
            f"{len(events)} events since {since}: replay at most {MAX_REPLAY} at once "
            "(choose a later `since`).",
            param="since",
        )
    events.reverse()  # oldest first, as they happened
    _send(call.account, events, endpoint)
    return {
        "object": "webhook_replay",
        "webhook_endpoint": endpoint["id"],
        "since": since,
        "events": [e["id"] for e in events],
    }


def _send(account: Account, events: list[Obj], endpoint: Obj) -> None:
    if endpoint.get("status") != "enabled":
        raise InvalidRequest(
            f"Webhook endpoint {endpoint['id']} is disabled: enable it to send events to it.",
            param="webhook_endpoint",
        )
    resend(account, events, endpoint)
