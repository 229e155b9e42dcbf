"""Queue side effects in the outbox, inside the caller's transaction (so they commit together)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection

from paydesk.notify.html import render_html
from paydesk.notify.tables import outbox
from paydesk.store.upsert import insert_ignore, insert_ignore_one


@dataclass(frozen=True)
class Email:
    dedupe_key: str  # one message per key, ever (e.g. email:confirm:<order>)
    to: str
    subject: str
    body: str


def _row(mail: Email, now: datetime) -> dict[str, object]:
    return {
        "kind": "email",
        "dedupe_key": mail.dedupe_key,
        "payload": orjson.dumps({
            "to": mail.to, "subject": mail.subject, "body": mail.body,
            "html": render_html(mail.subject, mail.body),  # the same content, as HTML
        }).decode(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_emails(conn: Connection, mails: Sequence[Email]) -> None:
    """Queue these emails in one statement; keys already queued are skipped."""
    now = datetime.now(UTC)
    insert_ignore(conn, outbox, [_row(mail, now) for mail in mails])


def queue_email(conn: Connection, dedupe_key: str, to: str, subject: str, body: str) -> bool:
    """Queue one email; a second call with the same dedupe_key does nothing (returns False)."""
    return insert_ignore_one(
        conn, outbox, _row(Email(dedupe_key, to, subject, body), datetime.now(UTC))
    )
