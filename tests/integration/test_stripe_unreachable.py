"""When Stripe cannot be reached, starting a payment leaves nothing behind: the order is
abandoned, its stock is back, and the buyer is told to try again (502), on both paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
import stripe
from test_webhook_support import count, stock_of

from paydesk.checkout.errors import PaymentProviderFailed
from paydesk.checkout.service import create_checkout
from paydesk.context import AppContext
from paydesk.orders.tables import order_items, orders
from paydesk.payments.service import create_payment
from tests.support import free_port

STARTS: dict[str, Callable[[AppContext], object]] = {
    "checkout session": lambda ctx: create_checkout(ctx, [("ebook", 3)], "buyer@example.com"),
    "payment intent": lambda ctx: create_payment(ctx, [("ebook", 3)], "buyer@example.com"),
}


@pytest.mark.parametrize("start", STARTS.values(), ids=list(STARTS))
def test_an_unreachable_stripe_abandons_the_order(
    ctx: AppContext, start: Callable[[AppContext], object]
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    offline = replace(ctx, stripe=stripe.StripeClient(
        "sk_test_unused", base_addresses={"api": nobody}, max_network_retries=0,
    ))
    with pytest.raises(PaymentProviderFailed) as refused:
        start(offline)
    assert refused.value.status_code == 502
    assert "nothing was charged" in refused.value.message
    assert count(ctx.engine, orders) == 0
    assert count(ctx.engine, order_items) == 0
    assert stock_of(ctx.engine) == 10
