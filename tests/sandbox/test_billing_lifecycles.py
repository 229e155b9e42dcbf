"""Whole subscription lifecycles through the official SDK, with time moved by test clocks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from paydesk.sandbox.operations.dunning import Dunning
from paydesk.sandbox.server import start_in_thread
from tests.sandbox.billing_support import DAY, START, make_world

FEB_1 = 1769904000
MAR_1 = 1772323200
APR_1 = 1775001600
HOUR = 3600


def test_subscribe_renew_twice_then_card_fails_until_canceled(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    assert sub.status == "active"
    assert sub.items.data[0].current_period_start == START
    assert sub.items.data[0].current_period_end == FEB_1
    world.advance_to(FEB_1 + 2 * HOUR)
    world.advance_to(MAR_1 + 2 * HOUR)
    paid = world.invoices(status="paid")
    assert [i.billing_reason for i in paid] == [
        "subscription_create",
        "subscription_cycle",
        "subscription_cycle",
    ]
    assert [i.amount_paid for i in paid] == [4900, 4900, 4900]
    assert paid[1].status_transitions.finalized_at == FEB_1 + HOUR  # a draft for one hour
    world.use_card("pm_card_chargeCustomerFail")
    world.advance_to(APR_1 + 2 * HOUR)
    failing = world.invoices(status="open")[-1]
    assert world.sub(sub.id).status == "past_due"
    assert failing.attempt_count == 1
    assert failing.next_payment_attempt == APR_1 + HOUR + 3 * DAY
    world.advance(3 * DAY)
    assert world.client.v1.invoices.retrieve(failing.id).attempt_count == 2
    world.advance(5 * DAY)
    assert world.sub(sub.id).status == "past_due"
    world.advance(7 * DAY)
    ended = world.sub(sub.id)
    assert ended.status == "canceled"
    assert ended.cancellation_details.reason == "payment_failed"
    failures = world.events("invoice.payment_failed")
    assert [e.created for e in failures] == [
        APR_1 + HOUR,
        APR_1 + HOUR + 3 * DAY,
        APR_1 + HOUR + 8 * DAY,
        APR_1 + HOUR + 15 * DAY,
    ]
    updates = [
        e
        for e in world.events("customer.subscription.updated")
        if e.data.object.status == "past_due"
    ]
    assert updates[0].data.previous_attributes["status"] == "active"
    assert world.event_types("customer.subscription.deleted") == ["customer.subscription.deleted"]


@pytest.fixture(scope="module")
def unpaid_sandbox() -> Iterator[str]:
    handle = start_in_thread(dunning=Dunning((2, 2), "unpaid"))
    try:
        yield handle.url
    finally:
        handle.stop()


def test_dunning_final_unpaid_keeps_the_subscription(unpaid_sandbox: str, stripe_key: str) -> None:
    client = stripe.StripeClient(stripe_key, base_addresses={"api": unpaid_sandbox})
    world = make_world(client)
    sub = world.subscribe()
    world.use_card("pm_card_chargeCustomerFail")  # attaches, then every charge fails
    world.advance_to(FEB_1 + 2 * HOUR)
    assert world.sub(sub.id).status == "past_due"
    world.advance(2 * DAY)
    world.advance(2 * DAY)
    assert world.sub(sub.id).status == "unpaid"
    assert world.invoices()[-1].status == "open"


def test_trial_converts_with_events_three_days_before(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe(trial_period_days=14)
    assert sub.status == "trialing"
    assert sub.trial_end == START + 14 * DAY
    first = world.invoices()[0]
    assert first.amount_due == 0 and first.status == "paid"
    world.advance(12 * DAY)
    warned = world.events("customer.subscription.trial_will_end")
    assert [e.created for e in warned] == [START + 11 * DAY]
    world.advance(3 * DAY)
    assert world.sub(sub.id).status == "active"
    converted = world.invoices()[-1]
    assert converted.status == "paid" and converted.amount_paid == 4900
    assert converted.period_start == START + 14 * DAY


def test_trial_whose_card_fails_at_conversion_goes_past_due(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card="pm_card_chargeCustomerFail")
    sub = world.subscribe(trial_period_days=7)
    world.advance(7 * DAY + 2 * HOUR)
    assert world.sub(sub.id).status == "past_due"
    assert world.event_types("invoice.payment_failed") == ["invoice.payment_failed"]


def test_trial_without_payment_method_pauses_then_resumes(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card=None)
    sub = world.subscribe(
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    world.advance(8 * DAY)
    assert world.sub(sub.id).status == "paused"
    assert "customer.subscription.paused" in world.event_types("customer.subscription")
    world.use_card("pm_card_visa")
    resumed = world.client.v1.subscriptions.resume(sub.id)
    assert resumed.status == "active"
    assert world.invoices()[-1].status == "paid"


def test_cancel_at_period_end(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    updated = world.client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert updated.cancel_at_period_end and updated.cancel_at == FEB_1
    assert updated.status == "active"
    event = world.events("customer.subscription.updated")[-1]
    assert event.data.previous_attributes["cancel_at_period_end"] is False
    world.advance_to(FEB_1 + HOUR)
    ended = world.sub(sub.id)
    assert ended.status == "canceled" and ended.ended_at == FEB_1
    assert len(world.invoices()) == 1  # no renewal invoice


def test_price_swap_prorates_onto_the_next_invoice(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, amount=3100)
    sub = world.subscribe()
    bigger = world.client.v1.prices.create(
        params={
            "product": world.price.product,
            "unit_amount": 6200,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    world.advance(16 * DAY)  # half of January's 31 days left... 15 of 31
    item = sub.items.data[0]
    world.client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": item.id, "price": bigger.id}]}
    )
    pending = world.client.v1.invoice_items.list(params={"customer": world.customer.id}).data
    amounts = sorted(i.amount for i in pending)
    assert amounts == [-1500, 3000]  # 15/31 of 3100 back, 15/31 of 6200 due
    assert all(i.proration for i in pending)
    world.advance_to(FEB_1 + 2 * HOUR)
    renewal = world.invoices()[-1]
    assert renewal.subtotal == 6200 - 1500 + 3000
    assert renewal.amount_paid == renewal.total


def test_coupon_repeating_for_three_months(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, amount=10000)
    coupon = world.client.v1.coupons.create(
        params={"percent_off": 25, "duration": "repeating", "duration_in_months": 3}
    )
    sub = world.subscribe(discounts=[{"coupon": coupon.id}])
    assert len(sub.discounts) == 1
    for month_end in (FEB_1, MAR_1, APR_1):
        world.advance_to(month_end + 2 * HOUR)
    world.advance_to(1777593600 + 2 * HOUR)  # May 1
    totals = [i.total for i in world.invoices()]
    assert totals == [7500, 7500, 7500, 10000, 10000]
    first = world.invoices()[0]
    assert first.total_discount_amounts[0].amount == 2500
    assert world.client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_send_invoice_past_its_due_date(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, card=None)
    sub = world.subscribe(collection_method="send_invoice", days_until_due=14)
    assert sub.status == "active"
    invoice = world.invoices()[0]
    assert invoice.status == "open" and invoice.due_date == START + 14 * DAY
    assert "invoice.sent" in world.event_types("invoice.")
    world.advance(15 * DAY)
    overdue = world.events("invoice.overdue")
    assert [e.created for e in overdue] == [START + 14 * DAY]
    assert world.sub(sub.id).status == "past_due"
    world.client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    assert world.sub(sub.id).status == "active"


def test_default_incomplete_then_confirmed_with_the_confirmation_secret(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card=None)
    sub = world.subscribe(
        payment_behavior="default_incomplete", expand=["latest_invoice.confirmation_secret"]
    )
    assert sub.status == "incomplete"
    secret = sub.latest_invoice.confirmation_secret
    assert secret.type == "payment_intent"
    pi_id = secret.client_secret.split("_secret_")[0]
    world.client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    assert world.sub(sub.id).status == "active"
    assert world.client.v1.invoices.retrieve(sub.latest_invoice.id).status == "paid"
    types = world.event_types("customer.subscription")
    assert types == ["customer.subscription.created", "customer.subscription.updated"]


def test_incomplete_expires_after_23_hours(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, card=None)
    sub = world.subscribe(payment_behavior="default_incomplete")
    world.advance(22 * HOUR)
    assert world.sub(sub.id).status == "incomplete"
    world.advance(2 * HOUR)
    assert world.sub(sub.id).status == "incomplete_expired"
    assert world.invoices()[0].status == "void"


def test_legacy_stripe_version_expands_latest_invoice_payment_intent(
    sandbox_url: str, stripe_key: str
) -> None:
    client = stripe.StripeClient(
        stripe_key, base_addresses={"api": sandbox_url}, stripe_version="2024-06-20"
    )
    world = make_world(client, card=None)
    sub = world.subscribe(
        payment_behavior="default_incomplete", expand=["latest_invoice.payment_intent"]
    )
    pi = sub.latest_invoice.payment_intent
    assert pi.object == "payment_intent" and pi.status == "requires_payment_method"
    assert pi.amount == 4900 and pi.currency == "eur"


def test_clock_refuses_more_than_two_intervals_at_once(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    world.subscribe()
    with pytest.raises(stripe.InvalidRequestError, match="two intervals"):
        world.advance(70 * DAY)


def test_deleting_a_clock_deletes_its_customers(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    world.client.v1.test_helpers.test_clocks.delete(world.clock.id)
    assert world.client.v1.customers.retrieve(world.customer.id).deleted
    assert world.sub(sub.id).status == "canceled"


def test_items_list_filters_and_search(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe(metadata={"plan": "pro"})
    other = world.client.v1.prices.create(
        params={
            "product": world.price.product,
            "unit_amount": 1000,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    added = world.client.v1.subscription_items.create(
        params={"subscription": sub.id, "price": other.id, "quantity": 2}
    )
    assert added.quantity == 2 and added.price.id == other.id
    items = world.client.v1.subscription_items.list(params={"subscription": sub.id})
    assert {i.id for i in items.data} == {sub.items.data[0].id, added.id}
    world.client.v1.subscription_items.update(added.id, params={"quantity": 3})
    assert world.client.v1.subscription_items.retrieve(added.id).quantity == 3
    world.client.v1.subscription_items.delete(added.id)
    assert len(world.sub(sub.id).items.data) == 1
    by_price = world.client.v1.subscriptions.list(params={"price": world.price.id})
    assert [s.id for s in by_price.data] == [sub.id]
    assert world.client.v1.subscriptions.list(params={"status": "canceled"}).data == []
    found = world.client.v1.subscriptions.search(params={"query": "metadata['plan']:'pro'"})
    assert [s.id for s in found.data] == [sub.id]
    world.client.v1.subscriptions.cancel(sub.id)
    ended = world.client.v1.subscriptions.list(params={"status": "canceled"})
    assert [s.id for s in ended.data] == [sub.id]
    with pytest.raises(stripe.InvalidRequestError, match="already been canceled"):
        world.client.v1.subscriptions.cancel(sub.id)


def test_bad_requests_name_the_parameter(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    one_time = world.client.v1.prices.create(
        params={"product": world.price.product, "unit_amount": 500, "currency": "eur"}
    )
    with pytest.raises(stripe.InvalidRequestError) as raised:
        world.subscribe(items=[{"price": one_time.id}])
    assert raised.value.param == "items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        world.subscribe(collection_method="send_invoice")
    assert raised.value.param == "days_until_due"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        world.client.v1.subscriptions.create(params={"customer": world.customer.id})
    assert raised.value.param == "items"


def test_pause_collection_voids_renewals_until_it_resumes(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    world.client.v1.subscriptions.update(
        sub.id, params={"pause_collection": {"behavior": "void", "resumes_at": MAR_1 - DAY}}
    )
    world.advance_to(FEB_1 + 2 * HOUR)
    assert world.invoices()[-1].status == "void"
    world.advance_to(MAR_1 + 2 * HOUR)
    assert world.invoices()[-1].status == "paid"
    assert world.sub(sub.id).pause_collection is None


def test_cancel_now_with_proration_credits_the_unused_time(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, amount=3100)
    sub = world.subscribe()
    world.advance(16 * DAY)
    ended = world.client.v1.subscriptions.cancel(
        sub.id, params={"prorate": True, "invoice_now": True}
    )
    assert ended.status == "canceled"
    final = world.invoices()[-1]
    assert final.total == -1500 and final.amount_due == 0
    assert final.lines.data[0].parent.invoice_item_details.proration


def test_invoice_upcoming_a_week_before_renewal(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    world.advance_to(FEB_1 - 6 * DAY)
    [upcoming] = world.events("invoice.upcoming")
    assert upcoming.created == FEB_1 - 7 * DAY
    preview = upcoming.data.object
    assert preview.id.startswith("upcoming_in_") and preview.subscription == sub.id
    assert preview.amount_due == 4900 and preview.period_start == FEB_1
