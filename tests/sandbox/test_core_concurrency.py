"""Concurrent requests never lose, corrupt or double-apply a change."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import stripe


def _post_customer(sandbox_url: str, key: str, email: str, idem: str) -> httpx.Response:
    with httpx.Client(base_url=sandbox_url, timeout=30) as http:
        return http.post(
            "/v1/customers",
            data={"email": email},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem},
        )


def test_fifty_parallel_creates_with_distinct_keys_make_fifty_objects(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(
            pool.map(
                lambda i: _post_customer(
                    sandbox_url, stripe_key, f"c{i}@example.com", str(uuid.uuid4())
                ),
                range(50),
            )
        )
    assert [a.status_code for a in answers] == [200] * 50
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 50
    listed = [
        c.id for c in stripe_client.v1.customers.list(params={"limit": 20}).auto_paging_iter()
    ]
    assert len(listed) == 50 and set(listed) == ids
    events = stripe_client.v1.events.list(params={"type": "customer.created", "limit": 100})
    assert len(events.data) == 50


def test_twenty_parallel_requests_with_one_key_create_exactly_one_object(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    idem = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda _: _post_customer(sandbox_url, stripe_key, "one@example.com", idem),
                range(20),
            )
        )
    assert [a.status_code for a in answers] == [200] * 20
    assert len({a.content for a in answers}) == 1  # every answer is the first one, byte for byte
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 19
    assert len(stripe_client.v1.customers.list().data) == 1
    assert len(stripe_client.v1.events.list(params={"type": "customer.created"}).data) == 1


def test_parallel_updates_to_one_object_all_land(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    customer = stripe_client.v1.customers.create()

    def tag(i: int) -> int:
        with httpx.Client(base_url=sandbox_url, timeout=30) as http:
            return http.post(
                f"/v1/customers/{customer.id}",
                data={f"metadata[k{i}]": str(i)},
                headers={"Authorization": f"Bearer {stripe_key}"},
            ).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        assert list(pool.map(tag, range(30))) == [200] * 30
    metadata = stripe_client.v1.customers.retrieve(customer.id).metadata.to_dict()
    assert metadata == {f"k{i}": str(i) for i in range(30)}
    updates = stripe_client.v1.events.list(params={"type": "customer.updated", "limit": 100})
    assert len(updates.data) == 30
