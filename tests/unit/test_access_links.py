"""Access-link tokens (itsdangerous): forgery, tampering, expiry, key rotation. No database."""

from __future__ import annotations

import itsdangerous.timed
import pytest

from paydesk.fulfilment.access import make_token, read_token

OLD, NEW = b"o" * 32, b"n" * 32
DAY = 86400


def test_a_token_names_its_order_and_product() -> None:
    token = make_token(NEW, "ord_1", "ebook")
    assert read_token([NEW], token, DAY) == ("ord_1", "ebook")


@pytest.mark.parametrize("token", [
    make_token(b"x" * 32, "ord_1", "ebook"),  # another key
    make_token(NEW, "ord_1", "ebook")[:-2] + "AA",  # tampered signature
    "", "garbage", "a.b.c", "..",
])
def test_a_forged_or_broken_token_opens_nothing(token: str) -> None:
    assert read_token([NEW], token, DAY) is None


def test_a_token_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_token(NEW, "ord_1", "ebook")
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 30 * DAY + 5)
    assert read_token([NEW], token, 31 * DAY) == ("ord_1", "ebook")
    assert read_token([NEW], token, 30 * DAY) is None


def test_keys_rotate_old_links_keep_opening_until_their_key_is_dropped() -> None:
    old_link = make_token(OLD, "ord_1", "ebook")
    assert read_token([NEW, OLD], old_link, DAY) == ("ord_1", "ebook")
    assert read_token([NEW], old_link, DAY) is None
    new_link = make_token(NEW, "ord_1", "ebook")
    assert read_token([NEW, OLD], new_link, DAY) == ("ord_1", "ebook")
    assert read_token([OLD], new_link, DAY) is None
