"""Money as buyers read it: minor units shown with the currency's own decimals (¥1,500, $12.34)."""

from __future__ import annotations

# Re-exported: pages that show amounts ask the page layer, the API asks sandbox.currency.
from paydesk.sandbox.currency import decimals as decimals

_SYMBOLS = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "cny": "CN¥",
    "krw": "₩",
    "inr": "₹",
    "cad": "CA$",
    "aud": "A$",
    "nzd": "NZ$",
    "hkd": "HK$",
    "sgd": "SGD ",
    "chf": "CHF ",
    "brl": "R$",
    "mxn": "MX$",
    "vnd": "₫",
    "ils": "₪",
    "php": "₱",
    "thb": "฿",
    "pln": "PLN ",
    "sek": "SEK ",
    "nok": "NOK ",
    "dkk": "DKK ",
}


def format_money(amount: int, currency: str) -> str:
    """`1234, "usd"` → `$12.34`; `1500, "jpy"` → `¥1,500`; negative amounts keep their sign."""
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    number = f"{abs(amount) / 10**places:,.{places}f}"
    symbol = _SYMBOLS.get(currency.lower(), currency.upper() + " ")
    return f"{sign}{symbol}{number}"
