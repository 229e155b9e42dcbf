"""The entitlement rules, pure: which subscription status grants access, how long `past_due`
keeps it, which of an email's subscriptions answers for it, and whether an event may move a
subscription's record ("nothing moves backwards"). No database, no Stripe, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    """Stripe's subscription statuses."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    PAUSED = "paused"


GRANTING = frozenset({Status.ACTIVE, Status.TRIALING})
# Stripe never brings these back: a canceled subscription stays canceled.
TERMINAL = frozenset({Status.CANCELED, Status.INCOMPLETE_EXPIRED})


class Move(StrEnum):
    """What to do with the subscription an event carries."""

    APPLY = "apply"  # newer than the record: take it
    SKIP = "skip"  # the record already says this, or says something newer
    REREAD = "reread"  # order cannot be told from the event: ask Stripe for today's state


@dataclass(frozen=True)
class Snapshot:
    """A subscription as one event (or one read from Stripe) shows it."""

    status: Status
    current_period_end: datetime | None
    cancel_at_period_end: bool

    def same_as(self, other: Snapshot) -> bool:
        return (self.status, self.current_period_end, self.cancel_at_period_end) == (
            other.status, other.current_period_end, other.cancel_at_period_end
        )


@dataclass(frozen=True)
class Held:
    """What the local record says, and the Stripe `created` of the event that said it."""

    snapshot: Snapshot
    event_created: int


def decide(held: Held | None, incoming: Snapshot, event_created: int) -> Move:
    """Whether `incoming` (from an event created at `event_created`) may replace `held`.

    Stripe's `created` has one-second resolution and deliveries arrive in any order, so an
    event that is not strictly newer than the record is only trusted when it cannot be a step
    back; otherwise the subscription is read again from Stripe, which is always current."""
    if held is None:
        return Move.APPLY
    mine = held.snapshot
    if mine.status in TERMINAL:
        return Move.SKIP
    if incoming.same_as(mine):
        return Move.SKIP
    if _period_key(incoming) < _period_key(mine):
        return Move.SKIP if event_created <= held.event_created else Move.REREAD
    if event_created > held.event_created:
        return Move.APPLY
    if _period_key(incoming) > _period_key(mine) and incoming.status not in TERMINAL:
        return Move.APPLY  # a later period only comes after the earlier one
    # Same period, not newer: the lifecycle's own order decides where it can (incomplete →
    # trialing → the paying states → ended); only moves within the paying states need Stripe.
    ahead, behind = _STAGE[incoming.status], _STAGE[mine.status]
    if ahead != behind:
        return Move.APPLY if ahead > behind and event_created == held.event_created else (
            Move.SKIP if ahead < behind else Move.REREAD)
    return Move.REREAD


# Where a status sits in a subscription's life; within one stage statuses move both ways.
_STAGE = {
    Status.INCOMPLETE: 0, Status.TRIALING: 1, Status.ACTIVE: 2, Status.PAST_DUE: 2,
    Status.UNPAID: 2, Status.PAUSED: 2, Status.CANCELED: 3, Status.INCOMPLETE_EXPIRED: 3,
}


def _period_key(snapshot: Snapshot) -> float:
    end = snapshot.current_period_end
    return end.timestamp() if end is not None else 0.0


def grace_until(
    status: Status, held_grace: datetime | None, failed_at: datetime, grace_days: int
) -> datetime | None:
    """Entering `past_due` starts the grace period at the failure; staying keeps it (a second
    failed attempt does not extend it); any other status has none."""
    if status is not Status.PAST_DUE:
        return None
    return held_grace or failed_at + timedelta(days=grace_days)


def has_access(status: Status, grace: datetime | None, now: datetime) -> bool:
    if status in GRANTING:
        return True
    return status is Status.PAST_DUE and grace is not None and now < grace


@dataclass(frozen=True)
class Entitlement:
    subscription_id: str
    plan_id: str | None
    status: Status
    current_period_end: datetime | None
    grace_until: datetime | None
    # The subscription's own time when it runs on a test clock ahead of ours (else None).
    clock_time: datetime | None = None

    def access_at(self, now: datetime) -> bool:
        if self.clock_time is not None and self.clock_time > now:
            now = self.clock_time
        return has_access(self.status, self.grace_until, now)


@dataclass(frozen=True)
class AccessNow:
    """What an entitlement gives at a moment: "granted", "grace" (until `until`) or "none"."""

    state: str
    until: datetime | None = None


def access_now(e: Entitlement, now: datetime) -> AccessNow:
    if not e.access_at(now):
        return AccessNow("none")
    if e.status is Status.PAST_DUE:
        return AccessNow("grace", e.grace_until)
    return AccessNow("granted")


def best(entitlements: Iterable[Entitlement], now: datetime) -> Entitlement | None:
    """The subscription that answers for an email: the best access, then the latest period."""
    def key(e: Entitlement) -> tuple[bool, int, float]:
        rank = 2 if e.status in GRANTING else 1 if e.status is Status.PAST_DUE else 0
        return e.access_at(now), rank, _period_key_of(e.current_period_end)

    return max(entitlements, key=key, default=None)


def _period_key_of(end: datetime | None) -> float:
    return end.timestamp() if end is not None else 0.0


def parse_status(value: object) -> Status:
    """Stripe's status string; ValueError names an unknown one."""
    try:
        return Status(str(value))
    except ValueError:
        raise ValueError(f"unknown subscription status {value!r}") from None


def billing_terms(
    price: str, interval: str, interval_count: int | None, trial_days: int | None
) -> str:
    """What a plan charges and when: "€49.00 / month, 14 days free", "$290.00 every 2 years"."""
    count = interval_count or 1
    terms = f"{price} / {interval}" if count == 1 else f"{price} every {count} {interval}s"
    if trial_days:
        terms += f", {trial_days} day{'s' if trial_days != 1 else ''} free"
    return terms
