"""A whole subscription lifecycle's events (Stripe's own list, from the sandbox) delivered to a
second shop on PostgreSQL by four processes at once, each storing every event twice in its own
shuffled order and processing: the entitlement ends where Stripe's ended, each email once."""

from __future__ import annotations

import dataclasses
import multiprocessing
import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import stripe
from sqlalchemy import select
from test_billing_lifecycle import (  # noqa: F401 (the shop fixture)
    copy_catalog_and_customers,
    settled_lifecycle,
    shop,
)
from test_webhook_support import make_ctx

from paydesk.billing.tables import subscriptions
from paydesk.notify.tables import outbox
from paydesk.webhooks.inbox import inbox_row, store_events
from paydesk.webhooks.processor import process_all
from paydesk.webhooks.tables import inbox_events
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.e2e.live import Shop

# Several app processes share one database on PostgreSQL only (SQLite serves one process).
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
PROCESSES = 4


@pytest.fixture
def replica_url(database_url: str) -> Iterator[str]:
    name, url = _fresh_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


def _deliver_twice_and_process(args: tuple[str, str, str, str, list[Any], int, Any]) -> int:
    url, key, api, client_url, events, seed, barrier = args
    ctx = make_ctx(url)
    ctx = dataclasses.replace(ctx, client_url=client_url,
                              stripe=stripe.StripeClient(key, base_addresses={"api": api}))
    try:
        copies = [e for e in events for _ in range(2)]
        random.Random(seed).shuffle(copies)
        barrier.wait()
        taken = 0
        for evt in copies:  # each delivery processed as it comes, as the webhook route does
            with ctx.engine.begin() as conn:
                store_events(conn, [inbox_row(evt, _raw(evt))])
            taken += process_all(ctx)
        return taken
    finally:
        ctx.engine.dispose()


def _raw(evt: dict[str, Any]) -> str:
    return orjson.dumps(evt).decode()


@postgresql_only
def test_four_processes_deliver_a_lifecycle_twice_shuffled_and_end_the_same(
    shop: Shop, replica_url: str, stripe_key: str, sandbox_url: str  # noqa: F811
) -> None:
    email = "processes@example.com"
    events, final = settled_lifecycle(shop, email)
    replica = make_ctx(replica_url)
    copy_catalog_and_customers(shop, replica)
    mp = multiprocessing.get_context("spawn")
    with mp.Manager() as manager, mp.Pool(PROCESSES) as workers:
        barrier = manager.Barrier(PROCESSES)
        args = [(replica_url, stripe_key, sandbox_url, shop.url, events, seed, barrier)
                for seed in range(PROCESSES)]
        taken = workers.map(_deliver_twice_and_process, args, 1)
    assert sum(taken) == len(events)  # each event handled once, by one of the processes
    with replica.engine.connect() as conn:
        left = conn.execute(select(inbox_events.c.id).where(
            inbox_events.c.status.in_(("received", "failed")))).all()
        row = conn.execute(select(subscriptions).where(subscriptions.c.email == email)).one()
        keys = list(conn.execute(select(outbox.c.dedupe_key)).scalars())
    replica.engine.dispose()
    assert left == []
    assert (row.status, row.access, row.plan_id) == (final["status"], final["access"],
                                                      final["plan_id"])
    assert row.current_period_end.isoformat().startswith(final["current_period_end"][:19])
    assert len(keys) == len(set(keys))
    assert sum(k.startswith("email:recovered:") for k in keys) == 1
    assert sum(k.startswith("email:dunning:") for k in keys) >= 1
