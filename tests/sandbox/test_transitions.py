"""Status transition tables, pair by pair: every (from, to) is allowed exactly when Stripe
allows it, and everything else is refused as a sandbox bug."""

from __future__ import annotations

import itertools

import pytest

from paydesk.sandbox.objects import BadTransition, check_transition
from paydesk.sandbox.objects.balance import TRANSITIONS as BALANCE_TRANSACTION

# What Stripe does, written out independently of the tables under test.
ALLOWED = {
    "balance_transaction": (BALANCE_TRANSACTION, {("pending", "available")}),
}

CASES = [
    (kind, old, new)
    for kind, (table, _allowed) in ALLOWED.items()
    for old, new in itertools.product(sorted(table), repeat=2)
]


@pytest.mark.parametrize(("kind", "old", "new"), CASES)
def test_each_pair_is_allowed_exactly_when_stripe_allows_it(kind: str, old: str, new: str) -> None:
    table, allowed = ALLOWED[kind]
    if (old, new) in allowed:
        check_transition(table, kind, old, new)
    else:
        with pytest.raises(BadTransition, match=f"{kind} cannot go from {old} to {new}"):
            check_transition(table, kind, old, new)


@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_every_allowed_pair_names_known_statuses(kind: str) -> None:
    table, allowed = ALLOWED[kind]
    assert {s for pair in allowed for s in pair} <= set(table)
