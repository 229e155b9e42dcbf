"""Ask Stripe to refund an order: record the request, send it with `refund:<order_id>:<n>`,
keep the outcome. The order's status and `amount_refunded` are NOT touched here: they move
only when Stripe's charge.refunded webhook arrives (one source of truth)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import NotRequired, Protocol, TypedDict, cast

import stripe
import structlog
from sqlalchemy import Connection, RowMapping, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from stripe.params import RefundCreateParams

from paydesk.context import AppContext
from paydesk.core.ids import refund_idempotency_key
from paydesk.core.money import format_money
from paydesk.orders.model import REFUNDABLE
from paydesk.orders.tables import orders
from paydesk.refunds.tables import refund_requests
from paydesk.store.engine import reading

log = structlog.get_logger(__name__)

REASONS = ("requested_by_customer", "duplicate", "fraudulent")
_ALLOCATION_ATTEMPTS = 5


class RefundRequest(TypedDict):
    """A row of `refund_requests`, and what the caller is told about it."""

    id: NotRequired[int]
    order_id: str
    n: int
    request_token: str
    amount: int
    currency: str
    reason: str | None
    status: str  # requested -> succeeded | failed
    stripe_refund_id: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    payment_intent_id: NotRequired[str | None]
    replayed: NotRequired[bool]  # settled by an earlier submission of the same token
    money: NotRequired[str]  # the amount as the page shows it


class RefundSummary(TypedDict):
    requests: list[RefundRequest]
    remaining: int
    refundable: bool


class _OrderAmounts(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def amount_total(self) -> int: ...
    @property
    def amount_refunded(self) -> int: ...


class RefundRefused(ValueError):
    """The refund cannot be asked for (order, amount or reason); nothing was sent to Stripe."""


def new_request_token() -> str:
    return secrets.token_urlsafe(24)


def request_refund(
    ctx: AppContext, order_id: str, amount: int | None, reason: str | None,
    request_token: str | None = None,
) -> RefundRequest:
    """Refund `amount` minor units (None: all that is left) of the order's payment.

    `request_token` identifies one submission of the admin form: a resubmit with the same token
    finds the request it already made and reuses its n, so Stripe replays the refund under the
    same idempotency key instead of refunding twice. Without a token every call is a new request.
    Raises RefundRefused (with a message for a person) when the refund is not allowed."""
    if reason is not None and reason not in REASONS:
        raise RefundRefused(f"Unknown reason “{reason}”: use one of {', '.join(REASONS)}.")
    token = request_token or new_request_token()
    row = _existing(ctx, token, order_id)
    if row is None:
        row = _record(ctx, order_id, amount, reason, token)
    elif row["status"] != "requested":
        return row | {"replayed": True}  # settled already: nothing to send again
    return _send(ctx, row)


def refund_summary(conn: Connection, order_id: str) -> RefundSummary:
    """What the order page shows: the requests, newest first, and what is left to refund."""
    order = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    rows = conn.execute(
        select(refund_requests).where(refund_requests.c.order_id == order_id)
        .order_by(refund_requests.c.n.desc())
    ).mappings().all()
    left = _remaining(conn, order)
    return {
        "requests": [_view(_request(r)) for r in rows],
        "remaining": left,
        "refundable": order.status in REFUNDABLE and bool(order.payment_intent_id) and left > 0,
    }


def _request(row: RowMapping) -> RefundRequest:
    return cast(RefundRequest, dict(row))


def _existing(ctx: AppContext, token: str, order_id: str) -> RefundRequest | None:
    with reading(ctx.engine) as conn:
        row = conn.execute(
            select(refund_requests).where(refund_requests.c.request_token == token)
        ).mappings().one_or_none()
    if row is not None and row["order_id"] != order_id:
        raise RefundRefused("This refund form belongs to another order.")
    return _request(row) if row is not None else None


def _record(
    ctx: AppContext, order_id: str, amount: int | None, reason: str | None, token: str
) -> RefundRequest:
    """Validate and insert the request with the order's next n, in one transaction."""
    for _ in range(_ALLOCATION_ATTEMPTS):
        try:
            with ctx.engine.begin() as conn:
                return _insert_request(conn, order_id, amount, reason, token)
        except IntegrityError:
            # Same token from a concurrent double-submit: that request is ours too.
            found = _existing(ctx, token, order_id)
            if found is not None:
                return found
            # Otherwise another request took this n first: allocate again.
    raise RefundRefused("Too many refunds of this order at once: try again.")


def _insert_request(
    conn: Connection, order_id: str, amount: int | None, reason: str | None, token: str
) -> RefundRequest:
    now = datetime.now(UTC)
    # The order row stays locked until commit (on SQLite the transaction holds the write lock
    # from its start), so two requests for one order cannot both see the same amount left.
    order = conn.execute(
        select(orders).where(orders.c.id == order_id).with_for_update()
    ).one_or_none()
    if order is None:
        raise RefundRefused(f"No order {order_id}.")
    if order.status not in REFUNDABLE:
        raise RefundRefused(
            f"Order {order_id} is {order.status.replace('_', ' ')}: only paid, fulfilled or "
            "partially refunded orders can be refunded."
        )
    if not order.payment_intent_id:
        raise RefundRefused(f"Order {order_id} has no payment intent recorded: nothing to refund.")
    left = _remaining(conn, order)
    if left <= 0:
        raise RefundRefused(f"Nothing is left to refund on order {order_id}.")
    amount = left if amount is None else amount
    if amount < 1 or amount > left:
        raise RefundRefused(
            f"Cannot refund {format_money(amount, order.currency)}: the amount must be between "
            f"{format_money(1, order.currency)} and {format_money(left, order.currency)} "
            "(what is left)."
        )
    n = 1 + int(conn.execute(
        select(func.coalesce(func.max(refund_requests.c.n), 0))
        .where(refund_requests.c.order_id == order_id)
    ).scalar_one())
    row: RefundRequest = {
        "order_id": order_id, "n": n, "request_token": token, "amount": amount,
        "currency": order.currency, "reason": reason, "status": "requested",
        "stripe_refund_id": None, "error": None, "created_at": now, "updated_at": now,
    }
    result = conn.execute(insert(refund_requests).values(**row).returning(refund_requests.c.id))
    return row | {"id": int(result.scalar_one()), "payment_intent_id": str(order.payment_intent_id)}


def _remaining(conn: Connection, order: _OrderAmounts) -> int:
    """What may still be refunded: the total, less the refunds Stripe has told us about
    (`amount_refunded`, from charge.refunded) or that Stripe accepted from us and whose webhook
    may not be here yet, less the requests still in flight."""
    r = refund_requests.c
    sums: dict[str, int] = {
        str(status): int(total) for status, total in conn.execute(
            select(r.status, func.coalesce(func.sum(r.amount), 0))
            .where(r.order_id == order.id, r.status.in_(("requested", "succeeded")))
            .group_by(r.status)
        ).all()
    }
    refunded = max(int(order.amount_refunded), int(sums.get("succeeded", 0)))
    return int(order.amount_total) - refunded - int(sums.get("requested", 0))


def _send(ctx: AppContext, row: RefundRequest) -> RefundRequest:
    """Ask Stripe, then store what it said. A network failure leaves the request `requested`:
    sending it again (same token) reuses the same idempotency key, so it cannot refund twice."""
    payment_intent = row.get("payment_intent_id") or _payment_intent(ctx, row["order_id"])
    params: RefundCreateParams = {
        "payment_intent": payment_intent, "amount": row["amount"],
        "metadata": {"order_id": row["order_id"], "refund_request": str(row["n"])},
    }
    if row["reason"]:
        params["reason"] = row["reason"]
    key = refund_idempotency_key(row["order_id"], row["n"])
    values: dict[str, object]
    try:
        refund = ctx.stripe.v1.refunds.create(params, {"idempotency_key": key})
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        values = {"error": _message(exc)}  # still in flight: may be retried with the same key
    except stripe.StripeError as exc:
        if exc.http_status is not None and exc.http_status >= 500:
            values = {"error": _message(exc)}
        else:
            values = {"status": "failed", "error": _message(exc)}
    else:
        values = {"status": "succeeded", "stripe_refund_id": refund.id, "error": None}
    values["updated_at"] = datetime.now(UTC)
    with ctx.engine.begin() as conn:
        # Only a request still in flight takes an outcome: when a double-submit raced this one
        # and settled it first, its answer stands (Stripe gave both the same refund anyway).
        conn.execute(
            update(refund_requests)
            .where(refund_requests.c.id == row["id"], refund_requests.c.status == "requested")
            .values(**values)
        )
        stored = conn.execute(
            select(refund_requests).where(refund_requests.c.id == row["id"])
        ).mappings().one()
    log.info("refund_requested", order_id=row["order_id"], n=row["n"], idempotency_key=key,
             status=stored["status"], refund=stored["stripe_refund_id"])
    return _request(stored) | {"replayed": False}


def _payment_intent(ctx: AppContext, order_id: str) -> str:
    with reading(ctx.engine) as conn:
        return str(conn.execute(
            select(orders.c.payment_intent_id).where(orders.c.id == order_id)
        ).scalar_one())


def _message(exc: stripe.StripeError) -> str:
    return str(exc.user_message or exc) or type(exc).__name__


def _view(row: RefundRequest) -> RefundRequest:
    return row | {"money": format_money(row["amount"], row["currency"])}
