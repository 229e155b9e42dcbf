"""Replay a failed webhook event: a command, not a hand edit of the inbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, update

from paydesk.webhooks.tables import inbox_events


def retry_event(engine: Engine, event_id: str, now: datetime | None = None) -> bool:
    """Make a failed event due now; returns False when no failed event has that id.

    The processor takes `failed` rows whose `next_attempt_at` has passed (see
    webhooks/processor.py `_due`), so moving the time to now is all it takes; the status, attempt
    count and last error stay as they are until the next attempt replaces them."""
    t = inbox_events.c
    with engine.begin() as conn:
        result = conn.execute(
            update(inbox_events)
            .where(t.id == event_id, t.status.in_(("failed", "dead")))
            # A dead event (no more automatic retries) becomes a due failed one again.
            .values(status="failed", next_attempt_at=now or datetime.now(UTC))
        )
    return bool(result.rowcount)
