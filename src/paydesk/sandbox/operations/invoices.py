"""Invoices: drafts with lines, finalisation, payment through a PaymentIntent, void,
uncollectible, send; `invoice.*` events in Stripe's order.

Subscriptions react to payments through `PAID` and `FAILED` (hooks they register), so this
module knows nothing of them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from paydesk.sandbox import timers
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import CardError, InvalidRequest
from paydesk.sandbox.objects import check_transition
from paydesk.sandbox.objects import invoice as shapes
from paydesk.sandbox.operations.invoice_math import recompute, tax_slots
from paydesk.sandbox.operations.payment_intents import confirm_intent, create_intent, moved
from paydesk.sandbox.payment_hooks import PAYMENT_HOOKS

FINALIZE_AFTER = 3600  # Stripe finalises an auto_advance draft an hour after creating it
InvoiceHook = Callable[[Account, int, Obj], None]
PAID: list[InvoiceHook] = []
FAILED: list[InvoiceHook] = []
PROCESSING: list[InvoiceHook] = []  # a bank debit is on its way: the invoice stays open

# pi id -> invoice id, per account; rebuilt from invoice_payment objects after a restart.
_BY_INTENT: weakref.WeakKeyDictionary[Account, dict[str, str]] = weakref.WeakKeyDictionary()


def remember_base(account: Account, url: str) -> None:
    """Hosted invoice URLs are made by timers too, which have no request to ask."""
    account.base_url = url


def base_url(account: Account) -> str:
    return account.base_url or account.store.base_url


def _intent_index(account: Account) -> dict[str, str]:
    index = _BY_INTENT.get(account)
    if index is None:
        index = _BY_INTENT[account] = {
            p["payment"]["payment_intent"]: p["invoice"] for p in account.newest("invoice_payment")
        }
    return index


def _transition(invoice: Obj, status: str) -> None:
    check_transition(shapes.TRANSITIONS, "invoice", invoice["status"], status)


# -- drafts ------------------------------------------------------------------------------------


def new_draft(
    account: Account,
    now: int,
    customer: Obj,
    *,
    currency: str,
    reason: str = "manual",
    subscription: Obj | None = None,
    settings: dict[str, Any] | None = None,
    keep: bool = True,
) -> Obj:
    """An empty draft (not announced: add lines, then `announce`); `keep=False` for a preview
    that is never stored."""
    invoice = shapes.invoice(account.new_id("in"), now, customer)
    invoice.update(currency=currency, billing_reason=reason)
    if subscription is not None:
        invoice.update(
            subscription=subscription["id"],
            parent=shapes.subscription_parent(subscription),
            collection_method=subscription["collection_method"],
            default_payment_method=subscription["default_payment_method"],
            default_tax_rates=list(subscription["default_tax_rates"]),
            payment_settings={
                "default_mandate": None,
                "payment_method_options": None,
                "payment_method_types": subscription["payment_settings"]["payment_method_types"],
            },
        )
        if subscription["collection_method"] == "send_invoice":
            invoice["due_date"] = now + 86400 * int(subscription["days_until_due"] or 30)
    invoice.update(settings or {})
    return account.insert(invoice) if keep else invoice


def add_line(
    account: Account,
    invoice: Obj,
    *,
    amount: int,
    description: str | None,
    period: dict[str, int],
    quantity: int,
    price: Obj | None,
    parent: Obj,
    tax_rates: list[str],
    subscription: str | None = None,
    discountable: bool = True,
) -> Obj:
    line = shapes.line(
        account.new_id("il"),
        invoice["id"],
        amount=amount,
        currency=invoice["currency"],
        description=description,
        period=period,
        quantity=quantity,
        price=price,
        parent=parent,
        subscription=subscription,
        metadata={},
    )
    line["discountable"] = discountable
    line["taxes"] = tax_slots(tax_rates or invoice["default_tax_rates"])
    invoice["lines"]["data"].append(line)
    return line


def add_item_line(account: Account, invoice: Obj, item: Obj) -> Obj:
    """An invoice item becomes a line of `invoice` (and belongs to it from now on)."""
    price_id = ((item.get("pricing") or {}).get("price_details") or {}).get("price")
    line = add_line(
        account,
        invoice,
        amount=item["amount"],
        description=item["description"],
        period=item["period"],
        quantity=item["quantity"],
        price=account.find(price_id) if price_id else None,
        parent={
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": item["proration"],
                "proration_details": item["proration_details"],
                "subscription": (item.get("parent") or {})
                .get("subscription_details", {})
                .get("subscription"),
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        tax_rates=list(item["tax_rates"]),
        subscription=invoice.get("subscription"),
        discountable=item["discountable"],
    )
    account.update(item, {"invoice": invoice["id"]})
    return line


def pending_items(account: Account, customer_id: str, subscription_id: str | None) -> list[Obj]:
    def keep(item: Obj) -> bool:
        if item["customer"] != customer_id or item["invoice"] is not None:
            return False
        owner = ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        return subscription_id is None or owner in (None, subscription_id)

    return list(reversed(list(account.newest("invoiceitem", keep))))


def refresh(account: Account, invoice: Obj) -> None:
    """Recompute the money after lines or discounts changed."""
    invoice.update(recompute(account, invoice))
    invoice["lines"]["total_count"] = len(invoice["lines"]["data"])
    account.save(invoice)


def announce(account: Account, now: int, invoice: Obj) -> Obj:
    """The draft is complete: `invoice.created`, and finalisation an hour later if it
    advances automatically."""
    refresh(account, invoice)
    if invoice["auto_advance"] and invoice["status"] == "draft":
        due = now + FINALIZE_AFTER
        account.update(invoice, {"automatically_finalizes_at": due})
        timers.schedule(account, "invoice.finalize", invoice["id"], due, invoice["test_clock"])
    account.emit("invoice.created", invoice, now=now)
    return invoice


@timers.on_timer("invoice.finalize")
def _finalize_due(account: Account, invoice_id: str, now: int) -> None:
    invoice = account.find(invoice_id)
    if invoice is None or invoice.get("status") != "draft" or not invoice.get("auto_advance"):
        return
    finalize(account, now, invoice)
    advance(account, now, invoice)


# -- finalising and paying ---------------------------------------------------------------------


def _number(account: Account, invoice: Obj) -> str:
    customer = account.get(invoice["customer"], "customer", "customer")
    sequence = int(customer.get("next_invoice_sequence") or 1)
    account.update(customer, {"next_invoice_sequence": sequence + 1})
    return f"{customer['invoice_prefix']}-{sequence:04d}"


def finalize(account: Account, now: int, invoice: Obj) -> Obj:
    """draft -> open: number, hosted page, PDF, PaymentIntent; `invoice.finalized`."""
    if invoice["status"] != "draft":
        raise InvalidRequest(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            code="invoice_not_editable",
        )
    _transition(invoice, "open")
    refresh(account, invoice)
    timers.cancel(account, "invoice.finalize", invoice["id"])
    base = base_url(account)
    changes: dict[str, Any] = {
        "status": "open",
        "number": _number(account, invoice),
        "effective_at": now,
        "automatically_finalizes_at": None,
        "hosted_invoice_url": f"{base}/invoice/{invoice['id']}",
        "invoice_pdf": f"{base}/invoice/{invoice['id']}/pdf",
        "status_transitions": {**invoice["status_transitions"], "finalized_at": now},
        "ending_balance": 0,
    }
    if invoice["collection_method"] == "send_invoice" and invoice["due_date"] is None:
        changes["due_date"] = now + 30 * 86400
    account.update(invoice, changes)
    if invoice["amount_due"] > 0:
        _open_intent(account, now, invoice)
    account.emit("invoice.finalized", invoice, now=now)
    if invoice["amount_due"] == 0:
        mark_paid(account, now, invoice, paid_by_intent=False)
    elif invoice["collection_method"] == "send_invoice" and invoice["due_date"]:
        timers.schedule(
            account, "invoice.overdue", invoice["id"], invoice["due_date"], invoice["test_clock"]
        )
    return invoice


def _open_intent(account: Account, now: int, invoice: Obj) -> Obj:
    types = invoice["payment_settings"]["payment_method_types"] or _default_types(account, invoice)
    pi = create_intent(
        account,
        now,
        invoice["amount_due"],
        invoice["currency"],
        {
            "customer": invoice["customer"],
            "payment_method_types": list(types),
            "description": _intent_description(invoice),
        },
    )
    payment: Obj = {
        "id": account.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice["amount_due"],
        "created": now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": pi["id"], "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    account.insert(payment)
    _intent_index(account)[pi["id"]] = invoice["id"]
    return pi


def _default_types(account: Account, invoice: Obj) -> list[str]:
    """Cards, and the kind of the method the invoice will be charged to (a SEPA mandate)."""
    pm_id = payment_method_for(account, invoice)
    pm = account.find(pm_id) if pm_id else None
    kind = (pm or {}).get("type", "card")
    return ["card"] if kind == "card" else ["card", str(kind)]


def _intent_description(invoice: Obj) -> str:
    return {
        "subscription_create": "Subscription creation",
        "subscription_cycle": "Subscription update",
        "subscription_update": "Subscription update",
    }.get(invoice["billing_reason"], f"Invoice {invoice['number']}")


def intent_of(account: Account, invoice: Obj) -> Obj | None:
    found = next(account.newest("invoice_payment", lambda p: p["invoice"] == invoice["id"]), None)
    if found is None:
        return None
    return account.find(found["payment"]["payment_intent"])


def payment_method_for(account: Account, invoice: Obj) -> str | None:
    """The invoice's, else its subscription's, else the customer's default payment method."""
    if invoice.get("default_payment_method"):
        return str(invoice["default_payment_method"])
    sub = account.find(invoice["subscription"]) if invoice.get("subscription") else None
    if sub is not None and sub.get("default_payment_method"):
        return str(sub["default_payment_method"])
    customer = account.get(invoice["customer"], "customer", "customer")
    settings = customer.get("invoice_settings") or {}
    return settings.get("default_payment_method") or customer.get("default_source")


def advance(account: Account, now: int, invoice: Obj) -> None:
    """What an open invoice does next on its own: charge the default payment method, or be
    sent to the customer."""
    if invoice["status"] != "open":
        return
    if invoice["collection_method"] == "send_invoice":
        send(account, now, invoice)
        return
    attempt(account, now, invoice)


def attempt(account: Account, now: int, invoice: Obj, pm_id: str | None = None) -> bool:
    """One automatic (off-session) payment attempt; True when the invoice got paid."""
    pi = intent_of(account, invoice)
    pm_id = pm_id or payment_method_for(account, invoice)
    if pi is None or invoice["status"] != "open":
        return bool(invoice["status"] == "paid")
    if pm_id is None:
        _failed(account, now, invoice, pi)
        return False
    try:
        confirm_intent(account, pi, pm_id, base_url(account), off_session=True, now=now)
    except CardError:
        return False  # the PaymentIntent hook recorded the failure
    except InvalidRequest:
        _failed(account, now, invoice, pi)
        return False
    return bool(invoice["status"] == "paid")


def pay(
    account: Account,
    now: int,
    invoice: Obj,
    *,
    pm_id: str | None = None,
    out_of_band: bool = False,
    off_session: bool = True,
) -> Obj:
    """`POST /v1/invoices/{id}/pay`: finalise a draft, then charge (or record an outside
    payment). A decline answers 402 like Stripe, after the failure is recorded."""
    if invoice["status"] == "draft":
        finalize(account, now, invoice)
    if invoice["status"] == "paid":
        raise InvalidRequest(
            "Invoice is already paid", code="invoice_payment_intent_requires_action"
        )
    if invoice["status"] not in ("open", "uncollectible"):
        raise InvalidRequest(
            f"You can only pay an invoice that is open or uncollectible; this one is "
            f"{invoice['status']}.",
            code="invoice_not_editable",
        )
    if out_of_band:
        pi = intent_of(account, invoice)
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            account.update(pi, {"status": moved(pi, "canceled"), "canceled_at": now})
        mark_paid(account, now, invoice, paid_by_intent=False)
        return invoice
    pi = intent_of(account, invoice)
    pm = pm_id or payment_method_for(account, invoice)
    if pi is None or pm is None:
        raise InvalidRequest(
            "This invoice cannot be paid: the customer has no default payment method. Pass "
            "`payment_method`, or set the customer's invoice_settings[default_payment_method].",
            param="payment_method",
        )
    confirm_intent(account, pi, pm, base_url(account), off_session=off_session, now=now)
    return invoice


def mark_paid(account: Account, now: int, invoice: Obj, *, paid_by_intent: bool) -> None:
    _transition(invoice, "paid")
    timers.cancel(account, "invoice.overdue", invoice["id"])
    timers.cancel(account, "invoice.retry", invoice["id"])
    previous = account.update(
        invoice,
        {
            "status": "paid",
            "amount_paid": invoice["amount_due"],
            "amount_remaining": 0,
            "attempted": invoice["attempted"] or paid_by_intent,
            "attempt_count": invoice["attempt_count"] + (1 if paid_by_intent else 0),
            "next_payment_attempt": None,
            "status_transitions": {**invoice["status_transitions"], "paid_at": now},
        },
    )
    for payment in account.newest("invoice_payment", lambda p: p["invoice"] == invoice["id"]):
        if paid_by_intent:
            account.update(
                payment,
                {
                    "status": "paid",
                    "amount_paid": invoice["amount_due"],
                    "status_transitions": {"canceled_at": None, "paid_at": now},
                },
            )
        break
    del previous
    account.emit("invoice.paid", invoice, now=now)
    if paid_by_intent:
        account.emit("invoice.payment_succeeded", invoice, now=now)
    for hook in PAID:
        hook(account, now, invoice)


def _failed(account: Account, now: int, invoice: Obj, pi: Obj) -> None:
    account.update(invoice, {"attempted": True, "attempt_count": invoice["attempt_count"] + 1})
    account.emit("invoice.payment_failed", invoice, now=now)
    if pi.get("status") == "requires_action":
        account.emit("invoice.payment_action_required", invoice, now=now)
    for hook in FAILED:
        hook(account, now, invoice)


def _on_intent(account: Account, pi: Obj, now: int) -> None:
    """Every PaymentIntent outcome passes here; an invoice's settles the invoice."""
    invoice_id = _intent_index(account).get(pi["id"])
    invoice = account.find(invoice_id) if invoice_id else None
    if invoice is None or invoice.get("status") not in ("open", "uncollectible"):
        return
    if pi["status"] == "succeeded":
        mark_paid(account, now, invoice, paid_by_intent=True)
    elif pi["status"] == "processing":
        account.update(invoice, {"attempted": True, "next_payment_attempt": None})
        for hook in PROCESSING:
            hook(account, now, invoice)
    elif pi["status"] in ("requires_payment_method", "requires_action"):
        _failed(account, now, invoice, pi)


PAYMENT_HOOKS.append(_on_intent)


# -- other transitions -------------------------------------------------------------------------


def void(account: Account, now: int, invoice: Obj) -> Obj:
    if invoice["status"] not in ("open", "uncollectible"):
        raise InvalidRequest(
            f"You can only void an open or uncollectible invoice; this one is {invoice['status']}.",
            code="invoice_not_editable",
        )
    _transition(invoice, "void")
    pi = intent_of(account, invoice)
    if pi is not None and pi["status"] not in ("succeeded", "canceled", "processing"):
        account.update(pi, {"status": moved(pi, "canceled"), "canceled_at": now})
    for kind in ("invoice.overdue", "invoice.retry"):
        timers.cancel(account, kind, invoice["id"])
    account.update(
        invoice,
        {
            "status": "void",
            "amount_remaining": 0,
            "next_payment_attempt": None,
            "status_transitions": {**invoice["status_transitions"], "voided_at": now},
        },
    )
    account.emit("invoice.voided", invoice, now=now)
    return invoice


def mark_uncollectible(account: Account, now: int, invoice: Obj) -> Obj:
    if invoice["status"] != "open":
        raise InvalidRequest(
            f"You can only mark an open invoice uncollectible; this one is {invoice['status']}.",
            code="invoice_not_editable",
        )
    _transition(invoice, "uncollectible")
    timers.cancel(account, "invoice.retry", invoice["id"])
    account.update(
        invoice,
        {
            "status": "uncollectible",
            "next_payment_attempt": None,
            "status_transitions": {
                **invoice["status_transitions"],
                "marked_uncollectible_at": now,
            },
        },
    )
    account.emit("invoice.marked_uncollectible", invoice, now=now)
    return invoice


def send(account: Account, now: int, invoice: Obj) -> Obj:
    if invoice["status"] == "draft":
        finalize(account, now, invoice)
    if invoice["status"] != "open":
        raise InvalidRequest(
            f"You can only send an open invoice; this one is {invoice['status']}.",
            code="invoice_not_editable",
        )
    account.emit("invoice.sent", invoice, now=now)
    return invoice


@timers.on_timer("invoice.overdue")
def _overdue(account: Account, invoice_id: str, now: int) -> None:
    invoice = account.find(invoice_id)
    if invoice is None or invoice.get("status") != "open":
        return
    account.emit("invoice.overdue", invoice, now=now)
    for hook in FAILED:
        hook(account, now, invoice)
