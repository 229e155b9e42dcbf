"""`payment_method_types` and `payment_method_options` as Stripe checks them: a type Stripe
does not know, or one the currency cannot pay with, is a 400, and so is an option it does not
take. Shared by PaymentIntents and SetupIntents."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from paydesk.sandbox.errors import InvalidRequest, unknown_param

# Type -> the currencies it can pay in (None: any). Stripe's documented limits.
_EUR = frozenset({"eur"})
CURRENCIES: dict[str, frozenset[str] | None] = {
    "card": None,
    "link": None,
    "customer_balance": None,
    "alipay": None,
    "wechat_pay": None,
    "klarna": None,
    "sepa_debit": _EUR,
    "ideal": _EUR,
    "bancontact": _EUR,
    "eps": _EUR,
    "giropay": _EUR,
    "sofort": _EUR,
    "multibanco": _EUR,
    "p24": frozenset({"eur", "pln"}),
    "us_bank_account": frozenset({"usd"}),
    "acss_debit": frozenset({"cad", "usd"}),
    "au_becs_debit": frozenset({"aud"}),
    "bacs_debit": frozenset({"gbp"}),
    "boleto": frozenset({"brl"}),
    "pix": frozenset({"brl"}),
    "oxxo": frozenset({"mxn"}),
    "konbini": frozenset({"jpy"}),
    "paynow": frozenset({"sgd"}),
    "grabpay": frozenset({"sgd", "myr"}),
    "fpx": frozenset({"myr"}),
    "promptpay": frozenset({"thb"}),
    "blik": frozenset({"pln"}),
    "twint": frozenset({"chf"}),
    "swish": frozenset({"sek"}),
    "mobilepay": frozenset({"dkk", "eur", "nok", "sek"}),
    "cashapp": frozenset({"usd"}),
    "amazon_pay": frozenset({"usd"}),
    "affirm": frozenset({"usd", "cad"}),
    "zip": frozenset({"usd", "aud"}),
    "afterpay_clearpay": frozenset({"usd", "cad", "gbp", "aud", "nzd", "eur"}),
    "revolut_pay": frozenset({"eur", "gbp"}),
    "paypal": frozenset({"eur", "gbp", "usd", "chf", "czk", "dkk", "nok", "pln", "sek", "aud"}),
}

# What `payment_method_options[card]` takes, on each kind of intent.
_CARD_KEYS = {
    "payment_intent": {
        "capture_method", "cvc_token", "installments", "mandate_options", "moto", "network",
        "request_extended_authorization", "request_incremental_authorization",
        "request_multicapture", "request_overcapture", "request_three_d_secure",
        "require_cvc_recollection", "setup_future_usage", "statement_descriptor_suffix_kana",
        "statement_descriptor_suffix_kanji", "three_d_secure",
    },
    "setup_intent": {
        "mandate_options", "moto", "network", "request_three_d_secure", "three_d_secure",
    },
}  # fmt: skip
THREE_D_SECURE = ("automatic", "any", "challenge")


def check_types(
    types: list[Any], currency: str | None, param: str = "payment_method_types"
) -> list[str]:
    """The types, each known to Stripe and usable with `currency` (None: any currency)."""
    checked: list[str] = []
    for i, kind in enumerate(types):
        if not isinstance(kind, str) or kind not in CURRENCIES:
            raise InvalidRequest(
                f'The payment method type "{kind}" is invalid. Please ensure the provided type '
                "is activated in your dashboard (https://dashboard.stripe.com/account/payments/"
                "settings) and your account is enabled for any preview features that you are "
                "trying to use.",
                param=f"{param}[{i}]",
            )
        allowed = CURRENCIES[kind]
        if currency is not None and allowed is not None and currency not in allowed:
            raise InvalidRequest(
                f"The currency provided ({currency}) is invalid. Payment method {kind} only "
                f"supports the following currencies: {', '.join(sorted(allowed))}.",
                param=f"{param}[{i}]",
            )
        checked.append(kind)
    return checked


def parse_options(
    raw: Any, current: dict[str, Any], intent: str, param: str = "payment_method_options"
) -> dict[str, Any]:
    """`current` with the options in `raw` applied; every key is checked."""
    if raw is None or raw == "":
        return current
    if not isinstance(raw, dict):
        raise InvalidRequest(f"Invalid object: {param} must be a hash", param=param)
    merged = dict(current)
    for kind, options in raw.items():
        if kind not in CURRENCIES:
            raise unknown_param(f"{param}[{kind}]")
        if options == "":
            merged.pop(kind, None)
            continue
        if not isinstance(options, dict):
            raise InvalidRequest(
                f"Invalid object: {param}[{kind}] must be a hash", param=f"{param}[{kind}]"
            )
        if kind == "card":
            merged["card"] = _card(options, dict(current.get("card") or {}), intent, param)
        else:
            merged[kind] = {**(current.get(kind) or {}), **options}
    return merged


def _card(options: dict[str, Any], card: dict[str, Any], intent: str, param: str) -> dict[str, Any]:
    for key, value in options.items():
        if key not in _CARD_KEYS[intent]:
            raise unknown_param(f"{param}[card][{key}]")
        if key == "request_three_d_secure" and value not in THREE_D_SECURE:
            raise InvalidRequest(
                f"Invalid {param}[card][request_three_d_secure]: must be one of "
                f"{', '.join(THREE_D_SECURE)}",
                param=f"{param}[card][request_three_d_secure]",
                code="parameter_invalid_string",
            )
        card[key] = value
    return card


# Where the hosted 3DS challenge page (pages/challenge.py) answers for an intent.
CHALLENGE_PATH = "/pay/3ds/"


def challenge_action(
    base_url: str, intent: dict[str, Any], return_url: str | None
) -> dict[str, Any]:
    """The `next_action` of a PaymentIntent or SetupIntent whose card must be authenticated:
    a redirect to the sandbox's challenge page, then back to `return_url`."""
    query = urlencode({"client_secret": intent["client_secret"]})
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {
            "url": f"{base_url}{CHALLENGE_PATH}{intent['id']}?{query}",
            "return_url": return_url,
        },
    }


def challenge_base_url(next_action: dict[str, Any] | None) -> str:
    """The base URL a `challenge_action` was made with ("" for any other next_action)."""
    url = ((next_action or {}).get("redirect_to_url") or {}).get("url", "")
    head, sep, _ = url.partition(CHALLENGE_PATH)
    return head if sep else ""


def forces_challenge(options: dict[str, Any]) -> bool:
    """`request_three_d_secure=any|challenge`: authenticate whatever the card."""
    card = options.get("card") or {}
    return card.get("request_three_d_secure") in ("any", "challenge")
