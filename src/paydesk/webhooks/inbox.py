"""The inbox: verified deliveries stored (unique on the event id) before they are acknowledged.

`InboxWriter` group-commits: deliveries that arrive while a commit is running wait together and
go into the next single transaction, so a busy endpoint pays one commit per batch, not per
request. Each waiter is answered only after the commit that holds its event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypedDict

from sqlalchemy import Connection, Engine, select

from paydesk.store.gate import WriteGate
from paydesk.store.upsert import insert_ignore
from paydesk.webhooks.tables import inbox_events


class InboxRow(TypedDict):
    """One row of `inbox_events` as the inbox stores it."""

    id: str
    type: str
    object_id: str | None
    stripe_created: int
    payload: str
    status: str
    attempts: int
    source: str
    received_at: datetime


class MalformedEvent(ValueError):
    """A signed body that is not a Stripe event, or one the inbox could never store."""


# The inbox's columns (webhooks/tables.py): an event that does not fit them could never be
# stored, so it is refused with a 400 before it can fail a group commit shared with others.
_MAX_ID = 255
_MAX_TYPE = 128
_BIGINT = (-(2**63), 2**63 - 1)


def _text(value: object, limit: int, what: str) -> str:
    # PostgreSQL's text types cannot hold NUL, so such an id could never be stored either.
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise MalformedEvent(f"{what} must be a string of 1 to {limit} characters")
    return value


def _object_id(event: Mapping[str, object]) -> str | None:
    data = event.get("data")
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise MalformedEvent("event data must be an object")
    obj = data.get("object")
    if obj is None:
        return None
    if not isinstance(obj, Mapping):
        raise MalformedEvent("event data.object must be an object")
    oid = obj.get("id")
    return None if oid is None else _text(oid, _MAX_ID, "data.object.id")


def inbox_row(event: Mapping[str, object], payload: str, source: str = "webhook") -> InboxRow:
    """The inbox row of a verified event; raises MalformedEvent for one that could not be
    stored (so the caller answers 400 rather than failing a commit shared with others)."""
    if "id" not in event or "type" not in event or "created" not in event:
        raise MalformedEvent("event needs id, type and created")
    created = event["created"]
    # bool is an int to Python; a float or a string is not Stripe's integer timestamp.
    if not isinstance(created, int) or isinstance(created, bool) or not (
        _BIGINT[0] <= created <= _BIGINT[1]
    ):
        raise MalformedEvent("event created must be an integer timestamp")
    return {
        "id": _text(event["id"], _MAX_ID, "event id"),
        "type": _text(event["type"], _MAX_TYPE, "event type"),
        "object_id": _object_id(event),
        "stripe_created": created,
        "payload": payload,
        "status": "received",
        "attempts": 0,
        "source": source,
        "received_at": datetime.now(UTC),
    }


def store_events(conn: Connection, rows: Sequence[InboxRow]) -> None:
    """Insert new events; a duplicate delivery (same id) is a no-op, never an error."""
    insert_ignore(conn, inbox_events, rows)


def known_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found.update(
            conn.execute(select(inbox_events.c.id).where(inbox_events.c.id.in_(chunk))).scalars()
        )
    return found


class InboxWriter:
    """Batches concurrent `store` calls into one transaction each (group commit)."""

    def __init__(
        self, engine: Engine, gate: WriteGate, on_commit: Callable[[], None] = lambda: None
    ) -> None:
        self._engine = engine
        self._gate = gate
        self._on_commit = on_commit
        self._pending: list[tuple[InboxRow, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def store(self, row: InboxRow) -> None:
        """Return once `row` is committed (or was already there); raise if the commit failed."""
        if self._task is None:
            await self.start()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        self._wake.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if batch:
                await self._commit(batch)
            elif self._closing:
                return

    async def _commit(self, batch: list[tuple[InboxRow, asyncio.Future[None]]]) -> None:
        # The same event twice in one batch would make PostgreSQL's ON CONFLICT see it twice.
        rows = list({row["id"]: row for row, _ in batch}.values())
        failed: dict[str, Exception] = {}
        try:
            await asyncio.to_thread(self._write, rows)
        except Exception as exc:
            if len(rows) == 1:
                failed[rows[0]["id"]] = exc
            else:
                # One member the database refuses must not fail its neighbours: store each
                # on its own, so only the bad one is answered with an error.
                failed = await asyncio.to_thread(self._write_each, rows)
        for row, future in batch:
            if future.done():
                continue
            error = failed.get(row["id"])
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        if len(failed) < len(rows):
            self._on_commit()

    def _write(self, rows: list[InboxRow]) -> None:
        with self._gate.hold(), self._engine.begin() as conn:
            store_events(conn, rows)
        self._gate.mark_ingest()

    def _write_each(self, rows: list[InboxRow]) -> dict[str, Exception]:
        """Store rows one transaction each; returns the errors of those that failed."""
        failed: dict[str, Exception] = {}
        for row in rows:
            try:
                self._write([row])
            except Exception as exc:
                failed[row["id"]] = exc
        return failed
