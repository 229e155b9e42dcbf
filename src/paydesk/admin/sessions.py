"""Admin sessions kept in the database, so they can end: idle expiry, absolute expiry, and
sign-out deleting the row (a copied cookie stops working at once, on every instance)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, or_, update

from paydesk.admin.tables import admin_sessions


def _key(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def open_session(engine: Engine, now: datetime, idle: timedelta, lifetime: timedelta) -> str:
    """A new session; returns its nonce (for the cookie). Drops sessions already expired."""
    nonce = secrets.token_urlsafe(24)
    t = admin_sessions.c
    with engine.begin() as conn:
        conn.execute(delete(admin_sessions).where(
            or_(t.last_seen_at < now - idle, t.created_at < now - lifetime)
        ))
        conn.execute(insert(admin_sessions).values(id=_key(nonce), created_at=now,
                                                   last_seen_at=now))
    return nonce


def touch(engine: Engine, nonce: str, now: datetime, idle: timedelta, lifetime: timedelta) -> bool:
    """True when the session is open (and marks it seen now); False when expired or revoked."""
    t = admin_sessions.c
    with engine.begin() as conn:
        found = conn.execute(
            update(admin_sessions)
            .where(t.id == _key(nonce), t.last_seen_at >= now - idle,
                   t.created_at >= now - lifetime)
            .values(last_seen_at=now)
        ).rowcount
    return found == 1


def revoke(engine: Engine, nonce: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(admin_sessions).where(admin_sessions.c.id == _key(nonce)))
