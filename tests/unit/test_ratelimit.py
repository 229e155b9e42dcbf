"""The checkout rate limit's token bucket, on a clock the test moves."""

from __future__ import annotations

import math

import pytest

from paydesk.web.ratelimit import MAX_CLIENTS, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_token_per_refill_interval() -> None:
    clock = Clock()
    bucket = TokenBucket(burst=3, per_minute=6, clock=clock)  # one token every 10 s
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(10.0)
    clock.now += 4
    assert bucket.take("a") == pytest.approx(6.0)
    clock.now += 6
    assert bucket.take("a") == 0.0
    assert bucket.take("a") > 0


def test_clients_have_their_own_buckets_and_refill_stops_at_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(burst=2, per_minute=60, clock=clock)
    assert bucket.take("a") == bucket.take("a") == 0.0
    assert bucket.take("a") > 0
    assert bucket.take("b") == 0.0
    clock.now += 3600
    assert [bucket.take("a") for _ in range(3)][:2] == [0.0, 0.0]
    assert bucket.take("a") > 0


def test_no_refill_means_wait_forever() -> None:
    bucket = TokenBucket(burst=1, per_minute=0, clock=Clock())
    assert bucket.take("a") == 0.0
    assert bucket.take("a") == math.inf


def test_the_number_of_clients_kept_is_bounded() -> None:
    clock = Clock()
    bucket = TokenBucket(burst=1, per_minute=1, clock=clock)
    assert bucket.take("first") == 0.0
    for i in range(MAX_CLIENTS):
        bucket.take(f"c{i}")
    # "first" was forgotten (least recently seen), so it starts with a full bucket again.
    assert bucket.take("first") == 0.0
    assert len(bucket._buckets) == MAX_CLIENTS
