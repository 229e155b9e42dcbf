"""A trial started `default_incomplete` with no card on file: Stripe gives the subscription a
`pending_setup_intent` to collect one; confirming it makes the card the subscription's default
payment method (save_default_payment_method=on_subscription) and the trial converts with it."""

from __future__ import annotations

import stripe

from tests.sandbox.billing_support import DAY, make_world


def _trial(world, **extra):  # type: ignore[no-untyped-def]
    return world.subscribe(
        trial_period_days=14, payment_behavior="default_incomplete",
        payment_settings={"save_default_payment_method": "on_subscription"},
        expand=["latest_invoice.confirmation_secret", "pending_setup_intent"], **extra)


def test_a_trials_setup_intent_saves_the_card_it_converts_with(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card=None)
    sub = _trial(world)
    assert sub.status == "trialing" and sub.latest_invoice.amount_due == 0
    assert sub.latest_invoice.confirmation_secret is None  # nothing to pay now
    setup = sub.pending_setup_intent
    assert setup.object == "setup_intent" and setup.status == "requires_payment_method"
    assert setup.client_secret.startswith(setup.id + "_secret_")
    assert setup.customer == world.customer.id and setup.usage == "off_session"
    assert sub.payment_settings.save_default_payment_method == "on_subscription"

    done = stripe_client.v1.setup_intents.confirm(setup.id, {"payment_method": "pm_card_visa"})
    assert done.status == "succeeded"
    after = world.sub(sub.id)
    assert after.status == "trialing" and after.pending_setup_intent is None
    assert after.default_payment_method == done.payment_method
    updated = world.events("customer.subscription.updated")[-1]
    assert updated.data.previous_attributes["pending_setup_intent"] == setup.id

    world.advance(14 * DAY + 7200)
    assert world.sub(sub.id).status == "active"
    converted = world.invoices()[-1]
    assert converted.status == "paid" and converted.amount_paid == 4900


def test_no_setup_intent_when_a_card_is_on_file_or_when_payment_is_due(
    stripe_client: stripe.StripeClient,
) -> None:
    with_card = make_world(stripe_client)
    assert _trial(with_card).pending_setup_intent is None
    no_trial = make_world(stripe_client, card=None).subscribe(
        payment_behavior="default_incomplete", expand=["latest_invoice.confirmation_secret"])
    assert no_trial.status == "incomplete" and no_trial.pending_setup_intent is None
    assert no_trial.latest_invoice.confirmation_secret.client_secret


def test_without_on_subscription_the_card_is_not_made_the_default(
    stripe_client: stripe.StripeClient,
) -> None:
    world = make_world(stripe_client, card=None)
    sub = world.subscribe(trial_period_days=14, payment_behavior="default_incomplete")
    stripe_client.v1.setup_intents.confirm(sub.pending_setup_intent,
                                           {"payment_method": "pm_card_visa"})
    after = world.sub(sub.id)
    assert after.pending_setup_intent is None and after.default_payment_method is None
