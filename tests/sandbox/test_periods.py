"""Billing periods counted from the anchor: a period far from its anchor ends where counting
one interval at a time from the anchor would end it."""

from __future__ import annotations

import random

from paydesk.sandbox.operations.periods import add_interval, period_end

JAN_31 = 1769817600  # 2026-01-31T00:00:00Z


def _counted(anchor: int, start: int, interval: str, count: int) -> int:
    cycles = 1
    while (end := add_interval(anchor, interval, cycles * count)) <= start:
        cycles += 1
    return end


def test_month_ends_keep_to_the_anchor_day_years_later() -> None:
    start = add_interval(JAN_31, "month", 37)  # 2029-02-28: the anchor day clipped
    assert period_end(JAN_31, start, "month", 1) == add_interval(JAN_31, "month", 38)
    assert period_end(JAN_31, start - 1, "month", 1) == start


def test_matches_counting_one_interval_at_a_time() -> None:
    chance = random.Random(7)
    for _ in range(3000):
        anchor = chance.randint(1_600_000_000, 1_800_000_000)
        start = anchor + chance.randint(-90 * 86400, 6 * 365 * 86400)
        interval = chance.choice(["day", "week", "month", "year"])
        count = chance.choice([1, 2, 3, 6])
        assert period_end(anchor, start, interval, count) == _counted(
            anchor, start, interval, count
        )
