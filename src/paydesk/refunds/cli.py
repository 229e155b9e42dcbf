"""`paydesk refund ORDER_ID [--amount 12.50] [--reason …]`: the refund form's command-line twin."""

from __future__ import annotations

from typing import NoReturn

import typer
from sqlalchemy import select

from paydesk.context import AppContext
from paydesk.core.money import AmountError, format_money, parse_major
from paydesk.orders.tables import orders
from paydesk.refunds.service import RefundRefused, request_refund
from paydesk.store.engine import reading


def refund_cli(ctx: AppContext, order_id: str, amount: str | None, reason: str | None) -> None:
    with reading(ctx.engine) as conn:
        currency = conn.execute(select(orders.c.currency).where(orders.c.id == order_id)).scalar()
    if currency is None:
        _fail(f"No order {order_id}.")
    try:
        minor = None if amount is None else parse_major(amount, currency)
        result = request_refund(ctx, order_id, minor, reason)
    except (AmountError, RefundRefused) as exc:
        _fail(str(exc))
    money = format_money(result["amount"], result["currency"])
    key = f"refund:{order_id}:{result['n']}"
    if result["status"] == "failed":
        _fail(f"Stripe refused the refund of {money} ({key}): {result['error']}")
    if result["status"] == "requested":
        _fail(f"Stripe could not be reached for the refund of {money} ({key}): "
              f"{result['error']}. Nothing was refunded twice; try again later.")
    typer.echo(f"Refund {result['stripe_refund_id']} of {money} requested ({key}); the order "
               "changes when Stripe's charge.refunded webhook arrives.")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)
