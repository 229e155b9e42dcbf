"""Checkout `mode=subscription`: the hosted page's card starts the subscription.

The buyer's card becomes the customer's payment method, the subscription is created with its
first invoice open (`default_incomplete`), and that invoice's PaymentIntent is confirmed on
session (3D Secure may interrupt). Paying the invoice activates the subscription through the
usual invoice hooks; the page completes the session once the payment went through.
"""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.operations import invoices, subscriptions
from paydesk.sandbox.operations.customers import new_customer
from paydesk.sandbox.operations.payment_intents import confirm_intent
from paydesk.sandbox.operations.payment_methods import attach


def _customer(account: Account, session: Obj, email: str, name: str, now: int) -> Obj:
    """Subscriptions always need a customer: the session's own, or a new one made from what
    the buyer typed (the same function as `POST /v1/customers`)."""
    if session["customer"]:
        return account.get(session["customer"], "customer", "customer")
    params = {"email": email, "name": name} if name else {"email": email}
    customer = new_customer(account, now, params)
    account.update(session, {"customer": customer["id"]})
    return customer


def subscribe(
    account: Account,
    session: Obj,
    state: Obj,
    pm: Obj,
    buyer: dict[str, str],
    base_url: str,
    *,
    now: int,
) -> Obj | None:
    """Start (or, after a decline, retry) the session's subscription with card `pm`; returns
    the first invoice's PaymentIntent, or None when nothing is due now (a trial)."""
    customer = _customer(
        account, session, buyer.get("email", ""), buyer.get("cardholder_name", ""), now
    )
    attach(account, pm, customer["id"], now=now)
    sub = account.find(state["subscription"]) if state.get("subscription") else None
    if sub is None:
        sub = subscriptions.create(account, now, customer, _params(session, state, pm))
        state["subscription"] = sub["id"]
        account.save(state)
    else:
        account.update(sub, {"default_payment_method": pm["id"]})
    invoice = account.get(sub["latest_invoice"], "invoice", "subscription")
    pi = invoices.intent_of(account, invoice)
    if pi is None or invoice["status"] == "paid":
        return None
    state["payment_intent"] = pi["id"]
    account.save(state)
    return_url = f"{base_url}/c/pay/{session['id']}/return"
    return confirm_intent(account, pi, pm["id"], base_url, return_url, now=now)


def _params(session: Obj, state: Obj, pm: Obj) -> dict[str, Any]:
    data = state.get("subscription_data") or {}
    params: dict[str, Any] = {
        "items": [
            {"price": i["price"], "quantity": str(i["quantity"])} for i in state["line_items"]
        ],
        "payment_behavior": "default_incomplete",
        "default_payment_method": pm["id"],
        "metadata": data.get("metadata") or {},
    }
    if data.get("trial_period_days"):
        params["trial_period_days"] = str(data["trial_period_days"])
    if data.get("description"):
        params["description"] = data["description"]
    del session
    return params


def finish(account: Account, session: Obj, state: Obj) -> None:
    """Name the subscription and its invoice on the session before it completes."""
    sub = account.find(state["subscription"]) if state.get("subscription") else None
    if sub is not None:
        account.update(session, {"subscription": sub["id"], "invoice": sub["latest_invoice"]})


def recurring_note(account: Account, state: Obj, currency: str) -> dict[str, Any]:
    """What the hosted page says will be charged and when."""
    total = 0
    interval = "month"
    count = 1
    for item in state["line_items"]:
        price = account.get(item["price"], "price", "price")
        total += int(price["unit_amount"] or 0) * int(item["quantity"])
        interval = price["recurring"]["interval"]
        count = int(price["recurring"]["interval_count"])
    trial = (state.get("subscription_data") or {}).get("trial_period_days")
    every = interval if count == 1 else f"{count} {interval}s"
    return {"amount": total, "currency": currency, "every": every, "trial_days": trial}
