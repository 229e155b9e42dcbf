"""Test helpers for webhooks, outside Stripe's public API: chaos settings, the delivery
timeline, and replay. `POST /v1/events/{id}/retry` is what the Dashboard's "Resend" and
`stripe events resend` do."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.chaos import Chaos, ChaosError, chaos_object
from paydesk.sandbox.delivery import ATTEMPT, pending_for
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.objects.webhook_chaos import delivery_view, public
from paydesk.sandbox.operations import webhook_test_helpers as helpers
from paydesk.sandbox.params import get_str, get_timestamp, req_str
from paydesk.sandbox.routing import Call, api


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
    return public(helpers.set_chaos(call.account, endpoint_id, settings), endpoint_id)


@api.route("GET", "/v1/test_helpers/webhook_chaos")
def get_chaos(call: Call) -> Obj:
    endpoint_id = _endpoint(call)
    return public(chaos_object(call.account, endpoint_id), endpoint_id)


@api.route("DELETE", "/v1/test_helpers/webhook_chaos")
def clear_chaos(call: Call) -> Obj:
    endpoint_id = _endpoint(call)
    helpers.clear_chaos(call.account, endpoint_id)
    return {**public(None, endpoint_id), "deleted": True}


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


@api.route("POST", "/v1/events/{id}/retry")
def retry_event(call: Call) -> Obj:
    event = call.account.get(call.args[0], "event")
    endpoint = call.account.get(
        req_str(call.params, "webhook_endpoint"), "webhook_endpoint", "webhook_endpoint"
    )
    helpers.resend_events(call.account, [event], endpoint)
    return event


@api.route("POST", "/v1/test_helpers/webhook_endpoints/{id}/replay")
def replay_endpoint(call: Call) -> Obj:
    endpoint = call.account.get(call.args[0], "webhook_endpoint")
    since = get_timestamp(call.params, "since")
    if since is None:
        raise InvalidRequest("Missing required param: since.", param="since")
    events = helpers.replay_since(call.account, endpoint, since)
    return {
        "object": "webhook_replay",
        "webhook_endpoint": endpoint["id"],
        "since": since,
        "events": [e["id"] for e in events],
    }
