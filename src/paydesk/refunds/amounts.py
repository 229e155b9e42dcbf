"""Money typed by a person (major units, "12.50") to minor units, exactly: no floats anywhere."""

from __future__ import annotations

import re
from decimal import Decimal

from paydesk.core.money import decimals

_PLAIN = re.compile(r"\d{1,12}(\.\d+)?")


class AmountError(ValueError):
    """The text is not an amount in this currency; the message says why."""


def parse_major(text: str, currency: str) -> int:
    """"12.50" in usd -> 1250; "1200" in jpy -> 1200. Thousands separators and other decimal
    marks are refused rather than guessed ("12,50" could be either)."""
    value = text.strip()
    if not _PLAIN.fullmatch(value):
        raise AmountError(f"“{text}” is not an amount: write it like 12.50 (digits and a dot).")
    places = decimals(currency)
    whole, _, fraction = value.partition(".")
    if len(fraction.rstrip("0")) > places:
        unit = "no minor unit" if places == 0 else f"{places} decimal places"
        raise AmountError(f"{currency.upper()} has {unit}: “{text}” cannot be refunded exactly.")
    return int(Decimal(value).scaleb(places))


def format_major(amount: int, currency: str) -> str:
    """1250 in usd -> "12.50": what the form's amount field is prefilled with."""
    places = decimals(currency)
    return str(Decimal(amount).scaleb(-places).quantize(Decimal(1).scaleb(-places)))
