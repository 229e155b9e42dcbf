"""Money is an int of minor units plus an ISO currency; formatting follows the currency."""

from __future__ import annotations

# ISO 4217 currencies Stripe treats as having no minor unit.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
     "xaf", "xof", "xpf"}
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "chf": "CHF "}


def decimals(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL else 2


def format_money(amount: int, currency: str) -> str:
    """1234, "usd" -> "$12.34"; 1234, "jpy" -> "¥1,234"."""
    cur = currency.lower()
    places = decimals(cur)
    value = amount / (10**places) if places else amount
    number = f"{value:,.{places}f}"
    symbol = SYMBOLS.get(cur)
    return f"{symbol}{number}" if symbol else f"{number} {cur.upper()}"
