"""A card (a token's, or one saved on a customer as a source) and a card token, as Stripe
shapes them; and a saved card seen the way a PaymentMethod's card reads."""

from __future__ import annotations

from paydesk.sandbox.account import Obj

# Cards (unlike PaymentMethods) name their brand the way people write it.
BRAND_NAMES = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "jcb": "JCB",
    "diners": "Diners Club",
    "unionpay": "UnionPay",
}
_NETWORKS = {name: network for network, name in BRAND_NAMES.items()}
ADDRESS = ("city", "country", "line1", "line2", "state", "zip")


def card(obj_id: str, brand: str, last4: str, exp_month: int, exp_year: int) -> Obj:
    return {
        "id": obj_id,
        "object": "card",
        **{f"address_{k}": None for k in ADDRESS},
        "address_line1_check": None,
        "address_zip_check": None,
        "brand": brand,
        "country": "US",
        "customer": None,
        "cvc_check": None,
        "dynamic_last4": None,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": None,
        "funding": "credit",
        "last4": last4,
        "metadata": {},
        "name": None,
        "networks": {"preferred": None},
        "tokenization_method": None,
        "regulated_status": "unregulated",
        "wallet": None,
    }


def token(obj_id: str, created: int, card: Obj) -> Obj:
    return {
        "id": obj_id,
        "object": "token",
        "card": card,
        "client_ip": None,
        "created": created,
        "livemode": False,
        "type": "card",
        "used": False,
    }


def card_view(card: Obj) -> Obj:
    """A saved card seen the way charge details read a PaymentMethod's card."""
    address = {
        "city": card.get("address_city"),
        "country": card.get("address_country"),
        "line1": card.get("address_line1"),
        "line2": card.get("address_line2"),
        "postal_code": card.get("address_zip"),
        "state": card.get("address_state"),
    }
    return {
        "id": card["id"],
        "billing_details": {
            "address": address,
            "email": None,
            "name": card.get("name"),
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": _NETWORKS.get(str(card.get("brand")), "unknown"),
            "checks": {"cvc_check": card.get("cvc_check")},
            "country": card.get("country"),
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
            "fingerprint": card.get("fingerprint"),
            "funding": card.get("funding"),
            "last4": card.get("last4"),
        },
    }
