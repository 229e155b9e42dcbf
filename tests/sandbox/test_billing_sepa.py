"""SEPA Direct Debit: test IBANs, mandates, payments that stay processing and settle on the
timer queue at business time, and subscriptions paid by debit."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.sandbox.billing_support import START, make_world

HOUR = 3600
FEB_1 = 1769904000


def _sepa_world(client: stripe.StripeClient, iban: str):  # type: ignore[no-untyped-def]
    world = make_world(client, card=None)
    pm = client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"},
        }
    )
    client.v1.payment_methods.attach(pm.id, params={"customer": world.customer.id})
    client.v1.customers.update(
        world.customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return world, pm


def test_sepa_subscription_settles_later_on_the_business_clock(
    stripe_client: stripe.StripeClient,
) -> None:
    world, pm = _sepa_world(stripe_client, "DE08370400440532013003")  # succeeds after 3 min
    assert pm.type == "sepa_debit" and pm.sepa_debit.last4 == "3003"
    sub = world.subscribe(payment_settings={"payment_method_types": ["card", "sepa_debit"]})
    assert sub.status == "active"
    invoice = world.invoices()[0]
    assert invoice.status == "open"
    pi = stripe_client.v1.payment_intents.retrieve(
        stripe_client.v1.invoices.retrieve(
            invoice.id, params={"expand": ["confirmation_secret"]}
        ).confirmation_secret.client_secret.split("_secret_")[0]
    )
    assert pi.status == "processing"
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "pending"
    mandate = stripe_client.v1.mandates.retrieve(charge.payment_method_details.sepa_debit.mandate)
    assert mandate.status == "active" and mandate.payment_method == pm.id
    world.advance(120)
    assert world.invoices()[0].status == "open"  # not yet: three minutes
    world.advance(120)
    assert world.invoices()[0].status == "paid"
    settled = world.events("payment_intent.succeeded")[-1]
    assert settled.created == START + 180
    types = world.event_types("charge.")
    assert types[-2:] == ["charge.pending", "charge.succeeded"]


def test_sepa_debit_that_fails_puts_the_subscription_past_due(
    stripe_client: stripe.StripeClient,
) -> None:
    world, _ = _sepa_world(stripe_client, "AT611904300234573201")  # succeeds
    sub = world.subscribe()
    world.advance(HOUR)
    assert world.invoices()[0].status == "paid"
    failing = stripe_client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "AT981904300002222227"},  # insufficient funds
            "billing_details": {"name": "Jenny Rosen"},
        }
    )
    stripe_client.v1.payment_methods.attach(failing.id, params={"customer": world.customer.id})
    stripe_client.v1.subscriptions.update(sub.id, params={"default_payment_method": failing.id})
    world.advance_to(FEB_1 + 2 * HOUR)
    renewal = world.invoices()[-1]
    assert renewal.status == "open" and renewal.attempt_count == 1
    assert world.sub(sub.id).status == "past_due"
    failed = world.events("payment_intent.payment_failed")[-1]
    assert failed.data.object.last_payment_error.code == "insufficient_funds"


def test_iban_is_checked_and_test_tokens_work(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="IBAN"):
        stripe_client.v1.payment_methods.create(
            params={
                "type": "sepa_debit",
                "sepa_debit": {"iban": "DE89370400440532013001"},
                "billing_details": {"name": "Jenny Rosen"},
            }
        )
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "payment_method_types": ["sepa_debit"],
            "payment_method": "pm_failed_de",
            "confirm": True,
        }
    )
    assert pi.status == "processing"


def test_hosted_invoice_page_takes_an_iban(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, card=None)
    stripe_client.v1.invoice_items.create(
        params={"customer": world.customer.id, "amount": 15000, "currency": "eur"}
    )
    draft = stripe_client.v1.invoices.create(
        params={
            "customer": world.customer.id,
            "pending_invoice_items_behavior": "include",
            "payment_settings": {"payment_method_types": ["card", "sepa_debit"]},
        }
    )
    invoice = stripe_client.v1.invoices.finalize_invoice(draft.id)
    page = httpx.get(invoice.hosted_invoice_url)
    assert "SEPA Direct Debit" in page.text
    bad = httpx.post(
        invoice.hosted_invoice_url,
        data={"method": "sepa_debit", "iban": "DE00123", "account_holder": "Jenny Rosen"},
    )
    assert bad.status_code == 400 and "IBAN" in bad.text
    sent = httpx.post(
        invoice.hosted_invoice_url,
        data={
            "method": "sepa_debit",
            "iban": "DE89 3704 0044 0532 0130 00",
            "account_holder": "Jenny Rosen",
        },
    )
    assert sent.status_code == 303
    assert "processing" in httpx.get(invoice.hosted_invoice_url).text
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "open"
    world.advance(60)
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_debit_confirmed_through_the_api_settles_when_its_clock_moves(
    stripe_client: stripe.StripeClient,
) -> None:
    world, pm = _sepa_world(stripe_client, "DE89370400440532013000")
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "customer": world.customer.id,
            "payment_method_types": ["sepa_debit"],
            "payment_method": pm.id,
            "confirm": True,
        }
    )
    assert pi.status == "processing"
    world.advance(60)
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert world.events("payment_intent.succeeded")[-1].created == START + 10
