"""The refund panel of the admin order page: its data, its form, its flash message."""

from __future__ import annotations

from sqlalchemy import Connection, select

from paydesk.context import AppContext
from paydesk.core.money import AmountError, format_major, format_money, parse_major
from paydesk.orders.tables import orders
from paydesk.refunds.service import (
    REASONS,
    RefundRefused,
    RefundRequest,
    RefundSummary,
    new_request_token,
    refund_summary,
    request_refund,
)
from paydesk.refunds.tables import refund_requests
from paydesk.store.engine import reading


class RefundPanel(RefundSummary):
    """What the admin's order page shows of refunds."""

    remaining_money: str
    reasons: tuple[str, ...]
    form: dict[str, str]
    flash: dict[str, str] | None


def refund_panel(
    conn: Connection, order_id: str, flash_id: str | None = None,
    form: dict[str, str] | None = None,
) -> RefundPanel:
    """Requests, what is left, and the form (prefilled with all that is left, and a fresh
    request token unless a refused submission is shown again)."""
    summary = refund_summary(conn, order_id)
    currency = conn.execute(select(orders.c.currency).where(orders.c.id == order_id)).scalar_one()
    defaults = {
        "amount": format_major(summary["remaining"], currency), "reason": "",
        "token": new_request_token(),
    }
    return RefundPanel(
        **summary, remaining_money=format_money(summary["remaining"], currency),
        reasons=REASONS, form=defaults | (form or {}), flash=_flash(conn, order_id, flash_id),
    )


def submit_refund_form(
    ctx: AppContext, order_id: str, amount: str, reason: str, token: str
) -> RefundRequest:
    """Raises RefundRefused (message for the page) when the form cannot be acted on."""
    with reading(ctx.engine) as conn:
        currency = conn.execute(
            select(orders.c.currency).where(orders.c.id == order_id)
        ).scalar()
    if currency is None:
        raise RefundRefused(f"No order {order_id}.")
    if not token:
        raise RefundRefused("The form is missing its request token: reload the page.")
    try:
        minor = parse_major(amount, currency)
    except AmountError as exc:
        raise RefundRefused(str(exc)) from exc
    return request_refund(ctx, order_id, minor, reason or None, request_token=token)


def _flash(conn: Connection, order_id: str, flash_id: str | None) -> dict[str, str] | None:
    """Built from the stored request, never from the URL: a link cannot put words on the page."""
    if not flash_id or not flash_id.isdigit():
        return None
    row = conn.execute(
        select(refund_requests).where(
            refund_requests.c.id == int(flash_id), refund_requests.c.order_id == order_id
        )
    ).one_or_none()
    if row is None:
        return None
    what = f"Refund #{row.n} of {format_money(row.amount, row.currency)}"
    if row.status == "succeeded":
        return {"kind": "notice", "text": f"{what} accepted by Stripe ({row.stripe_refund_id}). "
                "The order changes when Stripe's charge.refunded webhook arrives."}
    if row.status == "failed":
        return {"kind": "error", "text": f"{what} was refused by Stripe: {row.error}"}
    if row.error is None:
        return {"kind": "notice", "text": f"{what} is being sent to Stripe."}
    return {"kind": "error", "text": f"{what} is still requested: Stripe could not be reached "
            f"({row.error}). Submitting the same form again cannot refund twice."}
