"""Stripe's subscription and invoice objects as small typed records (parse at the edge).

Reads the current API's shapes (`items.data[].current_period_end`, `invoice.parent.
subscription_details.subscription`) and falls back to the older top-level fields, so events
from an endpoint pinned to an older API version still parse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from paydesk.billing.model import Snapshot, Status, parse_status


class NotASubscription(ValueError):
    """The object lacks what every Stripe subscription (or invoice) has."""


@dataclass(frozen=True)
class SubscriptionInfo:
    id: str
    customer_id: str
    snapshot: Snapshot
    plan_hint: str | None  # metadata.plan_id, set by our own checkout
    price_id: str | None
    unit_amount: int | None
    currency: str | None
    interval: str | None
    interval_count: int | None
    quantity: int
    trial_end: datetime | None
    test_clock_id: str | None
    latest_invoice_id: str | None
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def status(self) -> Status:
        return self.snapshot.status


@dataclass(frozen=True)
class InvoiceInfo:
    id: str
    customer_id: str
    subscription_id: str | None
    customer_email: str | None
    number: str | None
    status: str
    currency: str
    amount_due: int
    amount_paid: int
    attempt_count: int
    billing_reason: str | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    created: datetime
    paid_at: datetime | None
    next_payment_attempt: datetime | None


def when(value: object) -> datetime | None:
    """A Stripe timestamp (seconds) as an aware datetime; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def _id(value: object) -> str | None:
    """An id, or the id of an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _first_item(obj: dict[str, object]) -> dict[str, object]:
    data = _dict(obj.get("items")).get("data")
    return _dict(data[0]) if isinstance(data, list) and data else {}


def parse_subscription(obj: dict[str, object]) -> SubscriptionInfo:
    sub_id, customer = _id(obj.get("id")), _id(obj.get("customer"))
    if not sub_id or not sub_id.startswith("sub_") or not customer:
        raise NotASubscription("not a Stripe subscription (no sub_ id or customer)")
    item = _first_item(obj)
    price = _dict(item.get("price")) or _dict(item.get("plan"))
    recurring = _dict(price.get("recurring"))
    period_end = item.get("current_period_end", obj.get("current_period_end"))
    amount = price.get("unit_amount", price.get("amount"))
    quantity = item.get("quantity")
    return SubscriptionInfo(
        id=sub_id,
        customer_id=customer,
        snapshot=Snapshot(
            status=parse_status(obj.get("status")),
            current_period_end=when(period_end),
            cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        ),
        plan_hint=_str(_dict(obj.get("metadata")).get("plan_id")),
        price_id=_id(price.get("id")),
        unit_amount=amount if isinstance(amount, int) else None,
        currency=_str(price.get("currency")),
        interval=_str(recurring.get("interval", price.get("interval"))),
        interval_count=_int(recurring.get("interval_count", price.get("interval_count"))),
        quantity=quantity if isinstance(quantity, int) and quantity > 0 else 1,
        trial_end=when(obj.get("trial_end")),
        test_clock_id=_id(obj.get("test_clock")),
        latest_invoice_id=_id(obj.get("latest_invoice")),
        started_at=when(obj.get("start_date")),
        ended_at=when(obj.get("ended_at")),
    )


def parse_invoice(obj: dict[str, object]) -> InvoiceInfo:
    inv_id, customer = _id(obj.get("id")), _id(obj.get("customer"))
    created = when(obj.get("created"))
    if not inv_id or not inv_id.startswith("in_") or not customer or created is None:
        raise NotASubscription("not a Stripe invoice (no in_ id, customer or created)")
    details = _dict(_dict(obj.get("parent")).get("subscription_details"))
    paid_at = when(_dict(obj.get("status_transitions")).get("paid_at"))
    return InvoiceInfo(
        id=inv_id,
        customer_id=customer,
        subscription_id=_id(details.get("subscription")) or _id(obj.get("subscription")),
        customer_email=_str(obj.get("customer_email")),
        number=_str(obj.get("number")),
        status=_str(obj.get("status")) or "draft",
        currency=_str(obj.get("currency")) or "usd",
        amount_due=_int(obj.get("amount_due")) or 0,
        amount_paid=_int(obj.get("amount_paid")) or 0,
        attempt_count=_int(obj.get("attempt_count")) or 0,
        billing_reason=_str(obj.get("billing_reason")),
        hosted_invoice_url=_str(obj.get("hosted_invoice_url")),
        invoice_pdf=_str(obj.get("invoice_pdf")),
        created=created,
        paid_at=paid_at,
        next_payment_attempt=when(obj.get("next_payment_attempt")),
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
