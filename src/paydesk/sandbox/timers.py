"""One queue of things due later: renewals, invoice finalisation, payment retries, expiries.

Interim version written against the shared contract (branch sandbox-core owns the persisted
one): timers live in memory, per store. A timer is (account, kind, object_id) -> (due_at,
clock); scheduling again replaces it. Test-clock timers fire only when their clock advances
(`drain_clock`), wall timers from the server's loop (`fire_due`).
"""

from __future__ import annotations

import heapq
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from paydesk.sandbox.account import Account
from paydesk.sandbox.store import Store

log = logging.getLogger("paydesk.sandbox")

TimerHandler = Callable[[Account, str, int], None]
_HANDLERS: dict[str, TimerHandler] = {}


Key = tuple[str, str, str]  # (account id, kind, object id)


@dataclass(slots=True)
class _Queue:
    pending: dict[Key, tuple[int, str | None]] = field(default_factory=dict)
    # Per clock (None: the wall clock), a heap of (due_at, key); an entry no longer matching
    # `pending` was replaced or cancelled and is skipped when it surfaces.
    heaps: dict[str | None, list[tuple[int, Key]]] = field(default_factory=dict)

    def pop_due(
        self, clock: str | None, until: int, account_id: str | None
    ) -> tuple[int, Key] | None:
        """The earliest live timer of `clock` due by `until` (of `account_id` when given),
        taken off the queue."""
        heap = self.heaps.get(clock)
        skipped: list[tuple[int, Key]] = []
        found: tuple[int, Key] | None = None
        while heap and heap[0][0] <= until:
            when, key = heapq.heappop(heap)
            if self.pending.get(key) != (when, clock):
                continue
            if account_id is not None and key[0] != account_id:
                skipped.append((when, key))
                continue
            del self.pending[key]
            found = (when, key)
            break
        for entry in skipped:
            heapq.heappush(heap, entry)  # type: ignore[arg-type]
        return found


_QUEUES: weakref.WeakKeyDictionary[Store, _Queue] = weakref.WeakKeyDictionary()


def _queue(store: Store) -> _Queue:
    queue = _QUEUES.get(store)
    if queue is None:
        queue = _QUEUES[store] = _Queue()
    return queue


def on_timer(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def register(handler: TimerHandler) -> TimerHandler:
        _HANDLERS[kind] = handler
        return handler

    return register


def schedule(
    account: Account, kind: str, object_id: str, due_at: int, clock: str | None = None
) -> None:
    queue = _queue(account.store)
    key = (account.id, kind, object_id)
    queue.pending[key] = (due_at, clock)
    heapq.heappush(queue.heaps.setdefault(clock, []), (due_at, key))


def cancel(account: Account, kind: str, object_id: str) -> None:
    _queue(account.store).pending.pop((account.id, kind, object_id), None)


def due_at(account: Account, kind: str, object_id: str) -> int | None:
    found = _queue(account.store).pending.get((account.id, kind, object_id))
    return found[0] if found else None


def _fire(account: Account, kind: str, object_id: str, when: int) -> None:
    handler = _HANDLERS.get(kind)
    if handler is None:
        log.warning("no handler for timer %s", kind)
        return
    handler(account, object_id, when)


def drain_clock(account: Account, clock_id: str, until: int) -> int:
    """Fire, in due order, every timer of test clock `clock_id` due by `until` (including the
    ones scheduled while draining), each with `now=due_at`; return how many fired."""
    queue = _queue(account.store)
    fired = 0
    while True:
        found = queue.pop_due(clock_id, until, account.id)
        if found is None:
            return fired
        when, (_acct, kind, obj_id) = found
        _fire(account, kind, obj_id, when)
        fired += 1


def fire_due(store: Store, wall: int) -> int:
    """Fire every wall-clock timer due by `wall` (the server's loop calls this)."""
    queue = _queue(store)
    fired = 0
    while True:
        found = queue.pop_due(None, wall, None)
        if found is None:
            return fired
        _when, key = found
        try:
            _fire(store.account(key[0]), key[1], key[2], wall)
        except Exception:
            log.exception("timer %s for %s failed", key[1], key[2])
        fired += 1
