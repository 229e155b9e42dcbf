"""Fixtures shared by the integration tests (modules that need another set-up define their own
`ctx`, which wins over this one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_webhook_support import make_ctx, seed_product

from paydesk.context import AppContext


@pytest.fixture
def ctx(database_url: str) -> Iterator[AppContext]:
    """An app context on an empty, migrated database holding one product with 10 in stock."""
    context = make_ctx(database_url)
    seed_product(context.engine, stock=10)
    yield context
    context.engine.dispose()
