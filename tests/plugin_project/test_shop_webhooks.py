"""A user's tests of their webhook handler, written only against the plugin's fixtures."""

from __future__ import annotations


def _checkout(stripe_sandbox, amount: int = 2000):
    client = stripe_sandbox.client()
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": amount,
                        "product_data": {"name": "T-shirt"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}",
        }
    )


def test_an_order_is_fulfilled_once_however_often_stripe_sends_it(
    stripe_sandbox, stripe_webhooks, shop
):
    stripe_sandbox.chaos(duplicate=1.0, reorder=0.5, delay_ms="0-200", fail=0.5, seed=42)
    session = _checkout(stripe_sandbox)

    landed = stripe_sandbox.pay_checkout_session(session)

    assert landed.startswith("https://shop.example/success?session_id=" + session.id)
    stripe_webhooks.wait_for("checkout.session.completed", count=2)
    stripe_webhooks.wait_until_settled(timeout=20)
    assert shop.fulfilled == [session.id]
    sent = [
        d for d in stripe_webhooks.deliveries() if d["event_type"] == "checkout.session.completed"
    ]
    assert any("duplicate" in label for d in sent for label in d["chaos"])


def test_a_declined_card_fulfils_nothing(stripe_sandbox, stripe_webhooks, shop):
    session = _checkout(stripe_sandbox)

    landed = stripe_sandbox.pay_checkout_session(session, card="4000000000000002")

    assert landed == session.url  # the buyer sees the payment page again
    stripe_webhooks.wait_until_settled()
    assert shop.fulfilled == []
    assert not stripe_webhooks.events("checkout.session.completed")


def test_a_failed_delivery_is_retried_until_acknowledged(stripe_sandbox, stripe_webhooks, shop):
    stripe_sandbox.chaos(fail=1.0)
    session = _checkout(stripe_sandbox)
    stripe_sandbox.pay_checkout_session(session)

    stripe_webhooks.wait_for("checkout.session.completed", timeout=15)

    attempts = [
        d for d in stripe_webhooks.deliveries() if d["event_type"] == "checkout.session.completed"
    ]
    assert [d["attempt"] for d in attempts][:2] == [1, 2]
    assert not attempts[0]["delivered"] and "failed first attempt" in attempts[0]["chaos"]
    assert shop.fulfilled == [session.id]


def test_payment_intents_with_and_without_3d_secure(stripe_sandbox):
    client = stripe_sandbox.client()
    plain = client.v1.payment_intents.create(params={"amount": 500, "currency": "eur"})
    assert stripe_sandbox.pay_payment_intent(plain).status == "succeeded"

    challenged = client.v1.payment_intents.create(params={"amount": 500, "currency": "eur"})
    paid = stripe_sandbox.pay_payment_intent(challenged, "pm_card_threeDSecure2Required")
    assert paid.status == "succeeded"

    refused = client.v1.payment_intents.create(params={"amount": 500, "currency": "eur"})
    left = stripe_sandbox.pay_payment_intent(
        refused, "pm_card_threeDSecure2Required", authenticate=False
    )
    assert left.status == "requires_payment_method"


def test_resending_an_event_delivers_it_again(stripe_sandbox, stripe_webhooks, shop):
    session = _checkout(stripe_sandbox)
    stripe_sandbox.pay_checkout_session(session)
    first = stripe_webhooks.wait_for("checkout.session.completed")[0]

    stripe_sandbox.api(
        "POST",
        f"/v1/events/{first['event']}/retry",
        {"webhook_endpoint": first["webhook_endpoint"]},
    )

    stripe_webhooks.wait_for("checkout.session.completed", count=2)
    assert shop.fulfilled == [session.id]
