"""The naive baseline: FastAPI + stripe.Webhook.construct_event + one SQLite insert per request.

What most tutorials write. It verifies and stores, but fulfils nothing.
Run: DB=/tmp/naive.db SECRET=whsec_… uvicorn bench.webhooks.naive:app
"""

from __future__ import annotations

import os
import sqlite3

import stripe
from fastapi import FastAPI, HTTPException, Request

app = FastAPI()
_db: sqlite3.Connection | None = None


def db() -> sqlite3.Connection:
    global _db
    if _db is None:
        _db = sqlite3.connect(os.environ["DB"], check_same_thread=False)
        # Naive means untuned: SQLite's defaults (rollback journal, a sync per commit), unless
        # NAIVE_WAL=1 asks for the WAL settings paydesk itself uses.
        if os.environ.get("NAIVE_WAL") == "1":
            _db.execute("PRAGMA journal_mode=WAL")
            _db.execute("PRAGMA synchronous=NORMAL")
        _db.execute(
            "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, type TEXT, payload TEXT)"
        )
    return _db


@app.post("/api/webhook")
async def webhook(request: Request) -> dict[str, bool]:
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("stripe-signature", ""), os.environ["SECRET"]
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise HTTPException(400, str(exc)) from exc
    conn = db()
    conn.execute(
        "INSERT OR IGNORE INTO events VALUES (?, ?, ?)", (event.id, event.type, payload.decode())
    )
    conn.commit()
    return {"received": True}
