"""Customers: create (with a card or source, tax ids, a test clock), update, delete.

The create and update parameters are read here, not in the route: Checkout creates a buyer's
customer with the same parameters (`new_customer`)."""

from __future__ import annotations

from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest, missing_param
from paydesk.sandbox.listing import one_page
from paydesk.sandbox.objects.customer import customer as customer_skeleton
from paydesk.sandbox.objects.customer import tax_id as tax_id_skeleton
from paydesk.sandbox.operations import renewals
from paydesk.sandbox.operations.payment_methods import refuse_declining
from paydesk.sandbox.operations.sources import add_source, check_source
from paydesk.sandbox.params import apply_metadata, get_dict, get_str

# Stripe's tax ID types (the common ones) and the country each belongs to ("" for several).
_TAX_ID_TYPES = {
    "eu_vat": "", "gb_vat": "GB", "us_ein": "US", "ca_bn": "CA", "ca_gst_hst": "CA",
    "au_abn": "AU", "au_arn": "AU", "nz_gst": "NZ", "ch_vat": "CH", "no_vat": "NO",
    "in_gst": "IN", "jp_cn": "JP", "jp_rn": "JP", "sg_gst": "SG", "sg_uen": "SG",
    "br_cnpj": "BR", "br_cpf": "BR", "mx_rfc": "MX", "za_vat": "ZA", "ae_trn": "AE",
    "kr_brn": "KR", "eu_oss_vat": "", "is_vat": "IS", "li_uid": "LI", "tr_tin": "TR",
}  # fmt: skip
_ADDRESS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: value.get(k) for k in _ADDRESS}


def _apply(account: Account, p: dict[str, Any], customer: Obj) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("email", "name", "description", "phone"):
        if name in p:
            changes[name] = get_str(p, name) or None
    if "address" in p:
        changes["address"] = _address(get_dict(p, "address"))
    if "shipping" in p:
        shipping = get_dict(p, "shipping")
        changes["shipping"] = (
            {
                "address": _address(shipping.get("address") or {}),
                "name": shipping.get("name"),
                "phone": shipping.get("phone"),
            }
            if shipping
            else None
        )
    if "metadata" in p:
        changes["metadata"] = apply_metadata(customer.get("metadata") or {}, p)
    if "tax_exempt" in p:
        changes["tax_exempt"] = get_str(p, "tax_exempt")
    if "preferred_locales" in p:
        changes["preferred_locales"] = list(p["preferred_locales"] or [])
    settings = get_dict(p, "invoice_settings")
    if settings is not None:
        merged = dict(customer.get("invoice_settings") or {})
        if "default_payment_method" in settings:
            pm_id = settings["default_payment_method"] or None
            if pm_id:
                account.get(pm_id, "payment_method", "invoice_settings[default_payment_method]")
            merged["default_payment_method"] = pm_id
        if "footer" in settings:
            merged["footer"] = settings["footer"] or None
        changes["invoice_settings"] = merged
    return changes


def _tax_ids(params: dict[str, Any]) -> list[tuple[str, str]]:
    """`tax_id_data[i][type|value]`, checked before the customer is made."""
    raw = params.get("tax_id_data")
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise InvalidRequest("Invalid array: tax_id_data", param="tax_id_data")
    found: list[tuple[str, str]] = []
    for i, entry in enumerate(raw):
        param = f"tax_id_data[{i}]"
        if not isinstance(entry, dict):
            raise InvalidRequest(f"Invalid object: {param} must be a hash", param=param)
        kind = get_str(entry, "type")
        value = get_str(entry, "value")
        if not kind:
            raise missing_param(f"{param}[type]")
        if kind not in _TAX_ID_TYPES:
            raise InvalidRequest(
                f"Invalid {param}[type]: must be one of {', '.join(sorted(_TAX_ID_TYPES))}",
                param=f"{param}[type]",
                code="parameter_invalid_string",
            )
        if not value:
            raise missing_param(f"{param}[value]")
        found.append((kind, value))
    return found


def _new_tax_id(account: Account, customer: Obj, kind: str, value: str, *, now: int) -> Obj:
    country = _TAX_ID_TYPES[kind] or value[:2].upper()
    tax_id = tax_id_skeleton(account.new_id("txi"), now, customer["id"], kind, value, country)
    account.insert(tax_id)
    account.emit("customer.tax_id.created", tax_id, now=now)
    return tax_id


def tax_id_list(account: Account, customer: Obj) -> Obj:
    """The customer's tax ids as a list (`expand[]=tax_ids`)."""
    found = list(account.newest("tax_id", lambda t: t.get("customer") == customer["id"]))
    return one_page(found, f"/v1/customers/{customer['id']}/tax_ids")


def _test_clock(account: Account, params: dict[str, Any]) -> Obj | None:
    clock_id = get_str(params, "test_clock")
    if not clock_id:
        return None
    return account.get(clock_id, "test_helpers.test_clock", "test_clock")


def new_customer(account: Account, now: int, params: dict[str, Any]) -> Obj:
    """A customer from create parameters, with its card or source, tax ids and events (also
    what Checkout makes for a buyer with customer_creation=always)."""
    tax_ids = _tax_ids(params)
    clock = _test_clock(account, params)
    if clock is not None:
        now = int(clock["frozen_time"])  # everything about it happens at its clock's time
    customer = customer_skeleton(account.new_id("cus"), now, account.new_id("x")[2:10].upper())
    customer.update(_apply(account, params, customer))
    customer["test_clock"] = clock["id"] if clock else None
    # The card is checked first: a card that declines fails the whole create, as on Stripe.
    pm_id = get_str(params, "payment_method")
    pm = account.get(pm_id, "payment_method", "payment_method") if pm_id else None
    if pm is not None:
        refuse_declining(account, str((pm.get("card") or {}).get("fingerprint")))
    source = get_str(params, "source")
    if source:
        check_source(account, source)
    account.insert(customer)
    if pm is not None:
        account.update(pm, {"customer": customer["id"]})
        account.emit("payment_method.attached", pm, now=now)
    account.emit("customer.created", customer, now=now)
    for kind, value in tax_ids:
        _new_tax_id(account, customer, kind, value, now=now)
    if source:
        add_source(account, customer, source, created=True, now=now)
    return customer


def update_customer(account: Account, now: int, customer: Obj, params: dict[str, Any]) -> Obj:
    """Apply update parameters; a `source` is saved and becomes the default source."""
    previous = account.update(customer, _apply(account, params, customer))
    if previous:
        account.emit("customer.updated", customer, previous, now=now)
    source = get_str(params, "source")
    if source:
        add_source(account, customer, source, make_default=True, now=now)
    return customer


def delete_customer(account: Account, now: int, customer: Obj) -> Obj:
    """As on Stripe, a deleted customer's subscriptions end with it."""
    renewals.cancel_customer_subscriptions(account, now, customer)
    account.emit("customer.deleted", customer, now=now)
    return account.delete(customer)
