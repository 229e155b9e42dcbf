"""What `paydesk trigger EVENT` does: for each supported event, the API calls (and, for Checkout,
the buyer's form post on the hosted page) that make a sandbox emit it — made with the official
SDK over HTTP, as any client would."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import httpx
import stripe

AMOUNT = 2000
CURRENCY = "usd"
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>', re.IGNORECASE)
_ATTR = re.compile(r'(name|value)="([^"]*)"')


class TriggerFailed(Exception):
    """The sandbox did not behave as the fixture expects (e.g. the hosted page refused)."""


@dataclass
class Made:
    """The objects a fixture created (for the user) and the id the event is about."""

    subject: str = ""
    lines: list[str] = field(default_factory=list)

    def add(self, kind: str, obj_id: str) -> str:
        self.lines.append(f"Created {kind} {obj_id}")
        return obj_id


Fixture = Callable[[stripe.StripeClient, Made], None]


def _card_intent(payment_method: str | None = None) -> Any:
    # `Any`: the SDK's TypedDict omits payment_method_types, which the API accepts.
    params: dict[str, Any] = {
        "amount": AMOUNT,
        "currency": CURRENCY,
        "payment_method_types": ["card"],
    }
    if payment_method:
        params.update(payment_method=payment_method, confirm=True)
    return params


def _customer(client: stripe.StripeClient, made: Made) -> None:
    customer = client.v1.customers.create(
        params={"email": "trigger@example.com", "name": "paydesk trigger"}
    )
    made.subject = made.add("customer", customer.id)


def _intent(client: stripe.StripeClient, made: Made) -> None:
    pi = client.v1.payment_intents.create(params=_card_intent())
    made.subject = made.add("payment_intent", pi.id)


def _paid_intent(client: stripe.StripeClient, made: Made) -> stripe.PaymentIntent:
    pi = client.v1.payment_intents.create(params=_card_intent("pm_card_visa"))
    if pi.status != "succeeded":
        raise TriggerFailed(f"payment intent {pi.id} is {pi.status}, not succeeded")
    made.subject = made.add("payment_intent", pi.id)
    made.add("charge", _charge_id(pi))
    return pi


def _charge(client: stripe.StripeClient, made: Made) -> None:
    made.subject = _charge_id(_paid_intent(client, made))


def _failed_intent(client: stripe.StripeClient, made: Made) -> None:
    try:
        client.v1.payment_intents.create(params=_card_intent("pm_card_chargeDeclined"))
    except stripe.CardError as exc:
        body: Any = exc.json_body or {}
        failed = body.get("error", {}).get("payment_intent") or {}
        made.subject = made.add("payment_intent", str(failed.get("id")))
        made.lines.append(f"Declined as expected: {exc.code} ({exc.user_message})")
        return
    raise TriggerFailed("pm_card_chargeDeclined was not declined")


def _succeeded(client: stripe.StripeClient, made: Made) -> None:
    _paid_intent(client, made)


def _refund(client: stripe.StripeClient, made: Made) -> tuple[str, str]:
    """A full refund of a paid intent: (refund id, charge id)."""
    pi = _paid_intent(client, made)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    return made.add("refund", refund.id), _charge_id(pi)


def _refund_created(client: stripe.StripeClient, made: Made) -> None:
    made.subject = _refund(client, made)[0]


def _charge_refunded(client: stripe.StripeClient, made: Made) -> None:
    made.subject = _refund(client, made)[1]


def _session(client: stripe.StripeClient, made: Made) -> stripe.checkout.Session:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": AMOUNT,
                        "product_data": {"name": "paydesk trigger"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://example.com/cancel",
        }
    )
    made.subject = made.add("checkout.session", session.id)
    return session


def _session_completed(client: stripe.StripeClient, made: Made) -> None:
    session = _session(client, made)
    if not session.url:
        raise TriggerFailed(f"checkout session {session.id} has no url")
    with httpx.Client(timeout=30) as browser:
        page = browser.get(session.url)
        page.raise_for_status()
        form = _hidden_fields(page.text)
        form.update(
            email="trigger@example.com",
            card_number="4242 4242 4242 4242",
            card_expiry="12/34",
            card_cvc="123",
            cardholder_name="paydesk trigger",
        )
        answer = browser.post(session.url, data=form, follow_redirects=False)
    if answer.status_code != 303:
        raise TriggerFailed(
            f"the hosted page answered {answer.status_code} instead of redirecting to success_url"
        )
    made.lines.append(f"Paid checkout.session {session.id} on its hosted page with 4242…4242")


def _session_expired(client: stripe.StripeClient, made: Made) -> None:
    session = _session(client, made)
    client.v1.checkout.sessions.expire(session.id)
    made.lines.append(f"Expired checkout.session {session.id}")


def _hidden_fields(html: str) -> dict[str, str]:
    """Whatever the page carries besides the buyer's fields (a browser would send it too)."""
    fields: dict[str, str] = {}
    for tag in _HIDDEN.findall(html):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs:
            fields[unescape(attrs["name"])] = unescape(attrs.get("value", ""))
    return fields


def _charge_id(pi: stripe.PaymentIntent) -> str:
    charge = pi.latest_charge
    if charge is None:
        raise TriggerFailed(f"payment intent {pi.id} has no charge")
    return charge if isinstance(charge, str) else charge.id


# -- billing ---------------------------------------------------------------------------------

DAY = 86400


def _billing_customer(
    client: stripe.StripeClient, made: Made, card: str, clock: str | None = None
) -> str:
    params: Any = {"email": "trigger@example.com", "name": "paydesk trigger"}
    if clock:
        params["test_clock"] = clock
    customer = client.v1.customers.create(params=params)
    made.add("customer", customer.id)
    pm = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return str(customer.id)


def _monthly_price(client: stripe.StripeClient, made: Made) -> str:
    price = client.v1.prices.create(
        params={
            "currency": CURRENCY,
            "unit_amount": AMOUNT,
            "recurring": {"interval": "month"},
            "product_data": {"name": "paydesk trigger plan"},
        }
    )
    return made.add("price", price.id)


def _subscription(
    client: stripe.StripeClient, made: Made, card: str = "pm_card_visa", **extra: Any
) -> Any:
    customer = _billing_customer(client, made, card, extra.pop("clock", None))
    params: Any = {
        "customer": customer,
        "items": [{"price": _monthly_price(client, made)}],
        **extra,
    }
    sub = client.v1.subscriptions.create(params=params)
    made.subject = made.add("subscription", sub.id)
    made.add("invoice", str(sub.latest_invoice))
    return sub


def _subscription_created(client: stripe.StripeClient, made: Made) -> None:
    _subscription(client, made)


def _subscription_updated(client: stripe.StripeClient, made: Made) -> None:
    sub = _subscription(client, made)
    client.v1.subscriptions.update(sub.id, params={"metadata": {"trigger": "updated"}})
    made.lines.append(f"Updated subscription {sub.id}'s metadata")


def _subscription_deleted(client: stripe.StripeClient, made: Made) -> None:
    sub = _subscription(client, made)
    client.v1.subscriptions.cancel(sub.id)
    made.lines.append(f"Canceled subscription {sub.id}")


def _trial_will_end(client: stripe.StripeClient, made: Made) -> None:
    """A 7-day trial on a test clock, moved 5 days on: Stripe warns 3 days before the end."""
    start = 1767225600  # 2026-01-01: any moment works, the clock is the trigger's own
    clock = client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": start, "name": "paydesk trigger"}
    )
    made.add("test_clock", clock.id)
    _subscription(client, made, clock=clock.id, trial_period_days=7)
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": start + 5 * DAY})
    made.lines.append(f"Advanced test_clock {clock.id} by 5 days")


def _invoice_paid(client: stripe.StripeClient, made: Made) -> None:
    sub = _subscription(client, made)
    made.subject = str(sub.latest_invoice)


def _invoice_payment_failed(client: stripe.StripeClient, made: Made) -> None:
    sub = _subscription(client, made, card="pm_card_chargeCustomerFail")
    made.subject = str(sub.latest_invoice)
    made.lines.append(f"The first payment failed as expected: subscription is {sub.status}")


FIXTURES: dict[str, Fixture] = {
    "customer.created": _customer,
    "payment_intent.created": _intent,
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _failed_intent,
    "charge.succeeded": _charge,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund_created,
    "checkout.session.completed": _session_completed,
    "checkout.session.expired": _session_expired,
    "customer.subscription.created": _subscription_created,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "customer.subscription.trial_will_end": _trial_will_end,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
}


def run_fixture(event: str, client: stripe.StripeClient) -> Made:
    made = Made()
    FIXTURES[event](client, made)
    return made
