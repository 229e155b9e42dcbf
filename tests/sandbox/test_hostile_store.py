"""One request's persistence failing never touches another's: the group commit writes each
call's rows on their own when the shared transaction fails, and nothing answered 200 is lost.

The failure is a real one: a SQLite trigger in the store's own file refuses rows carrying a
marker, as a full disk or a corrupt page would refuse them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import stripe

from paydesk.sandbox.account import IdempotencyRecord
from paydesk.sandbox.api import ApiApp
from paydesk.sandbox.routes import load_all
from paydesk.sandbox.routing import api
from paydesk.sandbox.server import start_in_thread
from paydesk.sandbox.store import PersistError, Store

_POISON = """
CREATE TRIGGER IF NOT EXISTS poison BEFORE INSERT ON objects
WHEN CAST(NEW.data AS TEXT) LIKE '%poison%'
BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;
"""


def _poison(db: str) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(_POISON)
    conn.close()


def test_a_bad_call_in_a_group_commit_fails_alone(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    store = Store(db)
    _poison(db)
    good, bad = store.account("acct_good"), store.account("acct_bad")

    async def call(account_name: str, name: str) -> None:
        account = store.account(account_name)
        account.insert({"id": f"cus_{name}", "object": "customer", "name": name})
        record = IdempotencyRecord(int(time.time()), b"f", 200, b"{}")
        store.remember(account, f"key-{name}", record)
        await store.committed()

    async def together() -> list[BaseException | None]:
        # All three finish in one turn of the loop, so they share one group commit.
        return await asyncio.gather(
            call("acct_good", "first"),
            call("acct_bad", "poison"),
            call("acct_good", "second"),
            return_exceptions=True,
        )

    first, poisoned, second = asyncio.run(together())
    assert first is None and second is None
    assert isinstance(poisoned, PersistError)
    # The failed call's key answers nothing: a retry runs again instead of replaying a 200.
    assert "key-poison" not in bad.idempotency
    assert {"key-first", "key-second"} <= set(good.idempotency)
    store.close()

    reopened = Store(db)
    kept = reopened.account("acct_good")
    assert kept.find("cus_first") is not None and kept.find("cus_second") is not None
    assert set(kept.idempotency) == {"key-first", "key-second"}
    assert reopened.account("acct_bad").find("cus_poison") is None
    reopened.close()


def _create(url: str, key: str, name: str, idem: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30) as http:
        return http.post(
            "/v1/customers",
            data={"name": name},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem},
        )


def test_over_http_only_the_poisoned_requests_fail_and_every_200_survives_a_restart(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "sandbox.db")
    keys = ["sk_test_" + uuid.uuid4().hex for _ in range(4)]
    names = ["poison" if i % 5 == 0 else f"c{i}" for i in range(40)]
    jobs = [(keys[i % 4], name, str(uuid.uuid4())) for i, name in enumerate(names)]
    first = start_in_thread(db_path=db)
    try:
        _poison(db)
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda job: _create(first.url, *job), jobs))
        retried = _create(first.url, *jobs[0])
    finally:
        first.stop()
    for (_key, name, _idem), answer in zip(jobs, answers, strict=True):
        expected = 500 if name == "poison" else 200
        assert answer.status_code == expected, (name, answer.text)
        assert answer.headers["content-type"] == "application/json"
    assert retried.status_code == 500 and "idempotent-replayed" not in retried.headers

    second = start_in_thread(db_path=db)
    try:
        for (key, name, idem), answer in zip(jobs, answers, strict=True):
            if name == "poison":
                continue
            client = stripe.StripeClient(key, base_addresses={"api": second.url})
            assert client.v1.customers.retrieve(answer.json()["id"]).name == name
            replay = _create(second.url, key, name, idem)
            assert replay.headers.get("idempotent-replayed") == "true"
            assert replay.json()["id"] == answer.json()["id"]
    finally:
        second.stop()


def test_a_value_that_cannot_be_stored_fails_its_own_call_only(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sandbox.db"))
    account = store.account("acct_x")

    async def call(value: object) -> None:
        account.insert({"id": f"obj_{uuid.uuid4().hex}", "object": "thing", "value": value})
        await store.committed()

    async def together() -> list[BaseException | None]:
        return await asyncio.gather(call(1), call(2**70), call(3), return_exceptions=True)

    ok_one, too_big, ok_three = asyncio.run(together())
    assert ok_one is None and ok_three is None
    assert isinstance(too_big, PersistError)
    store.close()


@pytest.mark.parametrize("key_length", [255, 256])
def test_idempotency_keys_longer_than_255_characters_are_refused(
    sandbox_url: str, stripe_key: str, key_length: int
) -> None:
    with httpx.Client(base_url=sandbox_url) as http:
        answer = http.post(
            "/v1/customers",
            headers={"Authorization": f"Bearer {stripe_key}", "Idempotency-Key": "k" * key_length},
        )
        listed = http.get("/v1/customers", headers={"Authorization": f"Bearer {stripe_key}"})
    if key_length == 255:
        assert answer.status_code == 200
        assert len(listed.json()["data"]) == 1
        return
    assert answer.status_code == 400
    assert "255" in answer.json()["error"]["message"]
    assert listed.json()["data"] == []


def test_a_retry_racing_a_call_that_cannot_be_stored_is_not_answered_200(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "sandbox.db")
    store = Store(db)
    _poison(db)
    load_all()
    app = ApiApp(store, api)
    key = "sk_test_" + uuid.uuid4().hex

    async def post(body: bytes) -> tuple[int, dict[bytes, bytes]]:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/v1/customers",
            "query_string": b"",
            "headers": [
                (b"authorization", f"Bearer {key}".encode()),
                (b"idempotency-key", b"same-key"),
                (b"content-type", b"application/x-www-form-urlencoded"),
            ],
        }
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        start = sent[0]
        return int(start["status"]), dict(start["headers"])  # type: ignore[call-overload, arg-type]

    async def together() -> list[tuple[int, dict[bytes, bytes]]]:
        # Both calls run in one turn of the loop: the second replays the first's record
        # before the group commit finds that the first cannot be stored.
        return list(await asyncio.gather(post(b"name=poison"), post(b"name=poison")))

    (first, _), (retry, headers) = asyncio.run(together())
    assert (first, retry) == (500, 500)
    assert b"idempotent-replayed" not in headers
    store.close()
