"""Billing events parsed at the edge and handed to a fake billing side: no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from paydesk.billing.errors import NotOurs
from paydesk.billing.model import Status
from paydesk.billing.parse import InvoiceInfo, SubscriptionInfo
from paydesk.webhooks.dispatch import (
    BILLING_PARSERS,
    EVENT_TYPES,
    ClockReady,
    InvoiceChanged,
    SubscriptionChanged,
    TrialEnding,
    handle,
    parse,
)

SUB = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "past_due",
       "cancel_at_period_end": False, "metadata": {"plan_id": "club"},
       "items": {"data": [{"current_period_end": 1_800_000_000, "quantity": 1,
                           "price": {"id": "price_1", "unit_amount": 4900, "currency": "eur",
                                     "recurring": {"interval": "month"}}}]}}
INVOICE = {"id": "in_1", "object": "invoice", "customer": "cus_1", "status": "open",
           "created": 1_790_000_000, "amount_due": 4900, "currency": "eur", "attempt_count": 2,
           "parent": {"subscription_details": {"subscription": "sub_1"}}}
CLOCK = {"id": "clock_1", "object": "test_helpers.test_clock", "frozen_time": 1_800_000_000}


def _event(event_type: str, obj: Any, created: int = 1_790_000_100) -> dict[str, Any]:
    return {"id": "evt_1", "type": event_type, "created": created, "data": {"object": obj}}


def _object_for(event_type: str) -> dict[str, Any]:
    if event_type.startswith("invoice."):
        return INVOICE
    return CLOCK if event_type.startswith("test_helpers.") else SUB


def test_every_billing_type_parses_to_its_event_and_is_recovered_by_reconcile() -> None:
    kinds = {t: type(parse(_event(t, _object_for(t)))) for t in BILLING_PARSERS}
    assert kinds["customer.subscription.updated"] is SubscriptionChanged
    assert kinds["customer.subscription.deleted"] is SubscriptionChanged
    assert kinds["customer.subscription.trial_will_end"] is TrialEnding
    assert kinds["invoice.payment_failed"] is InvoiceChanged
    assert kinds["test_helpers.test_clock.ready"] is ClockReady
    assert set(BILLING_PARSERS) <= EVENT_TYPES


def test_the_typed_event_carries_what_the_handler_needs() -> None:
    event = parse(_event("invoice.payment_failed", INVOICE))
    assert isinstance(event, InvoiceChanged)
    assert (event.kind, event.invoice.subscription_id, event.invoice.attempt_count,
            event.created) == ("payment_failed", "sub_1", 2, 1_790_000_100)
    changed = parse(_event("customer.subscription.updated", SUB))
    assert isinstance(changed, SubscriptionChanged)
    assert changed.subscription.status is Status.PAST_DUE
    assert changed.subscription.plan_hint == "club"


@pytest.mark.parametrize("obj", [
    {"id": "sub_1"},  # no customer
    {**SUB, "status": "sleeping"},  # not a status Stripe has
    {**SUB, "id": "cus_1"},
])
def test_an_object_no_stripe_subscription_looks_like_is_ignored(obj: dict[str, Any]) -> None:
    assert parse(_event("customer.subscription.updated", obj)) is None
    assert handle(None, NoOrders(), FakeBilling()) == ("ignored", None)


def test_an_event_without_created_is_ignored() -> None:
    assert parse({"id": "evt", "type": "invoice.paid", "data": {"object": INVOICE}}) is None


@dataclass
class FakeBilling:
    calls: list[tuple[str, Any]] = field(default_factory=list)
    not_ours: bool = False
    note: str | None = None

    def subscription_changed(self, sub: SubscriptionInfo, created: int) -> str | None:
        if self.not_ours:
            raise NotOurs(f"subscription {sub.id} is for no plan of this shop")
        self.calls.append(("subscription", sub.id))
        return None

    def trial_ending(self, sub: SubscriptionInfo, created: int) -> str | None:
        self.calls.append(("trial", sub.id))
        return None

    def invoice_changed(self, kind: str, invoice: InvoiceInfo, created: int) -> str | None:
        self.calls.append((kind, invoice.id))
        return self.note

    def clock_ready(self, clock_id: str, frozen: datetime) -> None:
        self.calls.append(("clock", clock_id))


class NoOrders:
    def fulfil(self, session: Any) -> Any:
        raise AssertionError("a billing event never reaches the orders")

    expire = record_refund = fulfil


def test_handlers_go_to_the_billing_side_and_report_their_outcome() -> None:
    billing = FakeBilling()
    assert handle(parse(_event("customer.subscription.updated", SUB)), NoOrders(),
                  billing) == ("processed", None)
    assert handle(parse(_event("invoice.paid", INVOICE)), NoOrders(), billing) == (
        "processed", None)
    assert handle(parse(_event("test_helpers.test_clock.ready", CLOCK)), NoOrders(),
                  billing) == ("processed", None)
    assert billing.calls == [("subscription", "sub_1"), ("paid", "in_1"), ("clock", "clock_1")]


def test_not_ours_and_notes_are_recorded_as_ignored_never_retried() -> None:
    assert handle(parse(_event("customer.subscription.created", SUB)), NoOrders(),
                  FakeBilling(not_ours=True)) == (
        "ignored", "subscription sub_1 is for no plan of this shop")
    assert handle(parse(_event("invoice.paid", INVOICE)), NoOrders(),
                  FakeBilling(note="no customer of this shop")) == (
        "ignored", "no customer of this shop")
