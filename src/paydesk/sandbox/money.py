"""Money as buyers read it: minor units shown with the currency's own decimals (¥1,500, $12.34).

A mirror of paydesk/core/money.py's formatting (the sandbox imports nothing from the shop);
tests/unit/test_money.py holds both to one table.
"""

from __future__ import annotations

# Re-exported: pages that show amounts ask the page layer, the API asks sandbox.currency.
from paydesk.sandbox.currency import THREE_DECIMAL as THREE_DECIMAL
from paydesk.sandbox.currency import ZERO_DECIMAL as ZERO_DECIMAL
from paydesk.sandbox.currency import decimals as decimals

SYMBOLS = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "CN¥", "krw": "₩", "inr": "₹",
    "cad": "CA$", "aud": "A$", "nzd": "NZ$", "hkd": "HK$", "sgd": "SGD ", "chf": "CHF ",
    "brl": "R$", "mxn": "MX$", "vnd": "₫", "ils": "₪", "php": "₱", "thb": "฿", "pln": "PLN ",
    "sek": "SEK ", "nok": "NOK ", "dkk": "DKK ",
}


def format_money(amount: int, currency: str) -> str:
    """`1234, "usd"` → `$12.34`; `1500, "jpy"` → `¥1,500`; `-500, "usd"` → `-$5.00`."""
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**places)
    number = f"{whole:,}" + (f".{minor:0{places}d}" if places else "")
    symbol = SYMBOLS.get(currency.lower(), currency.upper() + " ")
    return f"{sign}{symbol}{number}"
