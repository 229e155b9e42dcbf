"""One delivery that can never be stored must not hurt the deliveries committed with it
(issue 11, item 1), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest
from test_webhook_support import SECRET, count, event, inbox_count, post, serve_pipeline

from paydesk.context import AppContext
from paydesk.store.gate import WriteGate
from paydesk.webhooks.inbox import InboxWriter, MalformedEvent, inbox_row
from paydesk.webhooks.tables import inbox_events
from tests.support import stripe_signature


def _customer_event() -> dict[str, Any]:
    return event("customer.created", {"id": "cus_" + uuid.uuid4().hex, "object": "customer"})


def signed(evt: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    # json, not orjson: some of these hold integers past 64 bits, which orjson refuses to write.
    body = json.dumps(evt).encode()
    return body, {"Stripe-Signature": stripe_signature(body, SECRET),
                  "Content-Type": "application/json"}


def _unstorable() -> list[tuple[str, dict[str, Any]]]:
    good = _customer_event()
    return [
        ("data is a list", {**good, "data": [1, 2]}),
        ("object is a list", {**good, "data": {"object": [1]}}),
        ("object id is an object", {**good, "data": {"object": {"id": {"x": 1}}}}),
        ("object id too long", {**good, "data": {"object": {"id": "x" * 256}}}),
        ("created past 2^63", {**good, "created": 2**63}),
        ("created far negative", {**good, "created": -(2**63) - 1}),
        ("created is a string", {**good, "created": "1700000000"}),
        ("created is a bool", {**good, "created": True}),
        ("id is a number", {**good, "id": 12}),
        ("id holds NUL", {**good, "id": "evt_\x00"}),
        ("id too long", {**good, "id": "evt_" + "x" * 300}),
        ("type too long", {**good, "type": "t" * 129}),
    ]


@pytest.mark.parametrize(("name", "evt"), _unstorable(), ids=[n for n, _ in _unstorable()])
def test_inbox_row_refuses_what_it_could_never_store(name: str, evt: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        inbox_row(evt, json.dumps(evt))


def test_unstorable_signed_deliveries_are_400_and_neighbours_200(ctx: AppContext) -> None:
    bad = [signed(evt) for _, evt in _unstorable()]
    good = [signed(_customer_event()) for _ in range(60)]
    mixed = [*good[:30], *bad, *good[30:]]
    with serve_pipeline(ctx) as base, ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda d: post(base, *d).status_code, mixed))
    assert codes.count(200) == len(good)
    assert codes.count(400) == len(bad)
    assert inbox_count(ctx.engine) == len(good)


def test_a_failed_group_commit_stores_its_members_one_by_one(ctx: AppContext) -> None:
    """A row the database refuses (here one that skipped validation) fails alone: the rest of
    its batch is committed and answered."""
    rows = [inbox_row(e, orjson.dumps(e).decode()) for e in (_customer_event() for _ in range(20))]
    poison = {**rows[0], "id": "evt_poison", "stripe_created": 2**63}

    async def store_all() -> list[BaseException | None]:
        writer = InboxWriter(ctx.engine, WriteGate(ctx.engine))
        await writer.start()
        try:
            # All queued before the writer runs: one group commit.
            results = await asyncio.gather(
                *(writer.store(r) for r in [*rows[:10], poison, *rows[10:]]),
                return_exceptions=True,
            )
        finally:
            await writer.stop()
        return list(results)

    results = asyncio.run(store_all())
    assert [r is None for r in results] == [True] * 10 + [False] + [True] * 10
    assert count(ctx.engine, inbox_events) == 20
    assert count(ctx.engine, inbox_events, inbox_events.c.id == "evt_poison") == 0
