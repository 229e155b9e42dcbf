"""Refunds asked for from paydesk (admin form, service, CLI) against the real sandbox: the order
moves only through the sandbox's charge.refunded webhook, a resubmitted form refunds once, too
much is refused before Stripe hears of it, and the idempotency key is refund:<order_id>:<n>."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import insert, select

from paydesk.orders.tables import orders
from paydesk.refunds.service import RefundRefused, request_refund
from paydesk.refunds.tables import refund_requests
from tests.e2e.live import Shop, run_shop
from tests.support import ADMIN_TOKEN, wait_for

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


@pytest.fixture
def shop(database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path) -> Iterator[Shop]:
    with run_shop(database_url, sandbox_url, stripe_key, tmp_path) as running:
        yield running


@pytest.fixture
def admin(shop: Shop) -> Iterator[httpx.Client]:
    """A browser-like client holding the admin cookie (so forms need their CSRF field)."""
    with httpx.Client(base_url=shop.url, timeout=15) as client:
        assert client.get("/admin", params={"token": ADMIN_TOKEN}).status_code == 303
        yield client


def _wait_until(check: Callable[[], bool], what: str) -> None:
    wait_for(check, what)


def _order(shop: Shop, order_id: str) -> Any:
    with shop.ctx.engine.connect() as conn:
        return conn.execute(select(orders).where(orders.c.id == order_id)).one()


def _requests(shop: Shop, order_id: str) -> list[Any]:
    with shop.ctx.engine.connect() as conn:
        return list(conn.execute(
            select(refund_requests).where(refund_requests.c.order_id == order_id)
            .order_by(refund_requests.c.n)
        ).all())


def _paid_order(shop: Shop) -> str:
    """2 × House Blend ($14.00) = $28.00, paid on the sandbox's hosted page."""
    res = httpx.post(shop.url + "/api/checkout", json={
        "items": [{"product_id": "beans", "quantity": 2}], "email": "buyer@example.com",
    })
    assert res.status_code == 201, res.text
    order_id, url = res.json()["order_id"], res.json()["url"]
    paid = httpx.post(url, data={
        "email": "buyer@example.com", "card_number": "4242 4242 4242 4242",
        "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Ada Buyer",
    })
    assert paid.status_code == 303, paid.text
    _wait_until(lambda: _order(shop, order_id).status == "fulfilled", "the order to be fulfilled")
    return order_id


def _stripe(shop: Shop) -> stripe.StripeClient:
    return shop.ctx.stripe


def _sandbox_refunds(shop: Shop, order_id: str) -> list[Any]:
    pi = _order(shop, order_id).payment_intent_id
    return list(_stripe(shop).v1.refunds.list({"payment_intent": pi, "limit": 100}).data)


def _form(admin: httpx.Client, order_id: str) -> dict[str, str]:
    page = admin.get(f"/admin/orders/{order_id}")
    assert page.status_code == 200
    fields = dict(re.findall(r'name="(csrf|token|amount)"[^>]*value="([^"]*)"', page.text))
    assert set(fields) == {"csrf", "token", "amount"}, "the refund form and its fields"
    return fields


def _submit(admin: httpx.Client, order_id: str, form: dict[str, str]) -> httpx.Response:
    return admin.post(f"/admin/orders/{order_id}/refunds", data=form)


def test_partial_then_full_refund_moves_the_order_only_through_the_webhook(
    shop: Shop, admin: httpx.Client
) -> None:
    order_id = _paid_order(shop)
    form = _form(admin, order_id)
    assert form["amount"] == "28.00"  # prefilled with all that is left, in major units

    sent = _submit(admin, order_id, form | {"amount": "10.5", "reason": "requested_by_customer"})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/admin/orders/{order_id}?refund=")
    flash = admin.get(sent.headers["location"]).text
    assert "Refund #1 of $10.50 accepted by Stripe" in flash
    [first] = _requests(shop, order_id)
    assert (first.n, first.amount, first.status, first.reason) == (
        1, 1050, "succeeded", "requested_by_customer")
    assert first.stripe_refund_id.startswith("re_")

    _wait_until(lambda: _order(shop, order_id).status == "partially_refunded", "the webhook")
    assert _order(shop, order_id).amount_refunded == 1050

    second = _form(admin, order_id)
    assert second["amount"] == "17.50" and second["token"] != form["token"]
    assert _submit(admin, order_id, second).status_code == 303
    _wait_until(lambda: _order(shop, order_id).status == "refunded", "the second webhook")
    assert _order(shop, order_id).amount_refunded == 2800
    assert [(r.n, r.amount, r.status) for r in _requests(shop, order_id)] == [
        (1, 1050, "succeeded"), (2, 1750, "succeeded")]
    refunds = _sandbox_refunds(shop, order_id)
    assert sorted(r.amount for r in refunds) == [1050, 1750]
    assert {r.metadata["order_id"] for r in refunds} == {order_id}

    page = admin.get(f"/admin/orders/{order_id}").text
    assert "Nothing to refund" in page and 'name="amount"' not in page
    assert "$10.50" in page and "$17.50" in page and "succeeded" in page


def test_resubmitting_the_same_form_refunds_once(shop: Shop, admin: httpx.Client) -> None:
    order_id = _paid_order(shop)
    form = _form(admin, order_id) | {"amount": "5.00"}
    first = _submit(admin, order_id, form)
    again = _submit(admin, order_id, form)  # the browser's back button and "submit" again
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    # A double-click: two submissions of one form at the same moment.
    racing = _form(admin, order_id) | {"amount": "3.00"}
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: _submit(admin, order_id, racing), range(2)))
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]

    assert sorted(r.amount for r in _sandbox_refunds(shop, order_id)) == [300, 500]
    assert [(r.n, r.amount) for r in _requests(shop, order_id)] == [(1, 500), (2, 300)]
    _wait_until(lambda: _order(shop, order_id).amount_refunded == 800, "both webhooks")


def test_more_than_what_is_left_is_refused_and_nothing_reaches_stripe(
    shop: Shop, admin: httpx.Client
) -> None:
    order_id = _paid_order(shop)
    form = _form(admin, order_id)
    for amount, message in [
        ("28.01", "Cannot refund $28.01: the amount must be between $0.01 and $28.00"),
        ("0", "Cannot refund $0.00"),
        ("12.345", "USD has 2 decimal places"),
        ("12,50", "is not an amount"),
    ]:
        refused = _submit(admin, order_id, form | {"amount": amount})
        assert refused.status_code == 400, amount
        assert message in refused.text, refused.text
        assert f'value="{form["token"]}"' in refused.text  # the same form, shown again
    bad_reason = _submit(admin, order_id, form | {"reason": "because"})
    assert bad_reason.status_code == 400 and "Unknown reason" in bad_reason.text
    forged = _submit(admin, order_id, form | {"csrf": "forged"})
    assert forged.status_code == 403
    assert _sandbox_refunds(shop, order_id) == [] and _requests(shop, order_id) == []

    # What is in flight counts too: another admin's $15 still on its way to Stripe, and $5 that
    # Stripe accepted but whose charge.refunded has not arrived (amount_refunded is still 0).
    now = datetime.now(UTC)
    with shop.ctx.engine.begin() as conn:
        for n, amount, status in [(1, 1500, "requested"), (2, 500, "succeeded")]:
            conn.execute(insert(refund_requests).values(
                order_id=order_id, n=n, request_token=f"other-{n}", amount=amount,
                currency="usd", status=status, created_at=now, updated_at=now))
    with pytest.raises(RefundRefused, match=r"between \$0.01 and \$8.00"):
        request_refund(shop.ctx, order_id, 801, None)
    assert _sandbox_refunds(shop, order_id) == []
    assert request_refund(shop.ctx, order_id, None, None)["amount"] == 800
    sent = [(r.metadata["refund_request"], r.amount) for r in _sandbox_refunds(shop, order_id)]
    assert sent == [("3", 800)]


def test_unpaid_or_unknown_orders_are_refused(shop: Shop) -> None:
    res = httpx.post(shop.url + "/api/checkout", json={"items": [{"product_id": "beans",
                                                                  "quantity": 1}]})
    pending = res.json()["order_id"]
    with pytest.raises(RefundRefused, match="is pending: only paid, fulfilled or partially"):
        request_refund(shop.ctx, pending, None, None)
    with pytest.raises(RefundRefused, match="No order ord_nope"):
        request_refund(shop.ctx, "ord_nope", None, None)
    assert _requests(shop, pending) == []


def test_the_idempotency_key_is_refund_order_id_n(shop: Shop) -> None:
    order_id = _paid_order(shop)
    first = request_refund(shop.ctx, order_id, 700, "duplicate")
    second = request_refund(shop.ctx, order_id, 300, None)
    assert (first["n"], second["n"]) == (1, 2)
    pi = _order(shop, order_id).payment_intent_id
    same = {"payment_intent": pi, "amount": 700, "reason": "duplicate",
            "metadata": {"order_id": order_id, "refund_request": "1"}}
    replayed = _stripe(shop).v1.refunds.create(
        same, {"idempotency_key": f"refund:{order_id}:1"})  # type: ignore[arg-type]
    assert replayed.id == first["stripe_refund_id"]  # Stripe replayed our request
    with pytest.raises(stripe.IdempotencyError):
        _stripe(shop).v1.refunds.create(
            same | {"amount": 100}, {"idempotency_key": f"refund:{order_id}:1"})  # type: ignore[arg-type]
    with pytest.raises(stripe.IdempotencyError):
        _stripe(shop).v1.refunds.create(
            same, {"idempotency_key": f"refund:{order_id}:2"})  # type: ignore[arg-type]
    assert sorted(r.amount for r in _sandbox_refunds(shop, order_id)) == [300, 700]


def test_cli_refunds_an_order(shop: Shop, tmp_path: Path) -> None:
    order_id = _paid_order(shop)
    settings = shop.ctx.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE_"))}
    env |= {"DATABASE_URL": settings.database_url, "STRIPE_API_BASE": settings.stripe_api_base,
            "STRIPE_SECRET_KEY": settings.stripe_secret_key.get_secret_value()
            if settings.stripe_secret_key else ""}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PAYDESK, "refund", order_id, *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)

    done = run("--amount", "12.50", "--reason", "requested_by_customer")
    assert done.returncode == 0, done.stderr
    assert "of $12.50 requested" in done.stdout and f"refund:{order_id}:1" in done.stdout
    assert "[info" not in done.stdout and "{" not in done.stdout  # the result, no log lines
    _wait_until(lambda: _order(shop, order_id).amount_refunded == 1250, "the webhook")
    assert _order(shop, order_id).status == "partially_refunded"

    too_much = run("--amount", "15.51")
    assert too_much.returncode == 1 and "$15.50 (what is left)" in too_much.stderr
    rest = run()  # no --amount: all that is left
    assert rest.returncode == 0, rest.stderr
    assert "of $15.50 requested" in rest.stdout
    _wait_until(lambda: _order(shop, order_id).status == "refunded", "the second webhook")
    assert sorted(r.amount for r in _sandbox_refunds(shop, order_id)) == [1250, 1550]
