"""`--db PATH`: a sandbox stopped and started again on the same file has every account's objects,
events, list order and idempotency keys back."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import stripe

from paydesk.sandbox.server import start_in_thread


def test_objects_events_and_idempotency_keys_survive_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    key, other_key = "sk_test_" + uuid.uuid4().hex, "sk_test_" + uuid.uuid4().hex
    idem = str(uuid.uuid4())

    first = start_in_thread(db_path=db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": first.url})
        made = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(3)]
        updated = client.v1.customers.update(made[0], params={"metadata": {"tier": "gold"}})
        client.v1.customers.delete(made[1])
        with httpx.Client(base_url=first.url, headers={"Authorization": f"Bearer {key}"}) as http:
            original = http.post(
                "/v1/customers",
                data={"email": "idem@example.com"},
                headers={"Idempotency-Key": idem},
            )
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": "https://example.com/hook", "enabled_events": ["*"]}
        )
        events_before = [e.id for e in client.v1.events.list(params={"limit": 100}).data]
        stripe.StripeClient(other_key, base_addresses={"api": first.url}).v1.customers.create()
    finally:
        first.stop()

    second = start_in_thread(db_path=db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": second.url})
        assert client.v1.customers.retrieve(made[0]).metadata.to_dict() == {"tier": "gold"}
        assert client.v1.customers.retrieve(made[0]).to_dict() == updated.to_dict()
        assert client.v1.customers.retrieve(made[1]).deleted is True
        listed = [c.id for c in client.v1.customers.list().data]
        assert listed == [original.json()["id"], made[2], made[0]]  # newest first, deleted gone
        assert [e.id for e in client.v1.events.list(params={"limit": 100}).data] == events_before
        assert client.v1.webhook_endpoints.retrieve(endpoint.id).url == "https://example.com/hook"

        with httpx.Client(base_url=second.url, headers={"Authorization": f"Bearer {key}"}) as http:
            replay = http.post(
                "/v1/customers",
                data={"email": "idem@example.com"},
                headers={"Idempotency-Key": idem},
            )
            refused = http.post(
                "/v1/customers",
                data={"email": "other@example.com"},
                headers={"Idempotency-Key": idem},
            )
        assert replay.content == original.content
        assert replay.headers["idempotent-replayed"] == "true"
        assert refused.status_code == 400
        assert refused.json()["error"]["type"] == "idempotency_error"

        # Accounts stay apart after a restart too.
        other = stripe.StripeClient(other_key, base_addresses={"api": second.url})
        assert len(other.v1.customers.list().data) == 1
        new = client.v1.customers.create()
        assert client.v1.customers.list(params={"limit": 1}).data[0].id == new.id
    finally:
        second.stop()


def test_without_db_a_restart_starts_empty(tmp_path: Path) -> None:
    key = "sk_test_" + uuid.uuid4().hex
    first = start_in_thread()
    try:
        stripe.StripeClient(key, base_addresses={"api": first.url}).v1.customers.create()
    finally:
        first.stop()
    second = start_in_thread()
    try:
        client = stripe.StripeClient(key, base_addresses={"api": second.url})
        assert client.v1.customers.list().data == []
    finally:
        second.stop()
