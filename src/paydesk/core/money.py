"""Money is an int of minor units plus an ISO currency. The shop's one money module: how many
decimals a currency has in Stripe's API, how an amount is shown, and how one typed by a person
("12.50") becomes minor units, exactly (no floats anywhere).

The sandbox keeps its own copy (paydesk/sandbox/money.py: it imports nothing from the shop);
tests/unit/test_money.py holds both to one table.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Stripe's lists: https://docs.stripe.com/currencies#zero-decimal and #three-decimal
ZERO_DECIMAL = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

SYMBOLS = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "CN¥", "krw": "₩", "inr": "₹",
    "cad": "CA$", "aud": "A$", "nzd": "NZ$", "hkd": "HK$", "sgd": "SGD ", "chf": "CHF ",
    "brl": "R$", "mxn": "MX$", "vnd": "₫", "ils": "₪", "php": "₱", "thb": "฿", "pln": "PLN ",
    "sek": "SEK ", "nok": "NOK ", "dkk": "DKK ",
}

# ASCII digits only: \d would also take "٣" (Arabic-Indic three), which Decimal reads as 3.
_PLAIN = re.compile(r"[0-9]{1,12}(\.[0-9]+)?")


class AmountError(ValueError):
    """The text is not an amount in this currency; the message says why."""


def decimals(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def format_money(amount: int, currency: str) -> str:
    """1234, "usd" -> "$12.34"; 1500, "jpy" -> "¥1,500"; 1230, "kwd" -> "KWD 1.230";
    -500, "usd" -> "-$5.00"."""
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**places)
    number = f"{whole:,}" + (f".{minor:0{places}d}" if places else "")
    symbol = SYMBOLS.get(currency.lower(), currency.upper() + " ")
    return f"{sign}{symbol}{number}"


def parse_major(text: str, currency: str) -> int:
    """"12.50" in usd -> 1250; "1200" in jpy -> 1200. Thousands separators and other decimal
    marks are refused rather than guessed ("12,50" could be either)."""
    value = text.strip()
    if not _PLAIN.fullmatch(value):
        raise AmountError(f"“{text}” is not an amount: write it like 12.50 (digits and a dot).")
    places = decimals(currency)
    _, _, fraction = value.partition(".")
    if len(fraction.rstrip("0")) > places:
        unit = "no minor unit" if places == 0 else f"{places} decimal places"
        raise AmountError(f"{currency.upper()} has {unit}: “{text}” cannot be refunded exactly.")
    return int(Decimal(value).scaleb(places))


def format_major(amount: int, currency: str) -> str:
    """1250 in usd -> "12.50": what a form's amount field is prefilled with."""
    places = decimals(currency)
    return str(Decimal(amount).scaleb(-places).quantize(Decimal(1).scaleb(-places)))
