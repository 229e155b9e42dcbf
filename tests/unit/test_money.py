from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.money import decimals, format_money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(1234, "usd", "$12.34"), (1500, "jpy", "¥1,500"), (999, "eur", "€9.99"),
     (123456789, "usd", "$1,234,567.89"), (0, "gbp", "£0.00"), (5000, "krw", "5,000 KRW"),
     (1050, "sek", "10.50 SEK")],
)
def test_money_is_formatted_per_currency(amount: int, currency: str, shown: str) -> None:
    assert format_money(amount, currency) == shown


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["usd", "jpy", "eur", "krw"]))
def test_formatting_keeps_every_minor_unit(amount: int, currency: str) -> None:
    digits = "".join(ch for ch in format_money(amount, currency) if ch.isdigit())
    assert int(digits) == amount
    assert decimals(currency) in (0, 2)
