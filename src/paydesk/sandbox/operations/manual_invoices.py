"""Invoices made by request: one-off invoices (`invoices.create`) and previews of the next
invoice (`create_preview` / the legacy `upcoming`)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.operations import invoices
from paydesk.sandbox.operations.invoice_math import recompute
from paydesk.sandbox.operations.payment_methods import resolve
from paydesk.sandbox.operations.subscriptions import (
    COLLECTION_METHODS,
    current_period,
    next_period_end,
    product_name,
)
from paydesk.sandbox.params import (
    apply_metadata,
    get_bool,
    get_currency,
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_str,
)


def create(account: Account, now: int, customer: Obj, p: dict[str, Any]) -> Obj:
    """A draft for `customer`; pending invoice items only with
    `pending_invoice_items_behavior=include` (Stripe's default since 2022 is `exclude`)."""
    behaviour = get_enum(p, "pending_invoice_items_behavior", ("include", "exclude"), "exclude")
    pending = (
        invoices.pending_items(account, customer["id"], None) if behaviour == "include" else []
    )
    currency = get_currency(p, required=False) or (
        pending[0]["currency"] if pending else customer.get("currency") or "usd"
    )
    collection = get_enum(p, "collection_method", COLLECTION_METHODS, "charge_automatically")
    days = get_int(p, "days_until_due", minimum=0)
    due_date = get_int(p, "due_date")
    if collection == "send_invoice" and days is None and due_date is None:
        raise InvalidRequest(
            "Missing required param: days_until_due or due_date (needed with "
            "collection_method=send_invoice).",
            param="days_until_due",
            code="parameter_missing",
        )
    rates = [str(r) for r in get_list(p, "default_tax_rates") or []]
    for rate in rates:
        account.get(rate, "tax_rate", "default_tax_rates")
    payment_settings = get_dict(p, "payment_settings") or {}
    types = get_list(payment_settings, "payment_method_types")
    pm_id = get_str(p, "default_payment_method")
    settings: dict[str, Any] = {
        "auto_advance": get_bool(p, "auto_advance", False),
        "collection_method": collection,
        "description": get_str(p, "description"),
        "footer": get_str(p, "footer"),
        "metadata": apply_metadata({}, p),
        "default_tax_rates": rates,
        "default_payment_method": resolve(account, pm_id, now=now)["id"] if pm_id else None,
        "due_date": due_date or (now + days * 86400 if days is not None else None),
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": [str(t) for t in types] if types else None,
        },
    }
    invoice = invoices.new_draft(account, now, customer, currency=currency, settings=settings)
    for item in pending:
        if item["currency"] == currency:
            invoices.add_item_line(account, invoice, item)
    return invoices.announce(account, now, invoice)


def preview(account: Account, now: int, customer: Obj, sub: Obj | None) -> Obj:
    """What the next invoice will hold, without storing anything."""
    currency = sub["currency"] if sub else customer.get("currency") or "usd"
    draft = invoices.new_draft(
        account,
        now,
        customer,
        currency=currency,
        reason="upcoming",
        subscription=sub,
        keep=False,
    )
    if sub is not None:
        _, end = current_period(sub)
        start, stop = end, next_period_end(sub, end)
        draft.update(period_start=start, period_end=stop)
        for item in sub["items"]["data"]:
            price = item["price"]
            invoices.add_line(
                account,
                draft,
                amount=int(price["unit_amount"] or 0) * int(item["quantity"]),
                description=f"{item['quantity']} × {product_name(account, price)}",
                period={"end": stop, "start": start},
                quantity=int(item["quantity"]),
                price=price,
                parent={
                    "type": "subscription_item_details",
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "subscription": sub["id"],
                        "subscription_item": item["id"],
                    },
                },
                tax_rates=list(item["tax_rates"]) or list(sub["default_tax_rates"]),
                subscription=sub["id"],
            )
        draft["discounts"] = list(sub["discounts"])
    for item in invoices.pending_items(account, customer["id"], sub["id"] if sub else None):
        invoices.add_line(
            account,
            draft,
            amount=item["amount"],
            description=item["description"],
            period=item["period"],
            quantity=item["quantity"],
            price=None,
            parent={
                "type": "invoice_item_details",
                "subscription_item_details": None,
                "invoice_item_details": {"invoice_item": item["id"]},
            },
            tax_rates=list(item["tax_rates"]),
        )
    draft.update(recompute(account, draft))
    # A preview is never stored: like Stripe's, its id (upcoming_in_…) retrieves nothing.
    draft["id"] = "upcoming_" + draft["id"]
    draft["lines"]["total_count"] = len(draft["lines"]["data"])
    draft["lines"]["url"] = "/v1/invoices/upcoming/lines"
    return draft
