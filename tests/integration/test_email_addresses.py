"""One address, validated as one, wherever an address becomes an SMTP recipient (issue 11,
item 6): the checkout API (test_checkout_api), Stripe's customer_details, and the sender."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from test_webhook_support import checkout_session, emails_queued, order_row, seed_order

from paydesk.context import AppContext
from paydesk.core.address import InvalidAddress, one_address
from paydesk.fulfilment.service import fulfil_checkout
from paydesk.notify.smtp import send_email
from tests.support import free_port

LISTS = ["a@b.c,postmaster", "a@b.co, c@d.co", "a@b.co\r\nBcc: x@y.co", "Eve <a@b.co>",
         '"a,b"@c.co', "a@b.co;c@d.co", "", "@b.co", "a@" + "b" * 320 + ".co"]


class _Recorder:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, _Recorder]]:
    port = free_port()
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", recorder
    finally:
        controller.stop()


@pytest.mark.parametrize("value", LISTS)
def test_anything_but_one_address_is_refused(value: str) -> None:
    with pytest.raises(InvalidAddress):
        one_address(value)


def test_one_address_is_normalised() -> None:
    assert one_address("Buyer@Example.COM") == "Buyer@example.com"


def test_the_sender_gives_smtp_exactly_one_recipient(smtp: tuple[str, _Recorder]) -> None:
    url, recorder = smtp
    with pytest.raises(InvalidAddress):
        send_email(SecretStr(url), "a@b.c,postmaster", "Your order", "Thanks")
    assert recorder.envelopes == []
    send_email(SecretStr(url), "buyer@example.com", "Your order", "Thanks")
    assert [e.rcpt_tos for e in recorder.envelopes] == [["buyer@example.com"]]


def test_a_list_from_stripe_customer_details_never_becomes_a_recipient(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine, email=None)
    assert fulfil_checkout(ctx, checkout_session(order_id, email="a@b.c,postmaster")) is True
    assert order_row(ctx.engine, order_id).email is None
    assert emails_queued(ctx.engine) == 0
