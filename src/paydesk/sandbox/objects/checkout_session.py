"""A Checkout Session as Stripe shapes it, and its statuses: open until paid (complete) or past
`expires_at` / expired by the merchant (expired); neither ends."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"complete", "expired"}),
    "complete": frozenset(),
    "expired": frozenset(),
}


# Fields for features the sandbox does not offer: always null, as on a session without them.
_UNUSED: Obj = dict.fromkeys(("consent", "consent_collection", "currency_conversion"))


def checkout_session(obj_id: str, created: int, expires_at: int, mode: str, url: str) -> Obj:
    return {
        "id": obj_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": None,
        "amount_total": None,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": None,
        "client_reference_id": None,
        "client_secret": None,
        "collected_information": None,
        "created": created,
        "currency": None,
        **_UNUSED,
        "custom_fields": [],
        "custom_text": _custom_text(),
        "customer": None,
        "customer_account": None,
        "customer_creation": None,
        "customer_details": None,
        "customer_email": None,
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": _invoice_creation(),
        "livemode": False,
        "locale": None,
        "managed_payments": None,
        "metadata": {},
        "mode": mode,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": [],
        "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": None,
    }


def _custom_text() -> Obj:
    return {
        "after_submit": None,
        "shipping_address": None,
        "submit": None,
        "terms_of_service_acceptance": None,
    }


def _invoice_creation() -> Obj:
    return {
        "enabled": False,
        "invoice_data": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": None,
            "metadata": {},
            "rendering_options": None,
        },
    }


def saved_payment_method_options() -> Obj:
    """What a session for a known customer offers about their saved cards."""
    return {
        "allow_redisplay_filters": ["always"],
        "payment_method_remove": None,
        "payment_method_save": None,
    }
