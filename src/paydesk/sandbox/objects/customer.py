"""A customer and its tax ids as Stripe shapes them."""

from __future__ import annotations

from paydesk.sandbox.account import Obj


def customer(obj_id: str, created: int, invoice_prefix: str) -> Obj:
    return {
        "id": obj_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
        "customer_account": None,
    }


def tax_id(obj_id: str, created: int, customer: str, kind: str, value: str, country: str) -> Obj:
    return {
        "id": obj_id,
        "object": "tax_id",
        "country": country,
        "created": created,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "owner": {"customer": customer, "customer_account": None, "type": "customer"},
        "type": kind,
        "value": value,
        "verification": {"status": "pending", "verified_address": None, "verified_name": None},
    }
