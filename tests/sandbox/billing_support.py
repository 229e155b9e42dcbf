"""Shared set-up for billing lifecycle tests: a customer on a test clock with a card, a
monthly price, and small helpers to move time and read events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

DAY = 86400
START = 1767225600  # 2026-01-01T00:00:00Z


@dataclass
class World:
    client: stripe.StripeClient
    clock: Any
    customer: Any
    price: Any
    now: int = START

    def advance(self, seconds: int) -> None:
        self.now += seconds
        clocks = self.client.v1.test_helpers.test_clocks
        clocks.advance(self.clock.id, params={"frozen_time": self.now})
        assert clocks.retrieve(self.clock.id).status == "ready"

    def advance_to(self, when: int) -> None:
        self.advance(when - self.now)

    def use_card(self, test_pm: str) -> str:
        pm = self.client.v1.payment_methods.attach(test_pm, params={"customer": self.customer.id})
        self.client.v1.customers.update(
            self.customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
        )
        return str(pm.id)

    def subscribe(self, **params: Any) -> Any:
        return self.client.v1.subscriptions.create(
            params={"customer": self.customer.id, "items": [{"price": self.price.id}], **params}
        )

    def sub(self, sub_id: str) -> Any:
        return self.client.v1.subscriptions.retrieve(sub_id)

    def invoices(self, **filters: Any) -> list[Any]:
        found = self.client.v1.invoices.list(
            params={"customer": self.customer.id, "limit": 100, **filters}
        )
        return list(reversed(found.data))

    def events(self, prefix: str = "") -> list[Any]:
        found: list[Any] = []
        page = self.client.v1.events.list(params={"limit": 100})
        while True:
            found.extend(page.data)
            if not page.has_more:
                break
            page = self.client.v1.events.list(
                params={"limit": 100, "starting_after": page.data[-1].id}
            )
        return [e for e in reversed(found) if e.type.startswith(prefix)]

    def event_types(self, prefix: str = "") -> list[str]:
        return [e.type for e in self.events(prefix)]


def make_world(
    client: stripe.StripeClient, card: str | None = "pm_card_visa", amount: int = 4900
) -> World:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    customer = client.v1.customers.create(
        params={"email": "client@example.com", "name": "Company ABC", "test_clock": clock.id}
    )
    product = client.v1.products.create(params={"name": "Professional Plan"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": amount,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    world = World(client, clock, customer, price)
    if card:
        world.use_card(card)
    return world
