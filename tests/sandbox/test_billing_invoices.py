"""Invoices through the official SDK: the seed's one-off invoice, the hosted invoice page
(card and 3DS), the PDF read back with pypdf, taxes, discounts, transitions and filters."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe
from pypdf import PdfReader

from tests.sandbox.billing_support import make_world

CARD = {"card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Jane Doe"}


def _one_off(client: stripe.StripeClient, customer: str, **extra: Any) -> Any:
    """The seed's calls, with today's explicit pending_invoice_items_behavior."""
    client.v1.invoice_items.create(
        params={
            "customer": customer,
            "amount": 15000,
            "currency": "eur",
            "description": "Consulting services - March 2026",
        }
    )
    invoice = client.v1.invoices.create(
        params={
            "customer": customer,
            "auto_advance": True,
            "pending_invoice_items_behavior": "include",
            **extra,
        }
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    return client.v1.invoices.send_invoice(invoice.id)


def _customer(client: stripe.StripeClient) -> str:
    return str(
        client.v1.customers.create(params={"email": "client@example.com", "name": "Company ABC"}).id
    )


def _pay_on_page(url: str, number: str) -> httpx.Response:
    form = {"email": "client@example.com", "card_number": number, **CARD}
    return httpx.post(url, data=form, follow_redirects=False)


def test_one_off_invoice_paid_on_its_hosted_page(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    invoice = _one_off(stripe_client, customer)
    assert invoice.status == "open" and invoice.amount_due == 15000
    assert invoice.number and invoice.number.endswith("-0001")
    assert invoice.lines.data[0].description == "Consulting services - March 2026"
    page = httpx.get(invoice.hosted_invoice_url)
    assert page.status_code == 200 and "Consulting services - March 2026" in page.text
    declined = _pay_on_page(invoice.hosted_invoice_url, "4000000000000002")
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    paid = _pay_on_page(invoice.hosted_invoice_url, "4242424242424242")
    assert paid.status_code == 303
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert after.status == "paid" and after.amount_paid == 15000 and after.amount_remaining == 0
    assert "This invoice has been paid" in httpx.get(invoice.hosted_invoice_url).text
    types = [e.type for e in reversed(stripe_client.v1.events.list(params={"limit": 50}).data)]
    assert (
        types.index("invoice.finalized") < types.index("invoice.sent") < types.index("invoice.paid")
    )
    assert types[-2:] == ["invoice.paid", "invoice.payment_succeeded"]


def test_hosted_page_takes_a_3ds_card(stripe_client: stripe.StripeClient) -> None:
    invoice = _one_off(stripe_client, _customer(stripe_client))
    started = _pay_on_page(invoice.hosted_invoice_url, "4000002500003155")
    assert started.status_code == 303
    challenge = started.headers["location"]
    secret = parse_qs(urlsplit(challenge).query)["client_secret"][0]
    answer = httpx.post(challenge, data={"client_secret": secret, "action": "complete"})
    assert answer.status_code in (200, 303)
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_without_include_pending_items_wait_for_the_next_invoice(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = _customer(stripe_client)
    stripe_client.v1.invoice_items.create(
        params={"customer": customer, "amount": 500, "currency": "eur"}
    )
    empty = stripe_client.v1.invoices.create(params={"customer": customer})
    assert empty.lines.data == [] and empty.status == "draft"
    pending = stripe_client.v1.invoice_items.list(params={"customer": customer, "pending": True})
    assert len(pending.data) == 1


def test_pdf_carries_the_invoice_text(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    rate = stripe_client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20, "inclusive": False}
    )
    coupon = stripe_client.v1.coupons.create(
        params={"amount_off": 1000, "currency": "eur", "name": "Welcome"}
    )
    stripe_client.v1.invoice_items.create(
        params={
            "customer": customer,
            "amount": 15000,
            "currency": "eur",
            "description": "Consulting services - March 2026",
        }
    )
    invoice = stripe_client.v1.invoices.create(
        params={
            "customer": customer,
            "pending_invoice_items_behavior": "include",
            "default_tax_rates": [rate.id],
        }
    )
    del coupon
    invoice = stripe_client.v1.invoices.finalize_invoice(invoice.id)
    assert invoice.total == 18000 and invoice.total_taxes[0].amount == 3000
    pdf = httpx.get(invoice.invoice_pdf)
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    for expected in (
        invoice.number,
        "Company ABC",
        "Consulting services - March 2026",
        "150.00 EUR",
        "VAT (20%)",
        "30.00 EUR",
        "180.00 EUR",
        "Amount due",
    ):
        assert expected in text, expected


def test_taxes_inclusive_and_exclusive_with_a_discount(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client, amount=12000)
    inclusive = stripe_client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20, "inclusive": True}
    )
    exclusive = stripe_client.v1.tax_rates.create(
        params={"display_name": "Sales tax", "percentage": 10, "inclusive": False}
    )
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 50, "duration": "once"})
    world.subscribe(default_tax_rates=[inclusive.id, exclusive.id], coupon=coupon.id)
    invoice = world.invoices()[0]
    assert invoice.subtotal == 12000
    assert invoice.total_discount_amounts[0].amount == 6000
    taxes = {t.tax_rate_details.tax_rate: t.amount for t in invoice.total_taxes}
    assert taxes == {inclusive.id: 1000, exclusive.id: 600}
    assert invoice.total == 6600 and invoice.amount_paid == 6600


def test_void_and_uncollectible_transitions(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    first = _one_off(stripe_client, customer)
    voided = stripe_client.v1.invoices.void_invoice(first.id)
    assert voided.status == "void" and voided.status_transitions.voided_at
    with pytest.raises(stripe.InvalidRequestError, match="void"):
        stripe_client.v1.invoices.void_invoice(first.id)
    second = _one_off(stripe_client, customer)
    bad = stripe_client.v1.invoices.mark_uncollectible(second.id)
    assert bad.status == "uncollectible"
    paid = stripe_client.v1.invoices.pay(second.id, params={"paid_out_of_band": True})
    assert paid.status == "paid"
    listed = stripe_client.v1.invoices.list(params={"customer": customer, "status": "void"})
    assert [i.id for i in listed.data] == [first.id]
    assert second.number.endswith("-0002")


def test_pay_with_a_payment_method_and_decline(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    invoice = _one_off(stripe_client, customer)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.invoices.pay(
            invoice.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    failed = stripe_client.v1.invoices.retrieve(invoice.id)
    assert failed.status == "open" and failed.attempt_count == 1
    paid = stripe_client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "paid"


def test_preview_of_the_next_invoice(stripe_client: stripe.StripeClient) -> None:
    world = make_world(stripe_client)
    sub = world.subscribe()
    preview = stripe_client.v1.invoices.create_preview(params={"subscription": sub.id})
    assert preview.amount_due == 4900
    assert preview.period_start == sub.items.data[0].current_period_end


def test_catalogue_objects(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create(params={"name": "Legacy"})
    plan = stripe_client.v1.plans.create(
        params={"amount": 900, "currency": "usd", "interval": "month", "product": product.id}
    )
    assert plan.object == "plan" and plan.amount == 900
    price = stripe_client.v1.prices.retrieve(plan.id)
    assert price.recurring.interval == "month" and price.unit_amount == 900
    named = stripe_client.v1.plans.create(
        params={
            "id": "gold",
            "amount": 2000,
            "currency": "usd",
            "interval": "year",
            "product": {"name": "Gold"},
        }
    )
    assert named.id == "gold" and stripe_client.v1.plans.retrieve("gold").interval == "year"
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10, "max_redemptions": 1})
    promo = stripe_client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "TENOFF"}
    )
    assert promo.promotion.coupon == coupon.id and promo.code == "TENOFF"
    with pytest.raises(stripe.InvalidRequestError, match="percent_off"):
        stripe_client.v1.coupons.create(params={"duration": "once"})
    with pytest.raises(stripe.InvalidRequestError, match="inclusive"):
        stripe_client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20})


def test_updating_and_deleting_a_plan_changes_the_price_behind_it(
    stripe_client: stripe.StripeClient,
) -> None:
    plan = stripe_client.v1.plans.create(
        params={"amount": 500, "currency": "usd", "interval": "month", "product": {"name": "P"}}
    )
    updated = stripe_client.v1.plans.update(
        plan.id, params={"nickname": "Basic", "metadata": {"tier": "1"}}
    )
    assert updated.object == "plan" and updated.nickname == "Basic"
    assert stripe_client.v1.prices.retrieve(plan.id).metadata["tier"] == "1"
    event = stripe_client.v1.events.list(params={"type": "plan.updated"}).data[0]
    assert event.data.object.id == plan.id
    assert event.data.previous_attributes["nickname"] is None
    deleted = stripe_client.v1.plans.delete(plan.id)
    assert deleted.id == plan.id and deleted.deleted is True
    assert stripe_client.v1.prices.retrieve(plan.id).active is False
    event = stripe_client.v1.events.list(params={"type": "plan.deleted"}).data[0]
    assert event.data.object.id == plan.id and event.data.object.active is True
