"""Subscription updates: price swaps and quantities with prorations, cancel at period end,
ending a trial now, pause_collection, collection and payment settings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.objects import invoice as invoice_shapes
from paydesk.sandbox.objects import subscription as shapes
from paydesk.sandbox.objects.catalog import plan_view
from paydesk.sandbox.operations import invoices, renewals
from paydesk.sandbox.operations.subscriptions import (
    COLLECTION_METHODS,
    apply_discounts,
    build_invoice,
    current_period,
    item_price,
    next_period_end,
    parse_discounts,
    schedule_renewal,
    set_period,
    settings_from,
    sync_items,
)
from paydesk.sandbox.params import get_bool, get_dict, get_enum, get_int, get_list, get_str

PRORATION = ("create_prorations", "always_invoice", "none")


def update(account: Account, now: int, sub: Obj, p: dict[str, Any]) -> Obj:
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise InvalidRequest(
            "A canceled subscription can only update its cancellation_details and metadata.",
            code="resource_missing",
        )
    before = _snapshot_fields(sub)
    proration = get_enum(p, "proration_behavior", PRORATION, "create_prorations")
    changes = settings_from(account, p, sub)
    changes.update(_collection(p, sub))
    if "cancel_at_period_end" in p:
        changes["cancel_at_period_end"] = get_bool(p, "cancel_at_period_end")
        changes["cancel_at"] = current_period(sub)[1] if changes["cancel_at_period_end"] else None
    if "pause_collection" in p:
        pause = get_dict(p, "pause_collection")
        changes["pause_collection"] = (
            {
                "behavior": get_enum(
                    pause, "behavior", ("keep_as_draft", "mark_uncollectible", "void")
                ),
                "resumes_at": get_int(pause, "resumes_at"),
            }
            if pause
            else None
        )
    account.update(sub, changes)
    coupon_objs, codes = parse_discounts(account, now, p)
    if coupon_objs:
        apply_discounts(account, now, sub, coupon_objs, codes)
    swapped = _items(account, now, sub, p, proration or "create_prorations")
    anchor_now = _anchor_now(p, sub)
    if anchor_now:
        _restart_cycle(account, now, sub, proration or "create_prorations")
    previous = {k: v for k, v in before.items() if sub.get(k) != v}
    if previous:
        account.emit("customer.subscription.updated", sub, previous, now=now)
    if p.get("trial_end") == "now" and sub["status"] == "trialing":
        account.update(sub, {"trial_end": now, "billing_cycle_anchor": now})
        renewals.renew(account, now, sub)
    elif anchor_now:
        _invoice_new_cycle(account, now, sub)
    elif swapped and proration == "always_invoice":
        _invoice_prorations(account, now, sub)
    return sub


def _anchor_now(p: dict[str, Any], sub: Obj) -> bool:
    value = p.get("billing_cycle_anchor")
    if value is None or value == "unchanged":
        return False
    if value != "now":
        raise InvalidRequest(
            "Invalid billing_cycle_anchor: must be one of now, unchanged",
            param="billing_cycle_anchor",
        )
    return sub["status"] in ("active", "past_due", "unpaid")


def _restart_cycle(account: Account, now: int, sub: Obj, proration: str) -> None:
    """`billing_cycle_anchor=now`: the unused time is credited (unless proration is off) and
    a new period starts now."""
    for item in sub["items"]["data"]:
        _prorate(account, now, sub, item, item["price"], 0, proration)
    account.update(sub, {"billing_cycle_anchor": now})
    set_period(account, sub, now, next_period_end(sub, now))


def _invoice_new_cycle(account: Account, now: int, sub: Obj) -> None:
    """The new period is invoiced at once, with the credit; the next renewal is a period on."""
    invoice = build_invoice(account, now, sub, "subscription_update")
    invoices.announce(account, now, invoice)
    invoices.finalize(account, now, invoice)
    invoices.advance(account, now, invoice)
    schedule_renewal(account, sub, current_period(sub)[1])


def _snapshot_fields(sub: Obj) -> dict[str, Any]:
    keys = (
        "cancel_at_period_end",
        "cancel_at",
        "collection_method",
        "days_until_due",
        "default_payment_method",
        "default_tax_rates",
        "metadata",
        "description",
        "payment_settings",
        "pause_collection",
        "discounts",
        "trial_settings",
        "billing_cycle_anchor",
    )
    before = {k: sub.get(k) for k in keys}
    before["items"] = {
        "data": [
            {"id": i["id"], "price": i["price"]["id"], "quantity": i["quantity"]}
            for i in sub["items"]["data"]
        ]
    }
    return before


def _collection(p: dict[str, Any], sub: Obj) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    method = get_enum(p, "collection_method", COLLECTION_METHODS)
    if method:
        changes["collection_method"] = method
    if "days_until_due" in p:
        changes["days_until_due"] = get_int(p, "days_until_due", minimum=0)
    if (method or sub["collection_method"]) == "send_invoice":
        if changes.get("days_until_due", sub["days_until_due"]) is None:
            raise InvalidRequest(
                "Missing required param: days_until_due (needed with "
                "collection_method=send_invoice).",
                param="days_until_due",
            )
    elif method == "charge_automatically":
        changes["days_until_due"] = None
    return changes


def _items(account: Account, now: int, sub: Obj, p: dict[str, Any], proration: str) -> bool:
    """Apply `items[]` (swap price by item id, change quantity, add, delete); prorate."""
    entries = get_list(p, "items") or []
    changed = False
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        param = f"items[{index}]"
        item_id = get_str(entry, "id")
        item = account.get(item_id, "subscription_item", f"{param}[id]") if item_id else None
        if item is not None and get_bool(entry, "deleted"):
            _prorate(account, now, sub, item, item["price"], 0, proration)
            account.delete(item)
            changed = True
            continue
        has_price = (
            get_str(entry, "price") or get_dict(entry, "price_data") or get_str(entry, "plan")
        )
        price = item_price(account, entry, param, now) if has_price else None
        quantity = get_int(entry, "quantity", minimum=0)
        if item is None:
            if price is None:
                raise InvalidRequest(f"Missing required param: {param}[price].", param=param)
            item = _add_item(account, now, sub, price, 1 if quantity is None else quantity)
            _prorate(account, now, sub, item, price, int(item["quantity"]), proration, new=True)
            changed = True
            continue
        new_price = price or item["price"]
        new_quantity = item["quantity"] if quantity is None else quantity
        if new_price["id"] != item["price"]["id"] or new_quantity != item["quantity"]:
            _prorate(account, now, sub, item, new_price, new_quantity, proration)
            account.update(
                item, {"price": new_price, "plan": plan_view(new_price), "quantity": new_quantity}
            )
            changed = True
    if changed:
        sync_items(account, sub)
    return changed


def _add_item(account: Account, now: int, sub: Obj, price: Obj, quantity: int) -> Obj:
    start, end = current_period(sub)
    item = shapes.item(account.new_id("si"), now, sub["id"], price, quantity, (start, end))
    account.insert(item)
    sub["items"]["data"].append(item)
    return item


def _prorate(
    account: Account,
    now: int,
    sub: Obj,
    item: Obj,
    new_price: Obj,
    new_quantity: int,
    proration: str,
    *,
    new: bool = False,
) -> None:
    """Credit the unused time at the old price, charge the rest of the period at the new one,
    as pending invoice items for the next invoice (or an invoice now)."""
    if proration == "none" or sub["status"] == "trialing":
        return
    start, end = current_period(sub)
    if end <= now:
        return
    fraction = Decimal(end - now) / Decimal(end - start)
    if not new:
        old = int(item["price"]["unit_amount"] or 0) * int(item["quantity"])
        _proration_item(
            account,
            now,
            sub,
            item,
            item["price"],
            -_part(old, fraction),
            int(item["quantity"]),
            f"Unused time on {_name(account, item['price'])}",
        )
    fresh = int(new_price["unit_amount"] or 0) * new_quantity
    if fresh:
        _proration_item(
            account,
            now,
            sub,
            item,
            new_price,
            _part(fresh, fraction),
            new_quantity,
            f"Remaining time on {_name(account, new_price)}",
        )


def _part(amount: int, fraction: Decimal) -> int:
    return int((Decimal(amount) * fraction).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _name(account: Account, price: Obj) -> str:
    product = account.find(price["product"])
    return str(product["name"]) if product else str(price["product"])


def _proration_item(
    account: Account,
    now: int,
    sub: Obj,
    item: Obj,
    price: Obj,
    amount: int,
    quantity: int,
    description: str,
) -> Obj:
    customer = account.get(sub["customer"], "customer", "customer")
    _, end = current_period(sub)
    ii = invoice_shapes.invoice_item(account.new_id("ii"), now, customer)
    ii.update(
        amount=amount,
        net_amount=amount,
        currency=sub["currency"],
        description=description,
        period={"end": end, "start": now},
        proration=True,
        quantity=quantity,
        quantity_decimal=str(quantity),
        pricing=invoice_shapes.pricing(price, str(price["unit_amount_decimal"])),
        parent={
            "subscription_details": {"subscription": sub["id"], "subscription_item": item["id"]},
            "type": "subscription_details",
        },
        tax_rates=list(item["tax_rates"]),
    )
    account.insert(ii)
    account.emit("invoiceitem.created", ii, now=now)
    return ii


def _invoice_prorations(account: Account, now: int, sub: Obj) -> None:
    customer = account.get(sub["customer"], "customer", "customer")
    invoice = invoices.new_draft(
        account,
        now,
        customer,
        currency=sub["currency"],
        reason="subscription_update",
        subscription=sub,
    )
    for pending in invoices.pending_items(account, sub["customer"], sub["id"]):
        invoices.add_item_line(account, invoice, pending)
    account.update(sub, {"latest_invoice": invoice["id"]})
    invoices.announce(account, now, invoice)
    invoices.finalize(account, now, invoice)
    invoices.advance(account, now, invoice)


def cancel(
    account: Account, now: int, sub: Obj, *, prorate: bool, invoice_now: bool, **details: Any
) -> Obj:
    """Cancel now; `prorate` credits the unused part of the period (a pending invoice item),
    `invoice_now` bills what is pending on a final invoice at once."""
    if prorate and sub["status"] not in ("trialing", "incomplete"):
        for item in sub["items"]["data"]:
            _prorate(account, now, sub, item, item["price"], 0, "create_prorations")
    renewals.cancel(account, now, sub, **details)
    if invoice_now and invoices.pending_items(account, sub["customer"], sub["id"]):
        _invoice_prorations(account, now, sub)
    return sub
