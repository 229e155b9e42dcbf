"""Object skeletons in Stripe's shape, and the status transition tables they obey."""

from __future__ import annotations


class BadTransition(Exception):
    """A status change the object's transition table does not allow (a sandbox bug)."""


def check_transition(table: dict[str, frozenset[str]], kind: str, old: str, new: str) -> None:
    if new not in table.get(old, frozenset()):
        raise BadTransition(f"{kind} cannot go from {old} to {new}")
