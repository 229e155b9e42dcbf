"""One queue for everything that happens later: Checkout Session expiry, funds becoming
available, webhook deliveries and their retries (and, with billing, renewals and the like).

A timer is (account, kind, object_id) → (due_at, clock): one pending timer per key, scheduling
again replaces it. Wall-clock timers (`clock is None`) are fired by the server's loop once due;
a test clock's timers fire only when that clock is advanced (`drain_clock`), in due order, each
with `now` = its due time, so what they do happens at the moment it was due.

Timers are rows of the store's `timers` table, written with its group commit (in the same
transaction as the change that scheduled them) and reloaded on start: a restart resumes every
timer, and one that fell due while the sandbox was down fires at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paydesk.sandbox.clock import wall_seconds

if TYPE_CHECKING:
    from paydesk.sandbox.account import Account
    from paydesk.sandbox.store import Store

log = logging.getLogger("paydesk.sandbox.timers")

TimerHandler = Callable[["Account", str, int], None]
Key = tuple[str, str, str]  # (account id, kind, object id)
# As the `timers` table keeps it: (seq, account, kind, object_id, due_at, clock).
Row = tuple[int, str, str, str, float, str | None]

_HANDLERS: dict[str, TimerHandler] = {}
BATCH = 512  # timers fired per turn of the loop, so a backlog never stalls the API


def on_timer(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register `handler(account, object_id, now)` for timers of `kind`."""

    def register(handler: TimerHandler) -> TimerHandler:
        _HANDLERS[kind] = handler
        return handler

    return register


@dataclass(slots=True)
class Timer:
    due_at: float
    clock: str | None
    # Which scheduling of its key this is: older heap entries for the key are stale. Also the
    # row's key in the table: rows append in sequence, so a commit writes the b-tree's last
    # page rather than one random page per timer (random keys made commits after a restart
    # with a big store several times dearer).
    seq: int


class TimerQueue:
    """The store's pending timers: a dict by key, plus heaps (wall, and one per test clock)
    whose stale entries are skipped when popped, so replacing or cancelling costs O(1)."""

    def __init__(self) -> None:
        self.pending: dict[Key, Timer] = {}
        self._wall: list[tuple[float, int, Key]] = []
        self._clocks: dict[tuple[str, str], list[tuple[float, int, Key]]] = {}
        self._seq = 0
        self.dirty: dict[int, Row | None] = {}  # by seq, written by the store's next flush
        # Called when a wall timer becomes the soonest, so the loop can wake up earlier.
        self.on_sooner: Callable[[], None] | None = None

    def put(
        self,
        key: Key,
        due_at: float,
        clock: str | None,
        persist: bool = True,
        seq: int | None = None,
    ) -> None:
        """Schedule `key` (replacing its pending timer). `seq` is given for a persisted row at
        start-up (rows come in seq order, so a later row of the same key replaces an earlier)."""
        if seq is None:
            self._seq += 1
            seq = self._seq
        else:
            self._seq = max(self._seq, seq)
        self._forget_row(self.pending.get(key))
        self.pending[key] = Timer(due_at, clock, seq)
        entry = (due_at, seq, key)
        if clock is None:
            sooner = not self._wall or due_at < self._wall[0][0]
            heapq.heappush(self._wall, entry)
            if sooner and self.on_sooner is not None:
                self.on_sooner()
        else:
            heapq.heappush(self._clocks.setdefault((key[0], clock), []), entry)
        if persist:
            self.dirty[seq] = (seq, key[0], key[1], key[2], due_at, clock)

    def remove(self, key: Key) -> None:
        self._forget_row(self.pending.pop(key, None))

    def _forget_row(self, timer: Timer | None) -> None:
        if timer is None:
            return
        if self.dirty.get(timer.seq) is not None:
            del self.dirty[timer.seq]  # never written: nothing to delete
        else:
            self.dirty[timer.seq] = None

    def pop_due(self, heap: list[tuple[float, int, Key]], until: float) -> tuple[Key, float] | None:
        """The soonest live timer of `heap` due by `until`, taken off the queue."""
        while heap and heap[0][0] <= until:
            due_at, seq, key = heapq.heappop(heap)
            timer = self.pending.get(key)
            if timer is not None and timer.seq == seq:
                self.remove(key)
                return key, due_at
        return None

    def next_wall_due(self) -> float | None:
        heap = self._wall
        while heap:
            due_at, seq, key = heap[0]
            timer = self.pending.get(key)
            if timer is not None and timer.seq == seq:
                return due_at
            heapq.heappop(heap)
        return None

    def wall_heap(self) -> list[tuple[float, int, Key]]:
        return self._wall

    def clock_heap(self, account_id: str, clock: str) -> list[tuple[float, int, Key]]:
        return self._clocks.get((account_id, clock), [])

    def take_dirty(self) -> dict[int, Row | None]:
        dirty, self.dirty = self.dirty, {}
        return dirty


def schedule(
    account: Account, kind: str, object_id: str, due_at: float, clock: str | None = None
) -> None:
    """Fire `kind`'s handler for `object_id` at `due_at` (replacing any pending timer for it)."""
    account.store.timers.put((account.id, kind, object_id), due_at, clock)


def cancel(account: Account, kind: str, object_id: str) -> None:
    account.store.timers.remove((account.id, kind, object_id))


def due_at(account: Account, kind: str, object_id: str) -> float | None:
    """When the pending timer for `object_id` fires, if there is one."""
    timer = account.store.timers.pending.get((account.id, kind, object_id))
    return timer.due_at if timer is not None else None


def fire_due(store: Store, now: float, limit: int | None = None) -> int:
    """Fire every wall-clock timer due by `now` (at most `limit`), soonest first; returns how
    many fired.

    The server's loop calls this with the wall time; tests call it with a later `now` to see
    what the sandbox does once that moment has come, without waiting or patching a clock.
    """
    queue = store.timers
    fired = 0
    while fired != limit and (found := queue.pop_due(queue.wall_heap(), now)) is not None:
        _fire(store.account(found[0][0]), found[0], int(now))
        fired += 1
    return fired


async def run(store: Store) -> None:
    """The server's one timer loop: fire wall-clock timers as they fall due, sleeping until the
    soonest (or until a sooner one is scheduled), and commit what their handlers changed."""
    wake = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()

    def sooner() -> None:
        # Timers are mostly scheduled on the loop's own thread; tests and the CLI may not be.
        if threading.get_ident() == loop_thread:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    store.timers.on_sooner = sooner
    try:
        while True:
            wake.clear()
            if fire_due(store, wall_seconds(), limit=BATCH):
                await store.committed()
                continue  # let requests in between batches, then fire what is still due
            soonest = store.timers.next_wall_due()
            timeout = None if soonest is None else max(0.0, soonest - wall_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)
    finally:
        store.timers.on_sooner = None


def drain_clock(account: Account, clock_id: str, until: int) -> int:
    """Fire, in due order, every timer of test clock `clock_id` due by `until` (including those
    scheduled while draining), each with `now` = its due time; returns how many fired."""
    queue = account.store.timers
    fired = 0
    while (found := queue.pop_due(queue.clock_heap(account.id, clock_id), until)) is not None:
        key, due = found
        _fire(account, key, int(due))
        fired += 1
    return fired


def _fire(account: Account, key: Key, now: int) -> None:
    handler = _HANDLERS.get(key[1])
    if handler is None:
        log.warning("no handler for timer kind %r (object %s): dropped", key[1], key[2])
        return
    try:
        handler(account, key[2], now)
    except Exception:
        # One failing handler must not stop the others (nor the loop that fires them).
        log.exception("timer %s for %s failed", key[1], key[2])
