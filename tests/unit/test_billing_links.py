"""Account links: signed for one email, expiring, still opened by a key being rotated out."""

from __future__ import annotations

from paydesk.billing.links import account_token, email_of

OLD, NEW = b"o" * 32, b"n" * 32


def test_a_link_names_its_email_and_nothing_forges_one() -> None:
    token = account_token(NEW, "Ada@Example.com")
    assert email_of([NEW], token) == "ada@example.com"
    assert email_of([NEW], token[:-2] + "xx") is None
    assert email_of([b"x" * 32], token) is None


def test_a_link_signed_before_a_rotation_still_opens_until_the_old_key_is_dropped() -> None:
    token = account_token(OLD, "ada@example.com")
    assert email_of([NEW, OLD], token) == "ada@example.com"
    assert email_of([NEW], token) is None


def test_an_expired_link_opens_nothing() -> None:
    assert email_of([NEW], account_token(NEW, "ada@example.com"), max_age=-1) is None
