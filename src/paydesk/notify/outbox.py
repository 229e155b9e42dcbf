"""Queue side effects in the outbox, inside the caller's transaction (so they commit together)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection

from paydesk.notify.tables import outbox
from paydesk.store.upsert import insert_ignore_one


def queue_email(conn: Connection, dedupe_key: str, to: str, subject: str, body: str) -> bool:
    """Queue one email; a second call with the same dedupe_key does nothing (returns False)."""
    now = datetime.now(UTC)
    return insert_ignore_one(
        conn,
        outbox,
        {
            "kind": "email",
            "dedupe_key": dedupe_key,
            "payload": orjson.dumps({"to": to, "subject": subject, "body": body}).decode(),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
