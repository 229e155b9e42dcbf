"""The benchmark's load generator counts what the server answered, against a real sandbox."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from bench import _loadgen


def _target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def test_each_request_carries_its_own_idempotency_key() -> None:
    make = _loadgen.form_post("127.0.0.1", 1, "/v1/customers", "name=x", "sk_test_k")
    first, second = make(0), make(1)
    assert first != second
    assert b"Idempotency-Key: " in first and first.endswith(b"\r\n\r\nname=x")
    assert b"Content-Length: 6\r\n" in first


def test_successes_are_timed_and_refusals_counted_as_errors(
    sandbox_url: str, stripe_key: str
) -> None:
    host, port = _target(sandbox_url)
    good = _loadgen.form_post(host, port, "/v1/customers", "name=Load", stripe_key)
    ok = asyncio.run(_loadgen.run(host, port, good, connections=2, duration=0.3, warmup=0.1))
    assert ok.errors == 0 and ok.ok > 0
    assert set(ok.statuses) == {200}
    assert 0 < ok.percentile(50) <= ok.percentile(99)

    bad = _loadgen.form_post(host, port, "/v1/customers", "name=Load", "sk_live_nope")
    refused = asyncio.run(_loadgen.run(host, port, bad, connections=2, duration=0.2, warmup=0))
    assert refused.ok == 0 and refused.errors > 0
    assert set(refused.statuses) == {401}


def test_percentile_is_nearest_rank() -> None:
    result = _loadgen.Result(duration=1.0, latencies=[i / 1000 for i in range(1, 101)])
    assert result.percentile(50) == 50.0
    assert result.percentile(99) == 99.0
    assert result.rate == 100.0
