"""Signed events that must not fulfil: metadata naming another order (issue 11, item 2) and a
paid session without its amount (item 7); one at a time and on the batch path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from test_webhook_support import (
    checkout_session,
    emails_queued,
    event,
    order_row,
    seed_order,
    session_obj,
)

from paydesk.context import AppContext
from paydesk.fulfilment.service import fulfil_checkout
from paydesk.orders.tables import orders
from paydesk.webhooks.inbox import inbox_row, store_events
from paydesk.webhooks.processor import process_all
from paydesk.webhooks.tables import inbox_events


def _store_and_process(ctx: AppContext, events: list[dict[str, Any]], batch: bool) -> None:
    groups = [events] if batch else [[e] for e in events]
    for group in groups:
        with ctx.engine.begin() as conn:
            store_events(conn, [inbox_row(e, orjson.dumps(e).decode()) for e in group])
        process_all(ctx)
    # Anything failed would come due again within minutes: it must not be there to retry.
    process_all(ctx, now=datetime.now(UTC) + timedelta(hours=1))


def _event_row(ctx: AppContext, event_id: str) -> Any:
    with ctx.engine.connect() as conn:
        return conn.execute(select(inbox_events).where(inbox_events.c.id == event_id)).one()


@pytest.mark.parametrize("batch", [False, True])
def test_session_whose_metadata_names_another_order_is_ignored_once(
    ctx: AppContext, batch: bool
) -> None:
    mine, other, plain = (seed_order(ctx.engine) for _ in range(3))
    crossed = {**session_obj(mine), "metadata": {"order_id": other}, "client_reference_id": other}
    events = [event("checkout.session.completed", crossed),
              event("checkout.session.completed", session_obj(plain))]
    _store_and_process(ctx, events, batch)
    row = _event_row(ctx, events[0]["id"])
    assert (row.status, row.attempts) == ("ignored", 1)
    assert "no order of this shop" in row.last_error and crossed["id"] in row.last_error
    assert order_row(ctx.engine, mine).status == "pending"
    assert order_row(ctx.engine, other).status == "pending"
    assert order_row(ctx.engine, other).checkout_session_id == "cs_" + other
    assert order_row(ctx.engine, plain).status == "fulfilled"


def test_metadata_naming_an_order_with_no_session_yet_still_fulfils(ctx: AppContext) -> None:
    """A crash between creating the session and storing its id leaves the order without one:
    the metadata our checkout wrote is then what finds it."""
    order_id = seed_order(ctx.engine)
    with ctx.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == order_id).values(checkout_session_id=None))
    assert fulfil_checkout(ctx, checkout_session(order_id)) is True
    assert order_row(ctx.engine, order_id).checkout_session_id == "cs_" + order_id


@pytest.mark.parametrize("batch", [False, True])
def test_paid_session_without_amount_total_is_held(ctx: AppContext, batch: bool) -> None:
    bare, right = seed_order(ctx.engine), seed_order(ctx.engine)
    events = [event("checkout.session.completed", session_obj(bare, amount_total=None)),
              event("checkout.session.completed", session_obj(right))]
    _store_and_process(ctx, events, batch)
    assert order_row(ctx.engine, bare).status == "paid"
    row = _event_row(ctx, events[0]["id"])
    assert row.status == "processed" and "no amount_total" in row.last_error
    assert order_row(ctx.engine, right).status == "fulfilled"
    assert emails_queued(ctx.engine) == 1


def test_success_page_does_not_fulfil_a_session_without_amount(ctx: AppContext) -> None:
    order_id = seed_order(ctx.engine)
    assert fulfil_checkout(ctx, checkout_session(order_id, amount_total=None)) is False
    assert order_row(ctx.engine, order_id).status == "paid" and emails_queued(ctx.engine) == 0
