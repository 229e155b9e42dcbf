"""Subscription parameters that change what Stripe does, through the official SDK."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.billing_support import make_world


def test_error_if_incomplete_answers_402_and_leaves_no_subscription(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card="pm_card_chargeCustomerFail")
    with pytest.raises(stripe.CardError) as raised:
        world.subscribe(payment_behavior="error_if_incomplete")
    assert raised.value.http_status == 402
    assert raised.value.code == "card_declined"
    subs = stripe_client.v1.subscriptions.list(
        params={"customer": world.customer.id, "status": "all"}
    )
    assert subs.data == []
    assert world.event_types("customer.subscription") == []
    # Its first invoice is not left open to be dunned.
    assert [i.status for i in world.invoices()] == ["void"]


def test_created_event_shows_active_when_the_first_payment_succeeds(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    assert sub.status == "active"
    events = world.events("customer.subscription")
    assert [e.type for e in events] == ["customer.subscription.created"]
    assert events[0].data.object.status == "active"


def test_created_event_shows_incomplete_when_the_first_payment_fails(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card="pm_card_chargeCustomerFail")
    sub = world.subscribe()
    assert sub.status == "incomplete"
    events = world.events("customer.subscription")
    assert [e.data.object.status for e in events] == ["incomplete"]


def test_deleting_a_customer_cancels_their_subscriptions(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)
    first = world.subscribe()
    second = world.subscribe()
    stripe_client.v1.customers.delete(world.customer.id)
    for sub in (first, second):
        ended = world.sub(sub.id)
        assert ended.status == "canceled"
        assert ended.canceled_at == world.now  # the customer's business time (its clock's)
    deleted = world.events("customer.subscription.deleted")
    assert [e.data.object.id for e in deleted] == [first.id, second.id]
    assert world.event_types()[-1] == "customer.deleted"
    world.advance(40 * 86400)  # nothing renews any more
    assert len(world.invoices()) == 2


def test_save_default_payment_method_on_subscription(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, card=None)
    sub = world.subscribe(
        payment_behavior="default_incomplete",
        payment_settings={"save_default_payment_method": "on_subscription"},
        expand=["latest_invoice.confirmation_secret"],
    )
    assert sub.default_payment_method is None
    assert sub.payment_settings.save_default_payment_method == "on_subscription"
    pi_id = sub.latest_invoice.confirmation_secret.client_secret.split("_secret_")[0]
    paid = stripe_client.v1.payment_intents.confirm(
        pi_id, params={"payment_method": "pm_card_visa"}
    )
    after = world.sub(sub.id)
    assert after.status == "active"
    assert after.default_payment_method == paid.payment_method
    # Without the setting the payment method is not kept on the subscription.
    other = world.subscribe(
        payment_behavior="default_incomplete", expand=["latest_invoice.confirmation_secret"]
    )
    pi_id = other.latest_invoice.confirmation_secret.client_secret.split("_secret_")[0]
    stripe_client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    assert world.sub(other.id).default_payment_method is None


def test_old_stripe_version_gets_invoice_payment_intent_and_subscription_periods(
    sandbox_url: str, stripe_key: str
) -> None:
    old = stripe.StripeClient(
        stripe_key, base_addresses={"api": sandbox_url}, stripe_version="2024-06-20"
    )
    world = make_world(old)
    sub = world.subscribe()
    item = sub["items"].data[0]
    assert sub.current_period_start == item.current_period_start == world.now
    assert sub.current_period_end == item.current_period_end
    invoice = old.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.payment_intent.startswith("pi_")
    listed = old.v1.invoices.list(params={"customer": world.customer.id}).data[0]
    assert listed.payment_intent == invoice.payment_intent
    # The current version has neither (they moved to the items and to invoice payments).
    current = stripe.StripeClient(stripe_key, base_addresses={"api": sandbox_url})
    assert "current_period_end" not in current.v1.subscriptions.retrieve(sub.id)
    assert "payment_intent" not in current.v1.invoices.retrieve(invoice.id)


def test_coupon_applies_to_products_discounts_only_their_lines(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)
    addon = stripe_client.v1.prices.create(
        params={
            "product_data": {"name": "Add-on"},
            "unit_amount": 1000,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    coupon = stripe_client.v1.coupons.create(
        params={
            "percent_off": 50,
            "duration": "forever",
            "applies_to": {"products": [world.price.product]},
        }
    )
    assert coupon.applies_to.products == [world.price.product]
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": world.customer.id,
            "items": [{"price": world.price.id}, {"price": addon.id}],
            "discounts": [{"coupon": coupon.id}],
        }
    )
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    by_product = {
        line.pricing.price_details.product: sum(d.amount for d in line.discount_amounts)
        for line in invoice.lines.data
    }
    assert by_product == {world.price.product: 2450, addon.product: 0}
    assert invoice.total == 4900 + 1000 - 2450


def test_promotion_code_restrictions_are_enforced(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    big = stripe_client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "restrictions": {"minimum_amount": 10000, "minimum_amount_currency": "eur"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as raised:
        world.subscribe(discounts=[{"promotion_code": big.id}])
    assert "minimum amount requirement" in str(raised.value.user_message)
    assert raised.value.code == "promotion_code_amount_insufficient"
    first = stripe_client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "restrictions": {"first_time_transaction": True},
        }
    )
    world.subscribe(discounts=[{"promotion_code": first.id}])  # no payment yet: accepted
    with pytest.raises(stripe.InvalidRequestError) as raised:
        world.subscribe(discounts=[{"promotion_code": first.id}])  # now it has paid once
    assert "prior transactions" in str(raised.value.user_message)
    subs = stripe_client.v1.subscriptions.list(params={"customer": world.customer.id})
    assert len(subs.data) == 1


def test_billing_cycle_anchor_prorates_the_short_first_period(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)  # EUR 49 a month from 2026-01-01
    anchor = world.now + 15 * 86400  # the 16th: 15 of January's 31 days
    sub = world.subscribe(billing_cycle_anchor=anchor)
    assert sub.billing_cycle_anchor == anchor
    assert sub["items"].data[0].current_period_end == anchor
    first = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.amount_due == round(4900 * 15 / 31) and first.status == "paid"
    world.advance_to(anchor + 2 * 3600)  # renewed at the anchor, a full month
    renewal = world.invoices()[-1]
    assert renewal.period_start == anchor and renewal.amount_paid == 4900
    free = world.subscribe(billing_cycle_anchor=world.now + 86400, proration_behavior="none")
    assert stripe_client.v1.invoices.retrieve(free.latest_invoice).amount_due == 0
    with pytest.raises(stripe.InvalidRequestError) as raised:
        world.subscribe(billing_cycle_anchor=world.now + 40 * 86400)
    assert raised.value.param == "billing_cycle_anchor"


def test_billing_cycle_anchor_now_restarts_the_cycle_with_a_credit(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    world.advance(10 * 86400)
    updated = stripe_client.v1.subscriptions.update(
        sub.id, params={"billing_cycle_anchor": "now"}
    )
    assert updated.billing_cycle_anchor == world.now
    assert updated["items"].data[0].current_period_start == world.now
    invoice = stripe_client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    credit = round(4900 * 21 / 31)  # the 21 unused days of January
    assert invoice.amount_paid == 4900 - credit
    changed = world.events("customer.subscription.updated")[-1]
    assert changed.data.previous_attributes["billing_cycle_anchor"] == sub.billing_cycle_anchor
