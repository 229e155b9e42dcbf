"""The shop reads Stripe's own example subscription and invoice (fixtures3.json), in today's
shape, and the older one where the period sat on the subscription itself."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from paydesk.billing.model import Status
from paydesk.billing.parse import parse_invoice, parse_subscription
from tests.stripe_fixtures import stripe_resources


def test_todays_subscription_keeps_its_period_on_the_items() -> None:
    sub = stripe_resources()["subscription"]
    info = parse_subscription(sub)
    item = sub["items"]["data"][0]
    assert info.id == sub["id"] and info.customer_id == sub["customer"]
    assert info.status is Status(sub["status"])
    assert info.snapshot.current_period_end == datetime.fromtimestamp(
        item["current_period_end"], UTC)
    assert info.price_id == item["price"]["id"] and info.interval == "month"


def test_an_older_api_versions_subscription_still_parses() -> None:
    sub = copy.deepcopy(stripe_resources()["subscription"])
    for item in sub["items"]["data"]:
        del item["current_period_end"]
    sub["current_period_end"] = 1_900_000_000
    assert parse_subscription(sub).snapshot.current_period_end == datetime.fromtimestamp(
        1_900_000_000, UTC)


def test_an_invoice_names_its_subscription_through_its_parent() -> None:
    invoice = copy.deepcopy(stripe_resources()["invoice"])
    invoice["parent"] = {"type": "subscription_details",
                         "subscription_details": {"subscription": "sub_123", "metadata": {}}}
    info = parse_invoice(invoice)
    assert info.subscription_id == "sub_123" and info.amount_due == invoice["amount_due"]
    del invoice["parent"]
    invoice["subscription"] = "sub_old"  # before 2025-03-31.basil
    assert parse_invoice(invoice).subscription_id == "sub_old"
