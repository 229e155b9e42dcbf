"""SEPA Direct Debit: Stripe's documented test IBANs (and their `pm_…` tokens), the
`sepa_debit` PaymentMethod and the mandate in Stripe's shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paydesk.sandbox.account import Obj


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a debit from this IBAN ends, and after how long (seconds of business time)."""

    succeeds: bool
    delay: int
    failure_code: str | None = None
    disputed: bool = False


QUICK = 10  # "shortly after confirmation" in Stripe's test mode
DELAYED = 180  # the *Delayed IBANs: "after at least three minutes"

SUCCESS = Outcome(True, QUICK)
_BY_KIND = {
    "success": SUCCESS,
    "successDelayed": Outcome(True, DELAYED),
    "failed": Outcome(False, QUICK, "generic_decline"),
    "failedDelayed": Outcome(False, DELAYED, "generic_decline"),
    "disputed": Outcome(True, QUICK, disputed=True),
    "exceedsWeeklyVolumeLimit": Outcome(False, QUICK, "charge_exceeds_source_limit"),
    "exceedsWeeklyTransactionLimit": Outcome(False, QUICK, "charge_exceeds_weekly_limit"),
    "insufficientFunds": Outcome(False, QUICK, "insufficient_funds"),
}
_KINDS = tuple(_BY_KIND)

# Stripe's test IBANs per country, in the order of _KINDS.
_IBANS = {
    "de": (
        "DE89370400440532013000", "DE08370400440532013003", "DE62370400440532013001",
        "DE78370400440532013004", "DE35370400440532013002", "DE65370400440000343434",
        "DE27370400440000121212", "DE65370400440002222227",
    ),
    "at": (
        "AT611904300234573201", "AT321904300235473204", "AT861904300235473202",
        "AT051904300235473205", "AT591904300235473203", "AT981904300000343434",
        "AT601904300000121212", "AT981904300002222227",
    ),
    "fr": (
        "FR1420041010050500013M02606", "FR3020041010050500013M02609",
        "FR8420041010050500013M02607", "FR7920041010050500013M02600",
        "FR5720041010050500013M02608", "FR9720041010050000000343434",
        "FR5920041010050000000121212", "FR9720041010050000002222227",
    ),
    "be": (
        "BE62510007547061", "BE78510007547064", "BE68539007547034", "BE51510007547065",
        "BE08510007547063", "BE90510000343434", "BE52510000121212", "BE90510002222227",
    ),
}  # fmt: skip

TEST_IBANS: dict[str, Outcome] = {
    iban: _BY_KIND[kind]
    for ibans in _IBANS.values()
    for kind, iban in zip(_KINDS, ibans, strict=True)
}
# `pm_success_de`, `pm_insufficientFunds_at`, ...: Stripe's tokens for the same accounts.
TEST_TOKENS: dict[str, str] = {
    f"pm_{kind}_{country}": iban
    for country, ibans in _IBANS.items()
    for kind, iban in zip(_KINDS, ibans, strict=True)
}


def normalise(iban: str) -> str:
    return "".join(iban.split()).upper()


def valid_iban(iban: str) -> bool:
    """ISO 13616's mod-97 check: what a payment form checks before anything else."""
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    if not iban.isalnum():
        return False
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def payment_method(
    obj_id: str, created: int, iban: str, fingerprint: str, billing: dict[str, Any]
) -> Obj:
    return {
        "id": obj_id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing,
        "created": created,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "sepa_debit": {
            "bank_code": iban[4:12] if iban[:2] == "DE" else iban[4:9],
            "branch_code": "",
            "country": iban[:2],
            "fingerprint": fingerprint,
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": iban[-4:],
        },
        "type": "sepa_debit",
    }


def mandate(obj_id: str, created: int, pm_id: str, reference: str) -> Obj:
    return {
        "id": obj_id,
        "object": "mandate",
        "customer_acceptance": {
            "accepted_at": created,
            "offline": None,
            "online": {"ip_address": "127.0.0.1", "user_agent": "paydesk sandbox"},
            "type": "online",
        },
        "livemode": False,
        "multi_use": {},
        "on_behalf_of": None,
        "payment_method": pm_id,
        "payment_method_details": {
            "sepa_debit": {"reference": reference, "url": ""},
            "type": "sepa_debit",
        },
        "status": "active",
        "type": "multi_use",
    }


def charge_details(pm: Obj, mandate_id: str) -> Obj:
    sepa = pm["sepa_debit"]
    return {
        "sepa_debit": {
            "bank_code": sepa["bank_code"],
            "branch_code": sepa["branch_code"],
            "country": sepa["country"],
            "fingerprint": sepa["fingerprint"],
            "last4": sepa["last4"],
            "mandate": mandate_id,
        },
        "type": "sepa_debit",
    }
