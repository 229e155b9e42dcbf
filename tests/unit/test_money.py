"""The shop's money module and the sandbox's mirror of it, held to one table (the sandbox
imports nothing from the shop, so the two are copies; this is what keeps them one)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core import money as shop
from paydesk.sandbox import money as sandbox

# (minor units, currency, shown)
TABLE = [
    (1234, "usd", "$12.34"),
    (999, "eur", "€9.99"),
    (0, "gbp", "£0.00"),
    (1500, "jpy", "¥1,500"),
    (123456789, "usd", "$1,234,567.89"),
    (5000, "krw", "₩5,000"),
    (1050, "sek", "SEK 10.50"),
    (1230, "kwd", "KWD 1.230"),  # three decimals, as Stripe counts KWD
    (5, "bhd", "BHD 0.005"),
    (7, "xof", "XOF 7"),
    (1234567, "huf", "HUF 12,345.67"),
    (-500, "usd", "-$5.00"),
    (-1500, "jpy", "-¥1,500"),
    (-1, "kwd", "-KWD 0.001"),
]


@pytest.mark.parametrize("module", [shop, sandbox], ids=["shop", "sandbox"])
@pytest.mark.parametrize(("amount", "currency", "shown"), TABLE)
def test_shop_and_sandbox_show_money_alike(
    module: object, amount: int, currency: str, shown: str
) -> None:
    assert module.format_money(amount, currency) == shown  # type: ignore[attr-defined]
    assert module.format_money(amount, currency.upper()) == shown  # type: ignore[attr-defined]


def test_both_use_stripes_currency_lists() -> None:
    assert shop.ZERO_DECIMAL == sandbox.ZERO_DECIMAL and len(shop.ZERO_DECIMAL) == 16
    assert shop.THREE_DECIMAL == sandbox.THREE_DECIMAL == {"bhd", "jod", "kwd", "omr", "tnd"}
    assert shop.SYMBOLS == sandbox.SYMBOLS


@given(st.integers(min_value=-(10**15), max_value=10**15),
       st.sampled_from(["usd", "jpy", "kwd", "krw", "eur", "tnd", "clp"]))
def test_formatting_keeps_every_minor_unit_and_the_sign(amount: int, currency: str) -> None:
    shown = shop.format_money(amount, currency)
    assert shown == sandbox.format_money(amount, currency)
    assert int("".join(ch for ch in shown if ch.isdigit())) == abs(amount)
    assert shown.startswith("-") == (amount < 0)


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.50", "usd", 1250), ("12", "usd", 1200), (" 0.5 ", "eur", 50), ("1200", "jpy", 1200),
    ("1.230", "kwd", 1230), ("1.23", "kwd", 1230), ("12.500", "usd", 1250),
])
def test_parse_major_is_exact(text: str, currency: str, minor: int) -> None:
    assert shop.parse_major(text, currency) == minor
    assert shop.parse_major(shop.format_major(minor, currency), currency) == minor


@pytest.mark.parametrize("text", [
    "٣", "١٢.٥٠", "１２", "12,50", "1,200", "-5", "+5", "1e3", "12.", ".5", "", "12 50", "1_000",
])
def test_parse_major_takes_only_ascii_digits_and_a_dot(text: str) -> None:
    with pytest.raises(shop.AmountError, match="is not an amount"):
        shop.parse_major(text, "usd")


def test_parse_major_refuses_more_decimals_than_the_currency_has() -> None:
    with pytest.raises(shop.AmountError, match="KWD has 3 decimal places"):
        shop.parse_major("1.2345", "kwd")
    with pytest.raises(shop.AmountError, match="JPY has no minor unit"):
        shop.parse_major("1.5", "jpy")
