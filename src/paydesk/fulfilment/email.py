"""The order confirmation email, composed the same way by every fulfilment path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paydesk.context import AppContext
from paydesk.core.money import format_money
from paydesk.fulfilment.access import make_token


def confirmation(ctx: AppContext, order: Any, items: Sequence[Any]) -> dict[str, str]:
    """`order` has id, email, amount_total, currency; each item name, quantity, product_id, type."""
    lines = [f"Thank you for your order {order.id}.", ""]
    lines += [f"  {item.quantity} x {item.name}" for item in items]
    lines += ["", f"Total: {format_money(order.amount_total, order.currency)}"]
    digital = [item for item in items if item.type == "digital"]
    if digital:
        lines += ["", "Your downloads:"]
        lines += [
            f"  {item.name}: {ctx.client_url}/access/"
            f"{make_token(ctx.signing_key, order.id, item.product_id)}"
            for item in digital
        ]
    return {
        "to": order.email,
        "subject": f"Your order {order.id} is confirmed",
        "body": "\n".join(lines) + "\n",
    }
