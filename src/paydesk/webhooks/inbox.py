"""The inbox: verified deliveries stored (unique on the event id) before they are acknowledged.

`InboxWriter` group-commits: deliveries that arrive while a commit is running wait together and
go into the next single transaction, so a busy endpoint pays one commit per batch, not per
request. Each waiter is answered only after the commit that holds its event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from paydesk.store.gate import WriteGate
from paydesk.store.upsert import insert_ignore
from paydesk.webhooks.tables import inbox_events


class MalformedEvent(ValueError):
    """A signed body that is not a Stripe event (no id/type/created)."""


def inbox_row(event: dict[str, Any], payload: str, source: str = "webhook") -> dict[str, Any]:
    try:
        event_id, event_type, created = event["id"], event["type"], int(event["created"])
    except (KeyError, TypeError, ValueError):
        raise MalformedEvent("event needs id, type and created") from None
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        raise MalformedEvent("event id and type must be strings")
    obj = (event.get("data") or {}).get("object") or {}
    return {
        "id": event_id,
        "type": event_type,
        "object_id": obj.get("id") if isinstance(obj, dict) else None,
        "stripe_created": created,
        "payload": payload,
        "status": "received",
        "attempts": 0,
        "source": source,
        "received_at": datetime.now(UTC),
    }


def store_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
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
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
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

    async def store(self, row: dict[str, Any]) -> None:
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

    async def _commit(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        # The same event twice in one batch would make PostgreSQL's ON CONFLICT see it twice.
        rows = list({row["id"]: row for row, _ in batch}.values())
        try:
            await asyncio.to_thread(self._write, rows)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)
        self._on_commit()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._gate.hold(), self._engine.begin() as conn:
            store_events(conn, rows)
        self._gate.mark_ingest()
