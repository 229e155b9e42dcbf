"""Subscriptions: create (first invoice and its payment), items, discounts, trials.

Renewals, dunning and the other things that happen later live in `operations/renewals.py`.
"""

from __future__ import annotations

import weakref
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paydesk.sandbox import timers
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import CardError, InvalidRequest, StripeError, missing_param
from paydesk.sandbox.objects import catalog, check_transition
from paydesk.sandbox.objects import subscription as shapes
from paydesk.sandbox.operations import catalog as coupons
from paydesk.sandbox.operations import invoices
from paydesk.sandbox.operations.payment_intents import confirm_intent
from paydesk.sandbox.operations.periods import DAY, add_interval, period_end
from paydesk.sandbox.operations.prices import inline_price
from paydesk.sandbox.operations.subscription_setup import open_pending
from paydesk.sandbox.params import (
    apply_metadata,
    get_dict,
    get_enum,
    get_int,
    get_list,
    get_str,
)

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
COLLECTION_METHODS = ("charge_automatically", "send_invoice")
INCOMPLETE_EXPIRES_AFTER = 23 * 3600
TRIAL_WILL_END_BEFORE = 3 * DAY
LIVE = ("incomplete", "trialing", "active", "past_due", "unpaid", "paused")

# test clock id -> ids of the subscriptions on it, per account: advancing a clock checks its
# subscriptions' intervals, and scanning every subscription of a big account per advance made a
# year of 1,000 subscriptions quadratic. Rebuilt from the store after a restart.
_BY_CLOCK: weakref.WeakKeyDictionary[Account, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _clock_index(account: Account) -> dict[str, list[str]]:
    index = _BY_CLOCK.get(account)
    if index is None:
        index = _BY_CLOCK[account] = {}
        for sub in reversed(list(account.newest("subscription"))):
            if sub.get("test_clock"):
                index.setdefault(sub["test_clock"], []).append(sub["id"])
    return index


def on_clock(account: Account, clock_id: str) -> list[Obj]:
    """The live subscriptions of test clock `clock_id`."""
    found = (account.find(sub_id) for sub_id in _clock_index(account).get(clock_id, []))
    return [s for s in found if s is not None and s.get("status") in LIVE]


def set_status(account: Account, now: int, sub: Obj, status: str, extra: dict[str, Any]) -> None:
    """Change status (checked against Stripe's machine) and announce the update."""
    if status != sub["status"]:
        check_transition(shapes.TRANSITIONS, "subscription", sub["status"], status)
    previous = account.update(sub, {"status": status, **extra})
    if previous and sub["id"] not in _CREATING:
        account.emit("customer.subscription.updated", sub, previous, now=now)


def interval_of(sub: Obj) -> tuple[str, int]:
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    return recurring["interval"], int(recurring["interval_count"])


def next_period_end(sub: Obj, start: int) -> int:
    interval, count = interval_of(sub)
    return period_end(sub["billing_cycle_anchor"], start, interval, count)


def sync_items(account: Account, sub: Obj) -> None:
    """The subscription embeds its items; keep the copy in step with the item objects."""
    ids = [item["id"] for item in sub["items"]["data"]]
    live = [account.find(i) for i in ids]
    sub["items"]["data"] = [i for i in live if i is not None and not i.get("deleted")]
    sub["items"]["total_count"] = len(sub["items"]["data"])
    account.save(sub)


def set_period(account: Account, sub: Obj, start: int, end: int) -> None:
    for item in sub["items"]["data"]:
        account.update(item, {"current_period_start": start, "current_period_end": end})
    sync_items(account, sub)


def current_period(sub: Obj) -> tuple[int, int]:
    first = sub["items"]["data"][0]
    return int(first["current_period_start"]), int(first["current_period_end"])


# -- parameters --------------------------------------------------------------------------------


def parse_items(
    account: Account, p: dict[str, Any], now: int
) -> list[tuple[Obj, int, list[str], Obj]]:
    """(price, quantity, tax rate ids, metadata) per `items[]` entry."""
    entries = get_list(p, "items")
    if not entries:
        raise missing_param("items")
    parsed = []
    for index, entry in enumerate(entries):
        param = f"items[{index}]"
        if not isinstance(entry, dict):
            raise InvalidRequest(f"Invalid {param}: must be a hash", param=param)
        price = item_price(account, entry, param, now)
        quantity = get_int(entry, "quantity", minimum=0)
        rates = [str(r) for r in get_list(entry, "tax_rates") or []]
        for rate in rates:
            account.get(rate, "tax_rate", f"{param}[tax_rates]")
        parsed.append(
            (price, 1 if quantity is None else quantity, rates, apply_metadata({}, entry))
        )
    currencies = {price["currency"] for price, _, _, _ in parsed}
    if len(currencies) > 1:
        raise InvalidRequest(
            "All prices on a subscription must have the same currency.", param="items"
        )
    return parsed


def item_price(account: Account, entry: dict[str, Any], param: str, now: int) -> Obj:
    price_id = get_str(entry, "price") or get_str(entry, "plan")
    data = get_dict(entry, "price_data")
    if price_id:
        price = account.get(price_id, "price", f"{param}[price]")
    elif data is not None:
        price = inline_price(account, now, data, f"{param}[price_data]")
    else:
        raise missing_param(f"{param}[price]")
    if price.get("type") != "recurring":
        raise InvalidRequest(
            "The price specified is set to `type=one_time` but this field only accepts prices "
            "with `type=recurring`.",
            param=f"{param}[price]",
        )
    return price


def parse_discounts(
    account: Account, now: int, p: dict[str, Any]
) -> tuple[list[Obj], list[str | None]]:
    """Coupons from `discounts[]` (coupon or promotion_code), or the legacy `coupon` /
    `promotion_code` parameters."""
    found: list[tuple[Obj, str | None]] = []
    for index, entry in enumerate(get_list(p, "discounts") or []):
        if not isinstance(entry, dict):
            continue
        param = f"discounts[{index}]"
        if get_str(entry, "coupon"):
            coupon = account.get(entry["coupon"], "coupon", f"{param}[coupon]")
            found.append((coupons.redeemable(coupon, now, f"{param}[coupon]"), None))
        elif get_str(entry, "promotion_code"):
            code = entry["promotion_code"]
            found.append(
                (coupons.promotion_coupon(account, now, code, f"{param}[promotion_code]"), code)
            )
    if get_str(p, "coupon"):
        coupon = account.get(p["coupon"], "coupon", "coupon")
        found.append((coupons.redeemable(coupon, now, "coupon"), None))
    if get_str(p, "promotion_code"):
        code = p["promotion_code"]
        found.append((coupons.promotion_coupon(account, now, code, "promotion_code"), code))
    return [c for c, _ in found], [code for _, code in found]


def apply_discounts(
    account: Account, now: int, sub: Obj, coupon_objs: list[Obj], codes: list[str | None]
) -> None:
    ids: list[str] = []
    for coupon, code in zip(coupon_objs, codes, strict=True):
        end = None
        if coupon["duration"] == "repeating":
            end = add_interval(now, "month", int(coupon["duration_in_months"]))
        discount = catalog.discount(account.new_id("di"), coupon, now, end)
        discount.update(customer=sub["customer"], subscription=sub["id"], promotion_code=code)
        account.insert(discount)
        coupons.redeem(account, coupon)
        if code:
            promo = account.get(code, "promotion_code", "promotion_code")
            account.update(promo, {"times_redeemed": promo["times_redeemed"] + 1})
        ids.append(discount["id"])
    account.update(sub, {"discounts": sub["discounts"] + ids})


def trial_end_of(p: dict[str, Any], now: int, price: Obj) -> int | None:
    raw = p.get("trial_end")
    if raw == "now":
        return None
    if raw not in (None, ""):
        end = get_int(p, "trial_end")
        assert end is not None
        if end <= now:
            raise InvalidRequest(
                "Invalid timestamp: must be an integer Unix timestamp in the future.",
                param="trial_end",
            )
        return end
    days = get_int(p, "trial_period_days", minimum=0)
    if days is None and p.get("trial_from_plan") in ("true", True):
        days = (price.get("recurring") or {}).get("trial_period_days")
    return now + days * DAY if days else None


# -- create ------------------------------------------------------------------------------------


def _check_codes(
    account: Account, customer: Obj, items: list[tuple[Obj, int, list[str], Obj]],
    codes: list[str | None],
) -> None:
    """Promotion codes' restrictions (first-time customer, minimum amount) on the first invoice."""
    amount = sum(int(price.get("unit_amount") or 0) * qty for price, qty, _r, _m in items)
    currency = items[0][0]["currency"]
    for code in codes:
        if code:
            coupons.check_restrictions(account, code, customer["id"], amount, currency)


def _first_share(p: dict[str, Any], now: int, anchor: int | None, full_end: int) -> Decimal:
    """Up to a future anchor the first period is short: prorated, or free with
    proration_behavior=none."""
    if anchor is None:
        return Decimal(1)
    prorate = get_enum(p, "proration_behavior", ("create_prorations", "none"))
    return Decimal(0) if prorate == "none" else Decimal(anchor - now) / (full_end - now)


def create(account: Account, now: int, customer: Obj, p: dict[str, Any]) -> Obj:
    items = parse_items(account, p, now)
    coupon_objs, codes = parse_discounts(account, now, p)
    _check_codes(account, customer, items, codes)
    behavior = get_enum(p, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    collection = get_enum(p, "collection_method", COLLECTION_METHODS, "charge_automatically")
    days_until_due = get_int(p, "days_until_due", minimum=0)
    if collection == "send_invoice" and days_until_due is None:
        raise InvalidRequest(
            "Missing required param: days_until_due (needed with collection_method=send_invoice).",
            param="days_until_due",
            code="parameter_missing",
        )
    trial_end = trial_end_of(p, now, items[0][0])
    recurring = items[0][0]["recurring"]
    full_end = period_end(now, now, recurring["interval"], int(recurring["interval_count"]))
    anchor = None if trial_end else _anchor(p, now, full_end)
    sub = shapes.subscription(account.new_id("sub"), now, customer, items[0][0]["currency"])
    sub.update(settings_from(account, p, sub))
    sub.update(
        collection_method=collection,
        days_until_due=days_until_due if collection == "send_invoice" else None,
        billing_cycle_anchor=trial_end or anchor or now,
        trial_start=now if trial_end else None,
        trial_end=trial_end,
        status="trialing" if trial_end else "incomplete",
    )
    end = trial_end or anchor or full_end
    for price, quantity, rates, metadata in items:
        item = shapes.item(account.new_id("si"), now, sub["id"], price, quantity, (now, end))
        item.update(tax_rates=rates, metadata=metadata)
        account.insert(item)
        sub["items"]["data"].append(item)
    sub["items"]["total_count"] = len(items)
    account.insert(sub)
    if sub["test_clock"]:
        _clock_index(account).setdefault(sub["test_clock"], []).append(sub["id"])
    apply_discounts(account, now, sub, coupon_objs, codes)
    # As on Stripe, `customer.subscription.created` shows the subscription as its first payment
    # left it (`active` when paid at once, with no `updated` from `incomplete` before it).
    share = _first_share(p, now, anchor, full_end)
    _CREATING.add(sub["id"])
    try:
        invoice = first_invoice(account, now, sub, "subscription_create", share)
        _settle_or_withdraw(account, now, sub, invoice, behavior or "allow_incomplete")
        open_pending(account, now, sub, invoice)
    finally:
        _CREATING.discard(sub["id"])
    account.emit("customer.subscription.created", sub, now=now)
    if trial_end:
        schedule_trial(account, sub)
    return sub


# Subscriptions being created: their changes are part of `created`, not `updated`s.
_CREATING: set[str] = set()


def creating(sub: Obj) -> bool:
    return sub["id"] in _CREATING


def _settle_or_withdraw(account: Account, now: int, sub: Obj, invoice: Obj, behavior: str) -> None:
    """With `error_if_incomplete` a first payment that fails answers 402 and leaves no
    subscription behind (Stripe does not create it); its invoice is voided."""
    try:
        settle_first(account, now, sub, invoice, behavior)
    except StripeError:
        if behavior != "error_if_incomplete":
            raise
        timers.cancel(account, "subscription.expire_incomplete", sub["id"])
        if invoice["status"] == "open":
            invoices.void(account, now, invoice)
        for item in sub["items"]["data"]:
            account.delete(item)
        if sub["test_clock"]:
            _clock_index(account)[sub["test_clock"]].remove(sub["id"])
        account.delete(sub)
        raise


def settings_from(account: Account, p: dict[str, Any], sub: Obj) -> dict[str, Any]:
    """Fields create and update both set from their parameters."""
    changes: dict[str, Any] = {}
    if "default_payment_method" in p:
        pm_id = get_str(p, "default_payment_method") or None
        if pm_id:
            account.get(pm_id, "payment_method", "default_payment_method")
        changes["default_payment_method"] = pm_id
    if "default_tax_rates" in p:
        rates = [str(r) for r in get_list(p, "default_tax_rates") or []]
        for rate in rates:
            account.get(rate, "tax_rate", "default_tax_rates")
        changes["default_tax_rates"] = rates
    if "metadata" in p:
        changes["metadata"] = apply_metadata(sub["metadata"], p)
    if "description" in p:
        changes["description"] = get_str(p, "description") or None
    settings = get_dict(p, "payment_settings")
    if settings is not None:
        types = get_list(settings, "payment_method_types")
        save = get_enum(
            settings,
            "save_default_payment_method",
            ("off", "on_subscription"),
            sub["payment_settings"]["save_default_payment_method"],
        )
        changes["payment_settings"] = {
            **sub["payment_settings"],
            "payment_method_types": [str(t) for t in types] if types else None,
            "save_default_payment_method": save,
        }
    trial = get_dict(p, "trial_settings")
    if trial is not None:
        behaviour = (get_dict(trial, "end_behavior") or {}).get("missing_payment_method")
        if behaviour not in ("cancel", "create_invoice", "pause"):
            raise InvalidRequest(
                "Invalid trial_settings[end_behavior][missing_payment_method]: must be one of "
                "cancel, create_invoice, pause",
                param="trial_settings[end_behavior][missing_payment_method]",
            )
        changes["trial_settings"] = {"end_behavior": {"missing_payment_method": behaviour}}
    return changes


def _anchor(p: dict[str, Any], now: int, full_end: int) -> int | None:
    """`billing_cycle_anchor`: a moment after now and no later than one period on."""
    anchor = get_int(p, "billing_cycle_anchor")
    if anchor is None or anchor == now:
        return None
    if not now < anchor <= full_end:
        raise InvalidRequest(
            "billing_cycle_anchor cannot be later than next natural billing date "
            f"({full_end}) for plan, nor earlier than the current time.",
            param="billing_cycle_anchor",
        )
    return anchor


def first_invoice(
    account: Account, now: int, sub: Obj, reason: str, share: Decimal = Decimal(1)
) -> Obj:
    """The invoice for the period that starts now, finalised at once as Stripe does for a
    subscription's first invoice."""
    invoice = build_invoice(account, now, sub, reason, share)
    invoices.announce(account, now, invoice)
    invoices.finalize(account, now, invoice)
    return invoice


def build_invoice(
    account: Account, now: int, sub: Obj, reason: str, share: Decimal = Decimal(1)
) -> Obj:
    """A draft for the subscription's current period: its items (`share` of their price for
    a short first period), its pending invoice items, its live discounts, at trial prices
    (zero) while trialing."""
    customer = account.get(sub["customer"], "customer", "customer")
    start, end = current_period(sub)
    invoice = invoices.new_draft(
        account, now, customer, currency=sub["currency"], reason=reason, subscription=sub
    )
    invoice.update(period_start=start, period_end=end, discounts=live_discounts(account, sub, now))
    trialing = sub["status"] == "trialing" and sub["trial_end"] and sub["trial_end"] > now
    for item in sub["items"]["data"]:
        price = item["price"]
        amount = 0 if trialing else int(price["unit_amount"] or 0) * int(item["quantity"])
        if share != 1:
            amount = int((amount * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        name = product_name(account, price)
        label = f"Trial period for {name}" if trialing else f"{item['quantity']} × {name}"
        invoices.add_line(
            account,
            invoice,
            amount=amount,
            description=label,
            period={"end": end, "start": start},
            quantity=int(item["quantity"]),
            price=price,
            parent=_item_parent(sub, item),
            tax_rates=list(item["tax_rates"]) or list(sub["default_tax_rates"]),
            subscription=sub["id"],
        )
    for pending in invoices.pending_items(account, sub["customer"], sub["id"]):
        invoices.add_item_line(account, invoice, pending)
    account.update(sub, {"latest_invoice": invoice["id"]})
    consume_once_discounts(account, sub, invoice)
    return invoice


def _item_parent(sub: Obj, item: Obj) -> Obj:
    return {
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": sub["id"],
            "subscription_item": item["id"],
        },
        "type": "subscription_item_details",
    }


def product_name(account: Account, price: Obj) -> str:
    product = account.find(price["product"])
    return str(product["name"]) if product else str(price["product"])


def live_discounts(account: Account, sub: Obj, now: int) -> list[str]:
    kept = []
    for discount_id in sub["discounts"]:
        discount = account.find(discount_id)
        if discount is not None and (discount["end"] is None or discount["end"] > now):
            kept.append(discount_id)
    return kept


def consume_once_discounts(account: Account, sub: Obj, invoice: Obj) -> None:
    """A `once` coupon applies to one invoice with money on it; `repeating` ones lapse at
    their end."""
    if invoice["lines"]["data"] and all(line["amount"] == 0 for line in invoice["lines"]["data"]):
        return
    keep = []
    for discount_id in sub["discounts"]:
        discount = account.find(discount_id)
        coupon = account.find(discount["source"]["coupon"]) if discount else None
        if coupon is not None and coupon.get("duration") == "once":
            continue
        if (
            discount is not None
            and discount["end"] is not None
            and discount["end"] <= invoice["created"]
        ):
            continue
        keep.append(discount_id)
    account.update(sub, {"discounts": keep})


def settle_first(account: Account, now: int, sub: Obj, invoice: Obj, behavior: str) -> None:
    """Pay the first invoice as `payment_behavior` says; the subscription's status follows."""
    if invoice["status"] == "paid":
        if sub["status"] != "trialing":
            activate(account, now, sub)
        return
    if sub["collection_method"] == "send_invoice":
        activate(account, now, sub)
        invoices.send(account, now, invoice)
        return
    timers.schedule(
        account,
        "subscription.expire_incomplete",
        sub["id"],
        now + INCOMPLETE_EXPIRES_AFTER,
        sub["test_clock"],
    )
    if behavior == "default_incomplete":
        return
    pm_id = invoices.payment_method_for(account, invoice)
    if pm_id is None:
        if behavior == "error_if_incomplete":
            raise InvalidRequest(
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method.",
                param="default_payment_method",
            )
        return
    pi = invoices.intent_of(account, invoice)
    assert pi is not None
    try:
        confirm_intent(account, pi, pm_id, invoices.base_url(account), off_session=False, now=now)
    except CardError:
        if behavior == "error_if_incomplete":
            raise


def activate(account: Account, now: int, sub: Obj) -> None:
    """The subscription's invoice is settled: it is active and renews at period end."""
    timers.cancel(account, "subscription.expire_incomplete", sub["id"])
    if sub["status"] != "active":
        set_status(account, now, sub, "active", {})
    _, end = current_period(sub)
    schedule_renewal(account, sub, end)


UPCOMING_BEFORE = 7 * DAY  # Stripe's default for `invoice.upcoming` ("upcoming renewal events")


def schedule_renewal(account: Account, sub: Obj, at: int) -> None:
    """The next renewal at `at`, and `invoice.upcoming` a week before it (when that is still
    ahead: never before the subscription began)."""
    clock = sub["test_clock"]
    timers.schedule(account, "subscription.renew", sub["id"], at, clock)
    if at - UPCOMING_BEFORE > sub["created"]:
        timers.schedule(account, "subscription.upcoming", sub["id"], at - UPCOMING_BEFORE, clock)


def schedule_trial(account: Account, sub: Obj) -> None:
    trial_end = int(sub["trial_end"])
    clock = sub["test_clock"]
    schedule_renewal(account, sub, trial_end)
    warn_at = trial_end - TRIAL_WILL_END_BEFORE
    if warn_at > sub["created"]:
        timers.schedule(account, "subscription.trial_will_end", sub["id"], warn_at, clock)
