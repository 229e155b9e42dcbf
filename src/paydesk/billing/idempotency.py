"""Admin API requests made idempotent on their `Idempotency-Key` header: the first request with
a key is recorded with an id of ours (the Stripe calls' keys derive from it) and its answer is
kept; the same key again replays that answer, or, if the first never finished, finishes the
same work under the same id. A key reused with another body is refused."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import select, update

from paydesk.billing.errors import BillingError
from paydesk.billing.tables import admin_requests
from paydesk.context import AppContext
from paydesk.store.upsert import insert_ignore_one

MAX_KEY = 255 - 32  # the scope is prepended


class KeyReused(BillingError):
    status_code = 422


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, object]


def run_once(
    ctx: AppContext, scope: str, key: str | None, body: dict[str, object],
    work: Callable[[str], Answer],
) -> Answer:
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise BillingError(f"Idempotency-Key must be 1..{MAX_KEY} characters")
    full_key = f"{scope}:{key or secrets.token_urlsafe(16)}"
    fingerprint = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    with ctx.engine.begin() as conn:
        insert_ignore_one(conn, admin_requests, {
            "id": "areq_" + secrets.token_urlsafe(12), "idempotency_key": full_key,
            "fingerprint": fingerprint, "created_at": datetime.now(UTC),
        })
        row = conn.execute(
            select(admin_requests).where(admin_requests.c.idempotency_key == full_key)
        ).mappings().one()
    if row["fingerprint"] != fingerprint:
        raise KeyReused("this Idempotency-Key was used with a different request body; "
                        "use a new key for a new request")
    if row["status_code"] is not None:
        return Answer(int(row["status_code"]), orjson.loads(row["response"]))
    answer = work(str(row["id"]))
    with ctx.engine.begin() as conn:
        conn.execute(
            update(admin_requests)
            .where(admin_requests.c.id == row["id"], admin_requests.c.status_code.is_(None))
            .values(status_code=answer.status_code, response=orjson.dumps(answer.body).decode())
        )
    return answer
