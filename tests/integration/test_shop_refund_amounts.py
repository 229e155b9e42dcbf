"""The refund form's amount: major units typed by a person to exact minor units, per currency."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.money import AmountError, format_major, parse_major


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.50", "usd", 1250), ("12.5", "usd", 1250), (" 7 ", "eur", 700), ("0.29", "usd", 29),
    ("1200", "jpy", 1200), ("1200.00", "jpy", 1200), ("0.01", "gbp", 1),
])
def test_major_units_become_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_major(text, currency) == minor


@pytest.mark.parametrize(("text", "currency", "message"), [
    ("12.345", "usd", "USD has 2 decimal places"), ("1.5", "jpy", "JPY has no minor unit"),
    ("12,50", "eur", "is not an amount"), ("-1", "usd", "is not an amount"),
    ("1e3", "usd", "is not an amount"), ("", "usd", "is not an amount"),
    ("NaN", "usd", "is not an amount"),
])
def test_what_is_not_an_exact_amount_is_refused(text: str, currency: str, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        parse_major(text, currency)


@given(st.integers(min_value=0, max_value=10**11), st.sampled_from(["usd", "eur", "jpy", "krw"]))
def test_the_prefilled_amount_reads_back_as_the_same_minor_units(amount: int, cur: str) -> None:
    assert parse_major(format_major(amount, cur), cur) == amount
