"""`/v1/webhook_endpoints`: parse, then call one operation (operations/webhook_endpoints.py)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.objects.webhook_endpoint import public
from paydesk.sandbox.operations import webhook_endpoints as endpoints
from paydesk.sandbox.params import check_known
from paydesk.sandbox.routing import Call, api

_FIELDS = {"url", "enabled_events", "description", "metadata", "api_version", "disabled", "connect"}


@api.route("POST", "/v1/webhook_endpoints")
def create(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    # The only answer that carries the secret, as on Stripe.
    return endpoints.create_endpoint(call.account, call.now, call.params)


@api.route("GET", "/v1/webhook_endpoints/{id}")
def retrieve(call: Call) -> Obj:
    return public(call.account.get(call.args[0], "webhook_endpoint"))


@api.route("POST", "/v1/webhook_endpoints/{id}")
def update(call: Call) -> Obj:
    check_known(call.params, _FIELDS)
    endpoint = call.account.get(call.args[0], "webhook_endpoint")
    return public(endpoints.update_endpoint(call.account, call.now, endpoint, call.params))


@api.route("DELETE", "/v1/webhook_endpoints/{id}")
def delete(call: Call) -> Obj:
    endpoint = call.account.get(call.args[0], "webhook_endpoint")
    return endpoints.delete_endpoint(call.account, call.now, endpoint)


@api.route("GET", "/v1/webhook_endpoints")
def list_all(call: Call) -> Obj:
    page = paginate(call.account, "webhook_endpoint", call.params, "/v1/webhook_endpoints")
    page["data"] = [public(e) for e in page["data"]]
    return page
