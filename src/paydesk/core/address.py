"""One email address, validated as one (email-validator), before it reaches a To header.

A hand-written pattern let `a@b.c,postmaster` through, which SMTP reads as two recipients; a
CR or LF would be header injection. email-validator parses the address as RFC 5321/5322 define
one mailbox (no lists, no display names, no quoted local parts, no whitespace), without network
look-ups, and returns its normalised form. In core, so the edge that reads Stripe's objects
(orders/payments.py) keeps a list out of an order as surely as checkout and the sender do.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 320


class InvalidAddress(ValueError):
    pass


def one_address(value: str) -> str:
    """The normalised address; raises InvalidAddress (with the reason) for anything else."""
    if len(value) > MAX_LENGTH:
        raise InvalidAddress(f"an email address has at most {MAX_LENGTH} characters")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidAddress(f"not one valid email address: {exc}") from None


def address_or_none(value: object) -> str | None:
    """For addresses from elsewhere (Stripe's customer_details): the address, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return one_address(value)
    except InvalidAddress:
        return None
