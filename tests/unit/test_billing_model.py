"""The entitlement rules, without a database: access per status, grace, the answering
subscription, and which events may move a record ("nothing moves backwards")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paydesk.billing.model import (
    AccessNow,
    Entitlement,
    Held,
    Move,
    Snapshot,
    Status,
    access_now,
    best,
    billing_terms,
    decide,
    grace_until,
    has_access,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
JAN = datetime(2027, 1, 1, tzinfo=UTC)
FEB = datetime(2027, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "grants"),
    [
        (Status.ACTIVE, True), (Status.TRIALING, True), (Status.PAST_DUE, False),
        (Status.INCOMPLETE, False), (Status.INCOMPLETE_EXPIRED, False), (Status.UNPAID, False),
        (Status.CANCELED, False), (Status.PAUSED, False),
    ],
)
def test_which_status_grants_access_without_grace(status: Status, grants: bool) -> None:
    assert has_access(status, None, NOW) is grants


def test_past_due_keeps_access_until_the_grace_ends_and_not_a_second_longer() -> None:
    grace = NOW + timedelta(days=7)
    assert has_access(Status.PAST_DUE, grace, grace - timedelta(seconds=1))
    assert not has_access(Status.PAST_DUE, grace, grace)


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.PAST_DUE])
def test_grace_is_only_for_past_due(status: Status) -> None:
    assert grace_until(status, NOW, NOW, 7) is None


def test_grace_starts_at_the_failure_and_a_second_failure_does_not_extend_it() -> None:
    first = grace_until(Status.PAST_DUE, None, NOW, 7)
    assert first == NOW + timedelta(days=7)
    assert grace_until(Status.PAST_DUE, first, NOW + timedelta(days=3), 7) == first


def _snap(status: Status, end: datetime | None = JAN, cancel: bool = False) -> Snapshot:
    return Snapshot(status, end, cancel)


@pytest.mark.parametrize(
    ("held", "incoming", "created", "move"),
    [
        (None, _snap(Status.ACTIVE), 5, Move.APPLY),
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.PAST_DUE), 11, Move.APPLY),
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.ACTIVE), 3, Move.SKIP),  # same, older
        (Held(_snap(Status.PAST_DUE), 10), _snap(Status.ACTIVE), 9, Move.REREAD),  # older, differs
        (Held(_snap(Status.PAST_DUE), 10), _snap(Status.ACTIVE), 10, Move.REREAD),  # same second
        (Held(_snap(Status.ACTIVE, JAN), 10), _snap(Status.ACTIVE, FEB), 10, Move.APPLY),  # renewal
        (Held(_snap(Status.ACTIVE, FEB), 10), _snap(Status.ACTIVE, JAN), 9, Move.SKIP),  # old
        (Held(_snap(Status.ACTIVE, FEB), 10), _snap(Status.ACTIVE, JAN), 11, Move.REREAD),
        (Held(_snap(Status.CANCELED), 10), _snap(Status.ACTIVE), 11, Move.SKIP),  # terminal
        (Held(_snap(Status.INCOMPLETE_EXPIRED), 1), _snap(Status.ACTIVE, FEB), 9, Move.SKIP),
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.ACTIVE, cancel=True), 12, Move.APPLY),
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.CANCELED), 10, Move.APPLY),  # ends
        (Held(_snap(Status.INCOMPLETE), 10), _snap(Status.ACTIVE), 10, Move.APPLY),  # pays
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.INCOMPLETE), 10, Move.SKIP),
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.INCOMPLETE), 4, Move.SKIP),
        (Held(_snap(Status.TRIALING), 10), _snap(Status.ACTIVE), 9, Move.REREAD),  # older
        (Held(_snap(Status.ACTIVE), 10), _snap(Status.PAST_DUE), 10, Move.REREAD),
    ],
)
def test_decide_never_moves_a_record_backwards(
    held: Held | None, incoming: Snapshot, created: int, move: Move
) -> None:
    assert decide(held, incoming, created) is move


def _ent(sub: str, status: Status, end: datetime, grace: datetime | None = None) -> Entitlement:
    return Entitlement(sub, "plan", status, end, grace)


def test_best_prefers_access_then_the_latest_period() -> None:
    canceled_late = _ent("sub_a", Status.CANCELED, FEB)
    active_early = _ent("sub_b", Status.ACTIVE, JAN)
    active_late = _ent("sub_c", Status.ACTIVE, FEB)
    assert best([canceled_late, active_early], NOW) is active_early
    assert best([active_early, active_late, canceled_late], NOW) is active_late
    assert best([], NOW) is None


def test_past_due_in_grace_beats_canceled_and_loses_to_active() -> None:
    in_grace = _ent("sub_a", Status.PAST_DUE, FEB, NOW + timedelta(days=1))
    canceled = _ent("sub_b", Status.CANCELED, FEB)
    active = _ent("sub_c", Status.ACTIVE, JAN)
    assert best([canceled, in_grace], NOW) is in_grace
    assert best([in_grace, active], NOW) is active


def test_a_test_clock_ahead_of_us_ends_the_grace_in_its_own_time() -> None:
    grace = NOW + timedelta(days=7)
    ahead = Entitlement("sub_a", "plan", Status.PAST_DUE, FEB, grace, clock_time=grace)
    assert ahead.access_at(NOW) is False
    assert _ent("sub_b", Status.PAST_DUE, FEB, grace).access_at(NOW) is True


@pytest.mark.parametrize(
    ("status", "grace", "said"),
    [
        (Status.ACTIVE, None, AccessNow("granted")),
        (Status.TRIALING, None, AccessNow("granted")),
        (Status.PAST_DUE, NOW + timedelta(days=2), AccessNow("grace", NOW + timedelta(days=2))),
        (Status.PAST_DUE, NOW, AccessNow("none")),  # the grace's last instant is past
        (Status.UNPAID, None, AccessNow("none")),
        (Status.CANCELED, None, AccessNow("none")),
    ],
)
def test_access_now_says_granted_in_grace_until_or_none(
    status: Status, grace: datetime | None, said: AccessNow
) -> None:
    assert access_now(_ent("sub_a", status, FEB, grace), NOW) == said


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("€49.00", "month", None, 14), "€49.00 / month, 14 days free"),
        (("$290.00", "year", 1, None), "$290.00 / year"),
        (("$5.00", "week", 2, 1), "$5.00 every 2 weeks, 1 day free"),
    ],
)
def test_billing_terms_say_what_is_charged_when(args: tuple, text: str) -> None:  # type: ignore[type-arg]
    assert billing_terms(*args) == text
