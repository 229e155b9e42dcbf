"""Hosted pages (Checkout, 3DS challenge): filled in by the checkout module."""

from __future__ import annotations

from starlette.routing import BaseRoute

from paydesk.sandbox.store import Store


def routes(store: Store) -> list[BaseRoute]:
    return []
