"""What we ask Stripe for when a cart checks out (pure: no network, no database)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from paydesk.checkout.cart import Line, merge_cart
from paydesk.checkout.errors import InvalidCart, OutOfStock
from paydesk.checkout.service import _session_params, session_lifetime
from paydesk.settings import load_settings

SYNCED = Line("mug", "Mug", "350 ml", 2200, "usd", 2, "price_123")
UNSYNCED = Line("guide", "Guide", "", 900, "usd", 1, None)


def test_session_carries_the_order_id_and_our_urls() -> None:
    params = _session_params("https://shop.test", "ord_abc", [SYNCED], None)
    assert params["mode"] == "payment"
    assert params["payment_method_types"] == ["card", "link"]
    assert params["metadata"] == {"order_id": "ord_abc"}
    assert params["client_reference_id"] == "ord_abc"
    assert params["success_url"] == (
        "https://shop.test/payment/success?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "https://shop.test/payment/cancel?order_id=ord_abc"
    assert "customer_email" not in params


def test_session_expires_no_sooner_than_stripe_allows() -> None:
    params = _session_params("https://shop.test", "ord_abc", [SYNCED], None)
    assert 30 * 60 <= params["expires_at"] - time.time() <= 32 * 60


def test_synced_products_use_their_price_and_others_price_data() -> None:
    params = _session_params("https://s", "ord_abc", [SYNCED, UNSYNCED], "a@b.co")
    assert params["line_items"][0] == {"price": "price_123", "quantity": 2}
    assert params["line_items"][1] == {
        "price_data": {"currency": "usd", "unit_amount": 900,
                       "product_data": {"name": "Guide", "metadata": {"product_id": "guide"}}},
        "quantity": 1,
    }
    assert params["customer_email"] == "a@b.co"


def test_the_same_product_twice_is_one_line() -> None:
    assert merge_cart([("mug", 2), ("beans", 1), ("mug", 3)]) == {"mug": 5, "beans": 1}


@pytest.mark.parametrize("items", [[], [("mug", 0)], [("mug", 60), ("mug", 40)]])
def test_empty_or_oversized_carts_are_refused(items: list[tuple[str, int]]) -> None:
    with pytest.raises(InvalidCart):
        merge_cart(items)


def test_out_of_stock_names_the_product_and_what_is_left() -> None:
    assert "'Mug' (mug): asked for 4, only 3 left" in str(OutOfStock("mug", "Mug", 4, 3))
    assert "sold out" in str(OutOfStock("mug", "Mug", 1, 0))


@pytest.mark.parametrize(
    ("minutes", "low", "high"),
    [(30, 31 * 60, 31 * 60), (45, 45 * 60, 45 * 60), (1440, 0, 24 * 3600 - 60)],
)
def test_session_lifetime_follows_the_setting_inside_stripes_range(
    minutes: int, low: int, high: int
) -> None:
    lifetime = session_lifetime(minutes)
    assert low <= lifetime <= high
    assert 30 * 60 < lifetime < 24 * 3600  # Stripe refuses anything outside, on its own clock
    params = _session_params("https://s", "ord_abc", [SYNCED], None, lifetime)
    assert abs(params["expires_at"] - time.time() - lifetime) <= 2


@pytest.mark.parametrize("minutes", ["29", "1441", "soon"])
def test_checkout_session_minutes_outside_stripes_range_is_refused(minutes: str) -> None:
    with pytest.raises(ValidationError, match="checkout_session_minutes"):
        load_settings(_env_file=None, checkout_session_minutes=minutes)
