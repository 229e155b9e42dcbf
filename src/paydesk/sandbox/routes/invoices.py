"""/v1/invoices and /v1/invoiceitems."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.listing import both, equals, one_page, paginate, range_filter
from paydesk.sandbox.operations import invoice_items, invoices, manual_invoices
from paydesk.sandbox.operations.payment_methods import resolve
from paydesk.sandbox.params import apply_metadata, check_known, get_bool, get_enum, get_str, req_str
from paydesk.sandbox.routes.business_time import business_time
from paydesk.sandbox.routes.search import search
from paydesk.sandbox.routing import Call, api

_CREATE = {
    "customer",
    "auto_advance",
    "collection_method",
    "days_until_due",
    "due_date",
    "description",
    "footer",
    "metadata",
    "default_tax_rates",
    "default_payment_method",
    "pending_invoice_items_behavior",
    "currency",
    "subscription",
    "automatic_tax",
    "payment_settings",
}
STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def _invoice(call: Call) -> Obj:
    return call.account.get(call.args[0], "invoice")


@api.route("POST", "/v1/invoices")
def create_invoice(call: Call) -> Obj:
    check_known(call.params, _CREATE)
    account = call.account
    invoices.remember_base(account, call.base_url)
    customer = account.get(req_str(call.params, "customer"), "customer", "customer")
    now = business_time(call, customer)
    return manual_invoices.create(account, now, customer, call.params)


@api.route("GET", "/v1/invoices/search")
def search_invoices(call: Call) -> Obj:
    return search(call, "invoice", "/v1/invoices/search")


def _preview(call: Call) -> Obj:
    p = call.params
    account = call.account
    sub_id = get_str(p, "subscription")
    sub = account.get(sub_id, "subscription", "subscription") if sub_id else None
    customer_id = get_str(p, "customer") or (sub["customer"] if sub else None)
    if not customer_id:
        raise InvalidRequest(
            "Missing required param: customer (or subscription).",
            param="customer",
            code="parameter_missing",
        )
    customer = account.get(customer_id, "customer", "customer")
    now = business_time(call, customer)
    return manual_invoices.preview(account, now, customer, sub)


@api.route("POST", "/v1/invoices/create_preview")
def create_preview(call: Call) -> Obj:
    return _preview(call)


@api.route("GET", "/v1/invoices/upcoming")
def upcoming(call: Call) -> Obj:
    return _preview(call)


@api.route("GET", "/v1/invoices/{id}")
def retrieve_invoice(call: Call) -> Obj:
    return _invoice(call)


@api.route("GET", "/v1/invoices/{id}/lines")
def invoice_lines(call: Call) -> Obj:
    invoice = _invoice(call)
    return one_page(invoice["lines"]["data"], f"/v1/invoices/{invoice['id']}/lines")


@api.route("POST", "/v1/invoices/{id}")
def update_invoice(call: Call) -> Obj:
    p = call.params
    check_known(
        p,
        {
            "auto_advance",
            "description",
            "footer",
            "metadata",
            "days_until_due",
            "due_date",
            "default_payment_method",
            "collection_method",
        },
    )
    invoice = _invoice(call)
    changes: dict[str, object] = {}
    if "metadata" in p:
        changes["metadata"] = apply_metadata(invoice["metadata"], p)
    if "auto_advance" in p:
        changes["auto_advance"] = get_bool(p, "auto_advance")
    if invoice["status"] == "draft":
        for name in ("description", "footer"):
            if name in p:
                changes[name] = get_str(p, name) or None
        if "default_payment_method" in p:
            pm_id = get_str(p, "default_payment_method")
            changes["default_payment_method"] = (
                resolve(call.account, pm_id, now=call.now)["id"] if pm_id else None
            )
    elif set(p) - {"metadata", "auto_advance", "expand"}:
        raise InvalidRequest(
            "You can only update the metadata of a finalized invoice.",
            code="invoice_not_editable",
        )
    now = business_time(call, invoice)
    previous = call.account.update(invoice, changes)
    if previous:
        call.account.emit("invoice.updated", invoice, previous, now=now)
    return invoice


@api.route("DELETE", "/v1/invoices/{id}")
def delete_invoice(call: Call) -> Obj:
    invoice = _invoice(call)
    if invoice["status"] != "draft":
        raise InvalidRequest(
            "You can only delete draft invoices; void an open invoice instead.",
            code="invoice_not_editable",
        )
    now = business_time(call, invoice)
    call.account.emit("invoice.deleted", invoice, now=now)
    return call.account.delete(invoice)


@api.route("POST", "/v1/invoices/{id}/finalize")
def finalize_invoice(call: Call) -> Obj:
    check_known(call.params, {"auto_advance"})
    invoices.remember_base(call.account, call.base_url)
    invoice = _invoice(call)
    now = business_time(call, invoice)
    invoices.finalize(call.account, now, invoice)
    if "auto_advance" in call.params:
        call.account.update(invoice, {"auto_advance": get_bool(call.params, "auto_advance")})
    return invoice


@api.route("POST", "/v1/invoices/{id}/pay")
def pay_invoice(call: Call) -> Obj:
    p = call.params
    check_known(
        p, {"payment_method", "paid_out_of_band", "off_session", "forgive", "source", "mandate"}
    )
    invoices.remember_base(call.account, call.base_url)
    invoice = _invoice(call)
    pm_id = get_str(p, "payment_method") or get_str(p, "source")
    now = business_time(call, invoice)
    return invoices.pay(
        call.account,
        now,
        invoice,
        pm_id=resolve(call.account, pm_id, now=now)["id"] if pm_id else None,
        out_of_band=get_bool(p, "paid_out_of_band"),
        off_session=get_bool(p, "off_session", True),
    )


@api.route("POST", "/v1/invoices/{id}/send")
def send_invoice(call: Call) -> Obj:
    invoice = _invoice(call)
    now = business_time(call, invoice)
    return invoices.send(call.account, now, invoice)


@api.route("POST", "/v1/invoices/{id}/void")
def void_invoice(call: Call) -> Obj:
    invoice = _invoice(call)
    now = business_time(call, invoice)
    return invoices.void(call.account, now, invoice)


@api.route("POST", "/v1/invoices/{id}/mark_uncollectible")
def mark_uncollectible(call: Call) -> Obj:
    invoice = _invoice(call)
    now = business_time(call, invoice)
    return invoices.mark_uncollectible(call.account, now, invoice)


@api.route("GET", "/v1/invoices")
def list_invoices(call: Call) -> Obj:
    p = call.params
    customer = get_str(p, "customer")
    subscription = get_str(p, "subscription")
    status = get_enum(p, "status", STATUSES)
    method = get_str(p, "collection_method")
    keep = both(
        equals("customer", customer),
        equals("subscription", subscription),
        equals("status", status),
        equals("collection_method", method),
        range_filter(p, "due_date"),
    )
    return paginate(call.account, "invoice", p, "/v1/invoices", keep)


# -- invoice items -----------------------------------------------------------------------------

_ITEM_FIELDS = {
    "customer",
    "amount",
    "currency",
    "description",
    "price",
    "pricing",
    "quantity",
    "unit_amount",
    "unit_amount_decimal",
    "invoice",
    "subscription",
    "period",
    "discountable",
    "tax_rates",
    "metadata",
    "discounts",
}


@api.route("POST", "/v1/invoiceitems")
def create_invoice_item(call: Call) -> Obj:
    check_known(call.params, _ITEM_FIELDS)
    customer = call.account.get(req_str(call.params, "customer"), "customer", "customer")
    now = business_time(call, customer)
    return invoice_items.create(call.account, now, customer, call.params)


api.retrieve("/v1/invoiceitems/{id}", "invoiceitem")


@api.route("POST", "/v1/invoiceitems/{id}")
def update_invoice_item(call: Call) -> Obj:
    check_known(call.params, _ITEM_FIELDS - {"customer", "invoice", "subscription", "currency"})
    item = call.account.get(call.args[0], "invoiceitem")
    now = business_time(call, item)
    return invoice_items.update(call.account, now, item, call.params)


@api.route("DELETE", "/v1/invoiceitems/{id}")
def delete_invoice_item(call: Call) -> Obj:
    item = call.account.get(call.args[0], "invoiceitem")
    now = business_time(call, item)
    return invoice_items.delete(call.account, now, item)


@api.route("GET", "/v1/invoiceitems")
def list_invoice_items(call: Call) -> Obj:
    p = call.params
    customer = get_str(p, "customer")
    invoice = get_str(p, "invoice")
    pending = get_bool(p, "pending") if "pending" in p else None
    keep = both(
        equals("customer", customer),
        equals("invoice", invoice),
        (lambda i: (i["invoice"] is None) == pending) if pending is not None else None,
    )
    return paginate(call.account, "invoiceitem", p, "/v1/invoiceitems", keep)
