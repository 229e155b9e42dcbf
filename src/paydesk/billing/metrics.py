"""The numbers a SaaS owner reads at a glance: MRR, subscribers by status, churn and recovered
revenue this month, and revenue per day over the last 90 days (with its SVG chart)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from paydesk.billing.tables import invoices, subscriptions
from paydesk.core.money import format_money
from paydesk.orders.model import PAID_STATUSES
from paydesk.orders.tables import orders
from paydesk.store.engine import aware

# Billing periods in months: what one interval's charge is worth each month.
MONTHS = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}
CHART_DAYS = 90
PAYING = ("active", "past_due")  # the statuses MRR counts


@dataclass(frozen=True)
class Day:
    day: datetime
    amount: int


def monthly(amount: int, interval: str | None, count: int | None) -> float:
    months = MONTHS.get(interval or "month", 1.0) * (count or 1)
    return amount / months


def mrr(conn: Connection) -> dict[str, int]:
    """Monthly recurring revenue per currency of the paying subscriptions (the WHERE spares
    reading the others; `monthly_totals` filters again for callers that pass every row)."""
    t = subscriptions.c
    return monthly_totals(conn.execute(
        select(t.status, t.unit_amount, t.quantity, t.currency, t.interval, t.interval_count)
        .where(t.status.in_(PAYING), t.currency.is_not(None))
    ).mappings())


def monthly_totals(subs: Iterable[RowMapping]) -> dict[str, int]:
    """What these subscription rows bring each month, per currency: the paying ones only
    (trials pay nothing yet)."""
    totals: dict[str, float] = defaultdict(float)
    for s in subs:
        if s["status"] in PAYING and s["currency"]:
            totals[s["currency"]] += monthly((s["unit_amount"] or 0) * (s["quantity"] or 1),
                                             s["interval"], s["interval_count"])
    return {currency: round(value) for currency, value in sorted(totals.items())}


def counts(conn: Connection) -> dict[str, int]:
    t = subscriptions.c
    found: dict[str, int] = {
        str(s): int(n) for s, n in conn.execute(select(t.status, func.count()).group_by(t.status))
    }
    return {status: int(found.get(status, 0)) for status in
            ("active", "trialing", "past_due", "unpaid", "canceled", "incomplete")}


def churn(conn: Connection, since: datetime) -> tuple[int, float]:
    """Subscriptions that ended since `since`, and that as a share of those that could have."""
    t = subscriptions.c
    ended = int(conn.execute(select(func.count()).where(
        t.status.in_(("canceled", "incomplete_expired")), t.ended_at >= since,
        t.started_at < since)).scalar_one())
    live = int(conn.execute(select(func.count()).where(
        t.status.in_(("active", "trialing", "past_due", "unpaid")))).scalar_one())
    return ended, (ended / (ended + live) if ended + live else 0.0)


def recovered(conn: Connection, since: datetime) -> dict[str, int]:
    t = invoices.c
    return {str(c): int(a) for c, a in conn.execute(
        select(t.currency, func.sum(t.amount_paid))
        .where(t.recovered.is_(True), t.paid_at >= since).group_by(t.currency)
    ).all()}


def revenue_by_day(conn: Connection, end: datetime, currency: str) -> list[Day]:
    """Invoices paid plus orders paid, per day, over the CHART_DAYS days ending at `end`."""
    start = (end - timedelta(days=CHART_DAYS - 1)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
    totals: dict[str, int] = defaultdict(int)
    i, o = invoices.c, orders.c
    for paid_at, amount in conn.execute(select(i.paid_at, i.amount_paid).where(
            i.paid_at >= start, i.currency == currency, i.amount_paid > 0)):
        totals[aware(paid_at).date().isoformat()] += int(amount)  # type: ignore[union-attr]
    for created, amount in conn.execute(select(o.created_at, o.amount_total).where(
            o.created_at >= start, o.currency == currency, o.status.in_(sorted(PAID_STATUSES)))):
        totals[aware(created).date().isoformat()] += int(amount)  # type: ignore[union-attr]
    days = [start + timedelta(days=n) for n in range(CHART_DAYS)]
    return [Day(d, totals.get(d.date().isoformat(), 0)) for d in days]


def bar_chart(days: list[Day], currency: str, width: int = 720, height: int = 160) -> str:
    """A bar per day, as an inline SVG (no script, no CDN); each bar's title is its figure."""
    top = max((d.amount for d in days), default=0) or 1
    step = width / max(len(days), 1)
    bars = []
    for n, d in enumerate(days):
        h = round(d.amount / top * (height - 20), 1)
        label = f"{d.day:%d %b}: {format_money(d.amount, currency)}"
        bars.append(f'<rect x="{n * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}"'
                    f' height="{h}" class="bar"><title>{label}</title></rect>')
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Revenue per day, last {len(days)} days, {currency.upper()}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>')


def overview(conn: Connection, now: datetime) -> dict[str, Any]:
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rates = mrr(conn)
    ended, rate = churn(conn, month_start)
    currency = next(iter(rates), None) or _main_currency(conn)
    chart = bar_chart(revenue_by_day(conn, now, currency), currency) if currency else None
    return {
        "mrr": [format_money(v, c) for c, v in rates.items()],
        "counts": counts(conn), "churned": ended, "churn_rate": rate,
        "recovered": [format_money(v, c) for c, v in recovered(conn, month_start).items()],
        "chart": chart, "chart_currency": (currency or "").upper(),
    }


def _main_currency(conn: Connection) -> str | None:
    found = conn.execute(select(invoices.c.currency).limit(1)).scalar()
    return str(found) if found else None
