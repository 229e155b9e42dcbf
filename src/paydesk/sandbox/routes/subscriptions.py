"""/v1/subscriptions and /v1/subscription_items."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, equals, paginate
from paydesk.sandbox.operations import invoices, renewals, subscription_updates, subscriptions
from paydesk.sandbox.params import check_known, get_bool, get_enum, get_str, req_str
from paydesk.sandbox.routes.business_time import business_time
from paydesk.sandbox.routes.search import search
from paydesk.sandbox.routing import Call, api

_CREATE = {
    "customer",
    "items",
    "default_payment_method",
    "payment_behavior",
    "trial_period_days",
    "trial_end",
    "trial_from_plan",
    "trial_settings",
    "collection_method",
    "days_until_due",
    "payment_settings",
    "coupon",
    "promotion_code",
    "discounts",
    "default_tax_rates",
    "metadata",
    "description",
    "off_session",
    "proration_behavior",
    "currency",
    "automatic_tax",
    "billing_cycle_anchor",
    "cancel_at_period_end",
}
_UPDATE = (_CREATE - {"customer", "trial_period_days", "trial_from_plan", "currency"}) | {
    "pause_collection",
    "cancellation_details",
    "cancel_at",
}
STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)


def _sub(call: Call) -> Obj:
    return call.account.get(call.args[0], "subscription")


@api.route("POST", "/v1/subscriptions")
def create_subscription(call: Call) -> Obj:
    check_known(call.params, _CREATE)
    account = call.account
    invoices.remember_base(account, call.base_url)
    customer = account.get(req_str(call.params, "customer"), "customer", "customer")
    now = business_time(call, customer)
    sub = subscriptions.create(account, now, customer, call.params)
    if get_bool(call.params, "cancel_at_period_end"):
        subscription_updates.update(account, now, sub, {"cancel_at_period_end": "true"})
    return sub


@api.route("GET", "/v1/subscriptions/search")
def search_subscriptions(call: Call) -> Obj:
    return search(call, "subscription", "/v1/subscriptions/search")


@api.route("GET", "/v1/subscriptions/{id}")
def retrieve_subscription(call: Call) -> Obj:
    return _sub(call)


@api.route("POST", "/v1/subscriptions/{id}")
def update_subscription(call: Call) -> Obj:
    check_known(call.params, _UPDATE)
    invoices.remember_base(call.account, call.base_url)
    sub = _sub(call)
    now = business_time(call, sub)
    return subscription_updates.update(call.account, now, sub, call.params)


@api.route("DELETE", "/v1/subscriptions/{id}")
def cancel_subscription(call: Call) -> Obj:
    check_known(call.params, {"invoice_now", "prorate", "cancellation_details"})
    sub = _sub(call)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise InvalidRequest(
            f"This subscription has already been canceled: {sub['id']}.",
            code="resource_missing",
        )
    details = call.params.get("cancellation_details") or {}
    now = business_time(call, sub)
    return subscription_updates.cancel(
        call.account,
        now,
        sub,
        prorate=get_bool(call.params, "prorate"),
        invoice_now=get_bool(call.params, "invoice_now"),
        reason="cancellation_requested",
        comment=get_str(details, "comment") if isinstance(details, dict) else None,
        feedback=get_str(details, "feedback") if isinstance(details, dict) else None,
    )


@api.route("POST", "/v1/subscriptions/{id}/resume")
def resume_subscription(call: Call) -> Obj:
    check_known(call.params, {"billing_cycle_anchor", "proration_behavior", "proration_date"})
    sub = _sub(call)
    if sub["status"] != "paused":
        raise InvalidRequest(
            f"Only a paused subscription can be resumed; this one is {sub['status']}.",
            param="id",
        )
    now = business_time(call, sub)
    return renewals.resume(call.account, now, sub)


@api.route("GET", "/v1/subscriptions")
def list_subscriptions(call: Call) -> Obj:
    p = call.params
    customer = get_str(p, "customer")
    price = get_str(p, "price")
    status = get_enum(p, "status", STATUSES)
    ended = ("canceled", "incomplete_expired")

    def by_status(sub: Obj) -> bool:
        if status == "all":
            return True
        if status == "ended":
            return sub["status"] in ended
        if status is None:
            return sub["status"] not in ended
        return bool(sub["status"] == status)

    keep = both(
        equals("customer", customer),
        (lambda s: any(i["price"]["id"] == price for i in s["items"]["data"])) if price else None,
        by_status,
    )
    return paginate(call.account, "subscription", p, "/v1/subscriptions", keep)


# -- items -------------------------------------------------------------------------------------


@api.route("GET", "/v1/subscription_items")
def list_items(call: Call) -> Obj:
    sub_id = req_str(call.params, "subscription")
    call.account.get(sub_id, "subscription", "subscription")
    return paginate(
        call.account,
        "subscription_item",
        call.params,
        "/v1/subscription_items",
        equals("subscription", sub_id),
    )


_ITEM_FIELDS = {
    "price",
    "price_data",
    "plan",
    "quantity",
    "tax_rates",
    "metadata",
    "proration_behavior",
    "payment_behavior",
}


api.retrieve("/v1/subscription_items/{id}", "subscription_item")


@api.route("POST", "/v1/subscription_items")
def create_item(call: Call) -> Obj:
    p = call.params
    check_known(p, _ITEM_FIELDS | {"subscription"})
    sub = call.account.get(req_str(p, "subscription"), "subscription", "subscription")
    entry = {k: p[k] for k in ("price", "price_data", "plan", "quantity", "tax_rates") if k in p}
    params: dict[str, Any] = {"items": [entry]}
    if "proration_behavior" in p:
        params["proration_behavior"] = p["proration_behavior"]
    now = business_time(call, sub)
    subscription_updates.update(call.account, now, sub, params)
    return dict(sub["items"]["data"][-1])


@api.route("POST", "/v1/subscription_items/{id}")
def update_item(call: Call) -> Obj:
    p = call.params
    check_known(p, _ITEM_FIELDS)
    item = call.account.get(call.args[0], "subscription_item")
    sub = call.account.get(item["subscription"], "subscription", "subscription")
    entry = {k: p[k] for k in ("price", "price_data", "plan", "quantity") if k in p}
    params: dict[str, Any] = {"items": [{"id": item["id"], **entry}]}
    if "proration_behavior" in p:
        params["proration_behavior"] = p["proration_behavior"]
    now = business_time(call, sub)
    subscription_updates.update(call.account, now, sub, params)
    return item


@api.route("DELETE", "/v1/subscription_items/{id}")
def delete_item(call: Call) -> Obj:
    item = call.account.get(call.args[0], "subscription_item")
    sub = call.account.get(item["subscription"], "subscription", "subscription")
    if len(sub["items"]["data"]) <= 1:
        raise InvalidRequest(
            "A subscription must have at least one active plan. To cancel a subscription, "
            "please use the cancel API endpoint on /v1/subscriptions.",
        )
    now = business_time(call, sub)
    subscription_updates.update(
        call.account, now, sub, {"items": [{"id": item["id"], "deleted": "true"}]}
    )
    return {"id": item["id"], "object": "subscription_item", "deleted": True}
