"""Billing periods: calendar arithmetic on Unix timestamps, as Stripe bills (a monthly
subscription anchored on the 31st renews on the last day of shorter months)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

DAY = 86400


def add_interval(anchor: int, interval: str, count: int) -> int:
    """`anchor` moved forward by `count` intervals (day, week, month, year)."""
    if interval == "day":
        return anchor + count * DAY
    if interval == "week":
        return anchor + count * 7 * DAY
    moment = datetime.fromtimestamp(anchor, UTC)
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_end(anchor: int, start: int, interval: str, count: int) -> int:
    """The end of the period starting at `start`, counted from `anchor` so months never drift
    (Jan 31 -> Feb 28 -> Mar 31)."""
    cycles = max(1, _cycles_before(anchor, start, interval, count))
    while True:
        end = add_interval(anchor, interval, cycles * count)
        if end > start:
            return end
        cycles += 1


def _cycles_before(anchor: int, start: int, interval: str, count: int) -> int:
    """A number of whole intervals from `anchor` that surely ends by `start`: counting from
    the anchor one cycle at a time made a year-old subscription's renewal a dozen calendar
    conversions (a tenth of a test clock's advance)."""
    if start <= anchor:
        return 0
    if interval in ("day", "week"):
        step = count * DAY * (7 if interval == "week" else 1)
        return (start - anchor) // step
    first = datetime.fromtimestamp(anchor, UTC)
    last = datetime.fromtimestamp(start, UTC)
    months = (last.year - first.year) * 12 + last.month - first.month
    # Every cycle ending in a month before `start`'s ends before `start`.
    return (months - 1) // (count * (12 if interval == "year" else 1))


def days(count: int) -> int:
    return int(timedelta(days=count).total_seconds())
