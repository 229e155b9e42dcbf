"""Payment methods: Stripe's test ids (`pm_card_visa`…), raw test card numbers, attach/detach.

A card's behaviour (succeeds, declines, needs 3DS) is decided by its number, as in Stripe's test
mode; the number itself is never kept, only its fingerprint, from which the behaviour is found.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from dataclasses import dataclass
from functools import cache
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import CardError, InvalidRequest
from paydesk.sandbox.objects import sepa
from paydesk.sandbox.params import (
    apply_metadata,
    get_dict,
    get_enum,
    get_str,
)


@dataclass(frozen=True, slots=True)
class Decline:
    code: str
    decline_code: str
    message: str
    param: str | None = None


# Stripe's messages for each test card's decline.
_DECLINED = "Your card was declined."
GENERIC = Decline("card_declined", "generic_decline", _DECLINED)
INSUFFICIENT = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
LOST = Decline("card_declined", "lost_card", _DECLINED)
STOLEN = Decline("card_declined", "stolen_card", _DECLINED)
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")
INCORRECT_CVC = Decline(
    "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"
)
PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)
AUTH_REQUIRED = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)


FRAUDULENT = Decline("card_declined", "fraudulent", _DECLINED)


@dataclass(frozen=True, slots=True)
class Risk:
    """What Radar makes of a card: the risk of its charges' `outcome`, and whether Radar's
    default rule blocks them before they reach the card network."""

    level: str = "normal"
    score: int = 32
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class Behaviour:
    decline: Decline | None = None
    needs_3ds: bool = False
    # The decline happens only when charged: the card attaches and sets up fine (0341).
    charge_only: bool = False
    # 3DS on-session only: once set up for off-session use, off-session charges need none.
    off_session_once_set_up: bool = False
    risk: Risk = Risk()

    def refuses_attach(self) -> Decline | None:
        """The decline a customer's attach (or a SetupIntent) meets with this card."""
        return None if self.charge_only else self.decline


OK = Behaviour()

# number -> how charging it behaves
TEST_CARDS: dict[str, Behaviour] = {
    "4000000000000002": Behaviour(GENERIC),
    "4000000000009995": Behaviour(INSUFFICIENT),
    "4000000000009987": Behaviour(LOST),
    "4000000000009979": Behaviour(STOLEN),
    "4000000000000069": Behaviour(EXPIRED),
    "4000000000000127": Behaviour(INCORRECT_CVC),
    "4000000000000119": Behaviour(PROCESSING),
    "4000000000000341": Behaviour(GENERIC, charge_only=True),  # attaches, every charge fails
    "4000002500003155": Behaviour(needs_3ds=True, off_session_once_set_up=True),
    # Radar's test cards.
    "4100000000000019": Behaviour(FRAUDULENT, risk=Risk("highest", 95, blocked=True)),
    "4000000000004954": Behaviour(FRAUDULENT, risk=Risk("highest", 85, blocked=True)),
    "4000000000009235": Behaviour(risk=Risk("elevated", 67)),
    "4000002760003184": Behaviour(needs_3ds=True),
    "4000000000003220": Behaviour(needs_3ds=True),
    "4000000000003063": Behaviour(needs_3ds=True),
}

# Stripe's test PaymentMethod ids -> the card number each stands for.
TEST_PM_IDS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_riskLevelHighest": "4000000000004954",
    "pm_card_riskLevelElevated": "4000000000009235",
}

_FUNDING = {"4000056655665556": "debit"}

# Stripe's documented test numbers outside the `4000 0…` family (which covers its country,
# decline, fraud and 3DS cards). Test mode refuses any other valid number: it is a real card.
_TEST_NUMBERS = frozenset({
    "4242424242424242", "4100000000000019", "5555555555554444", "2223003122003222",
    "5200828282828210", "5105105105105100", "378282246310005", "371449635398431",
    "6011111111111117", "6011000990139424", "6011981111111113", "3056930009020004",
    "36227206271667", "6555900000604105", "3566002020360505", "6200000000000005",
    "6200000000000047", "6205500000000000004",
})  # fmt: skip
LIVE_CARD_IN_TEST_MODE = Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test card. For a "
    "list of valid test cards, visit: https://stripe.com/docs/testing.",
)


def is_test_number(digits: str) -> bool:
    return digits in _TEST_NUMBERS or (len(digits) == 16 and digits.startswith("40000"))


def fingerprint(account: Account, number: str) -> str:
    # Keyed with the store's secret: a plain hash of a 16-digit number with a known prefix
    # could be reversed by hashing the candidates.
    digest = hmac.new(account.store.card_secret, number.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


@cache
def _behaviours(secret: bytes) -> dict[str, Behaviour]:
    return {
        hmac.new(secret, n.encode(), hashlib.sha256).hexdigest()[:16]: b
        for n, b in TEST_CARDS.items()
    }


def behaviour(account: Account, pm: Obj) -> Behaviour:
    """How charging this payment method turns out."""
    card = pm.get("card") or {}
    return card_behaviour(account, str(card.get("fingerprint")))


def card_behaviour(account: Account, card_fingerprint: str) -> Behaviour:
    """How charging the card with this fingerprint turns out (PaymentMethods and tokens)."""
    return _behaviours(account.store.card_secret).get(card_fingerprint, OK)


def test_number(test_id: str) -> str | None:
    """The card number behind a Stripe test id: `pm_card_visa`, or its token twin `tok_visa`."""
    if test_id.startswith("tok_"):
        test_id = "pm_card_" + test_id.removeprefix("tok_")
    return TEST_PM_IDS.get(test_id)


def brand(number: str) -> str:
    two, four = int(number[:2]), int(number[:4])
    if number[0] == "4":
        return "visa"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if number.startswith(("6011", "65", "644", "645", "646", "647", "648", "649")):
        return "discover"
    if two == 35:
        return "jcb"
    if two in (30, 36, 38):
        return "diners"
    if two == 62:
        return "unionpay"
    return "unknown"


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_error(message: str, code: str, param: str) -> CardError:
    return CardError(message, code=code, param=param)


def _int_field(value: Any, message: str, code: str, param: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise _card_error(message, code, param) from None


def validate_card(
    number: str, exp_month: Any, exp_year: Any, cvc: str | None, prefix: str = "", *, now: int
) -> tuple[str, int, int]:
    """Stripe's checks on raw card details: the normalised number, month and 4-digit year."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise _card_error("Your card number is invalid.", "invalid_number", f"{prefix}number")
    if not _luhn(digits):
        raise _card_error("Your card number is incorrect.", "incorrect_number", f"{prefix}number")
    if not is_test_number(digits):
        live = LIVE_CARD_IN_TEST_MODE
        raise CardError(live.message, code=live.code, decline_code=live.decline_code)
    month = _int_field(
        exp_month,
        "Your card's expiration month is invalid.",
        "invalid_expiry_month",
        f"{prefix}exp_month",
    )
    if not 1 <= month <= 12:
        raise _card_error(
            "Your card's expiration month is invalid.",
            "invalid_expiry_month",
            f"{prefix}exp_month",
        )
    year = _int_field(
        exp_year,
        "Your card's expiration year is invalid.",
        "invalid_expiry_year",
        f"{prefix}exp_year",
    )
    if year < 100:
        year += 2000
    today = datetime.datetime.fromtimestamp(now, datetime.UTC)
    if year < today.year or year > today.year + 50:
        raise _card_error(
            "Your card's expiration year is invalid.",
            "invalid_expiry_year",
            f"{prefix}exp_year",
        )
    if year == today.year and month < today.month:
        raise _card_error(
            "Your card's expiration month is invalid.",
            "invalid_expiry_month",
            f"{prefix}exp_month",
        )
    if cvc is not None and cvc != "":
        want = 4 if brand(digits) == "amex" else 3
        if not cvc.isdigit() or len(cvc) not in (3, want):
            raise _card_error(
                "Your card's security code is invalid.", "invalid_cvc", f"{prefix}cvc"
            )
    return digits, month, year


def _billing(details: dict[str, Any] | None) -> Obj:
    details = details or {}
    address = details.get("address") or {}
    return {
        "address": {
            k: address.get(k) or None
            for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "email": details.get("email") or None,
        "name": details.get("name") or None,
        "phone": details.get("phone") or None,
        "tax_id": details.get("tax_id") or None,
    }


def _new_card_pm(
    account: Account,
    digits: str,
    month: int,
    year: int,
    cvc_given: bool,
    billing_details: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
    *,
    now: int,
) -> Obj:
    card_brand = brand(digits)
    pm: Obj = {
        "id": account.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": _billing(billing_details),
        "card": {
            "brand": card_brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked" if cvc_given else None,
            },
            "country": "US",
            "display_brand": card_brand,
            "exp_month": month,
            "exp_year": year,
            "fingerprint": fingerprint(account, digits),
            "funding": _FUNDING.get(digits, "credit"),
            "generated_from": None,
            "last4": digits[-4:],
            "networks": {"available": [card_brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
            "regulated_status": "unregulated",
        },
        "created": now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata or {},
        "type": "card",
    }
    return account.insert(pm)


def card_payment_method(
    account: Account,
    *,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str | None,
    billing_details: dict[str, Any] | None = None,
    now: int,
) -> Obj:
    """A card PaymentMethod from raw details, refused with Stripe's card errors when invalid."""
    digits, month, year = validate_card(number, exp_month, exp_year, cvc, now=now)
    return _new_card_pm(account, digits, month, year, bool(cvc), billing_details, now=now)


def resolve(account: Account, pm_id: str, param: str = "payment_method", *, now: int) -> Obj:
    """The PaymentMethod `pm_id`; a Stripe test id (`pm_card_visa`, `pm_success_de`) makes a
    fresh one each time."""
    number = TEST_PM_IDS.get(pm_id)
    if number is not None:
        return _new_card_pm(account, number, 12, _test_year(now=now), True, now=now)
    iban = sepa.TEST_TOKENS.get(pm_id)
    if iban is not None:
        return sepa_payment_method(account, iban, {"name": "Jenny Rosen"}, now=now)
    return account.get(pm_id, "payment_method", param)


def sepa_payment_method(
    account: Account,
    iban: str,
    billing_details: dict[str, Any] | None,
    metadata: dict[str, str] | None = None,
    param: str = "sepa_debit[iban]",
    *,
    now: int,
) -> Obj:
    """A `sepa_debit` PaymentMethod; the IBAN must pass its check digits, and Stripe wants
    the account holder's name for the mandate."""
    iban = sepa.normalise(iban)
    if not sepa.valid_iban(iban):
        raise InvalidRequest(
            "The IBAN you provided is invalid: check its country code and check digits.",
            param=param,
            code="invalid_bank_account_iban",
        )
    billing = _billing(billing_details)
    if not billing["name"]:
        raise InvalidRequest(
            "Missing required param: billing_details[name] (SEPA Direct Debit needs the "
            "account holder's name).",
            param="billing_details[name]",
            code="parameter_missing",
        )
    pm = sepa.payment_method(account.new_id("pm"), now, iban, fingerprint(account, iban), billing)
    pm["metadata"] = metadata or {}
    return account.insert(pm)


def _test_year(*, now: int) -> int:
    return datetime.datetime.fromtimestamp(now, datetime.UTC).year + 3


def create_payment_method(account: Account, now: int, p: dict[str, Any]) -> Obj:
    """A card PaymentMethod from `card[token]` (a test token) or `card[number]`…, or a
    `sepa_debit` one from `sepa_debit[iban]`."""
    kind = get_enum(p, "type", ("card", "sepa_debit"))
    if kind is None:
        raise InvalidRequest(
            "Missing required param: type.", param="type", code="parameter_missing"
        )
    if kind == "sepa_debit":
        bank = get_dict(p, "sepa_debit") or {}
        iban = get_str(bank, "iban")
        if not iban:
            raise InvalidRequest(
                "Missing required param: sepa_debit[iban].",
                param="sepa_debit[iban]",
                code="parameter_missing",
            )
        return sepa_payment_method(
            account, iban, get_dict(p, "billing_details"), apply_metadata({}, p), now=now
        )
    card = get_dict(p, "card")
    if card is None:
        raise InvalidRequest(
            "Missing required param: card.", param="card", code="parameter_missing"
        )
    billing = get_dict(p, "billing_details")
    metadata = apply_metadata({}, p)
    token = card.get("token")
    if isinstance(token, str) and token:
        number = _token_number(token)
        pm = _new_card_pm(
            account, number, 12, _test_year(now=now), True, billing, metadata, now=now
        )
    else:
        digits, month, year, cvc = _card_number(card, now)
        pm = _new_card_pm(account, digits, month, year, cvc, billing, metadata, now=now)
    allow = get_enum(p, "allow_redisplay", ("always", "limited", "unspecified"))
    if allow:
        pm["allow_redisplay"] = allow
    return pm


def _token_number(token: str) -> str:
    number = TEST_PM_IDS.get("pm_card_" + token.removeprefix("tok_"))
    if number is None:
        raise InvalidRequest(
            f"No such token: '{token}'", param="card[token]", code="resource_missing", status=404
        )
    return number


def _card_number(card: dict[str, Any], now: int) -> tuple[str, int, int, bool]:
    for name in ("number", "exp_month", "exp_year"):
        if not card.get(name):
            raise InvalidRequest(
                f"Missing required param: card[{name}].",
                param=f"card[{name}]",
                code="parameter_missing",
            )
    cvc = card.get("cvc")
    digits, month, year = validate_card(
        str(card["number"]),
        card["exp_month"],
        card["exp_year"],
        cvc if isinstance(cvc, str) else None,
        now=now,
    )
    return digits, month, year, bool(cvc)


def update_payment_method(account: Account, now: int, pm: Obj, p: dict[str, Any]) -> Obj:
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = apply_metadata(pm["metadata"], p)
    billing = get_dict(p, "billing_details")
    if billing is not None:
        merged = {**pm["billing_details"], **{k: v for k, v in billing.items() if k != "address"}}
        if isinstance(billing.get("address"), dict):
            merged["address"] = {**pm["billing_details"]["address"], **billing["address"]}
        changes["billing_details"] = _billing(merged)
    card = get_dict(p, "card")
    if card:
        changes["card"] = _updated_card(pm["card"], card)
    allow = get_enum(p, "allow_redisplay", ("always", "limited", "unspecified"))
    if allow:
        changes["allow_redisplay"] = allow
    previous = account.update(pm, changes)
    if previous:
        account.emit("payment_method.updated", pm, previous, now=now)
    return pm


def _updated_card(current: Obj, card: dict[str, Any]) -> Obj:
    updated = dict(current)
    if "exp_month" in card or "exp_year" in card:
        month = _int_field(
            card.get("exp_month", updated["exp_month"]),
            "Your card's expiration month is invalid.",
            "invalid_expiry_month",
            "card[exp_month]",
        )
        year = _int_field(
            card.get("exp_year", updated["exp_year"]),
            "Your card's expiration year is invalid.",
            "invalid_expiry_year",
            "card[exp_year]",
        )
        updated["exp_month"], updated["exp_year"] = month, year
    return updated


def refuse_declining(account: Account, card_fingerprint: str) -> None:
    """Stripe checks a card with the issuer before saving it: a card that declines cannot be
    attached (only 4000 0000 0000 0341 attaches, and declines when charged)."""
    decline = card_behaviour(account, card_fingerprint).refuses_attach()
    if decline is not None:
        raise CardError(
            decline.message,
            code=decline.code,
            decline_code=decline.decline_code,
            param=decline.param,
        )


def attach(account: Account, pm: Obj, customer_id: str, *, now: int) -> Obj:
    if pm.get("customer") == customer_id:
        return pm
    refuse_declining(account, str((pm.get("card") or {}).get("fingerprint")))
    if pm.get("customer"):
        raise InvalidRequest(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    account.update(pm, {"customer": customer_id})
    account.emit("payment_method.attached", pm, now=now)
    return pm


def detach(account: Account, now: int, pm: Obj) -> Obj:
    if not pm.get("customer"):
        raise InvalidRequest(
            "The payment method you provided is not attached to a customer so detachment is "
            "impossible.",
            param="payment_method",
        )
    previous = account.update(pm, {"customer": None})
    account.emit("payment_method.detached", pm, previous, now=now)
    return pm
