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
