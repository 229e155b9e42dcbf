"""Webhook delivery: sign each event as Stripe does and POST it to every matching endpoint,
retrying on the configured schedule. Runs beside the API on the same event loop and never
blocks the call that caused the event.

As on Stripe: the endpoints are chosen when the event happens (one created later never gets it);
a disabled endpoint is skipped but its retries stay scheduled (re-enabling it resumes them); a
deleted one ends them; a redirect is a failure. Each pending delivery is a timer of the store's
queue (sandbox/timers.py): written with the group commit that wrote its event, fired by the
server's timer loop, replaced by the next retry's or cancelled once delivered or given up. While
an attempt runs its timer waits past the attempt's timeout, so an attempt cut short by a crash
is made again after a restart (a clean stop makes it due at once).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
import weakref
from dataclasses import dataclass
from functools import partial
from typing import cast

import aiohttp
import orjson

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.chaos import CHAOS_HEADER, Chaos, ChaosPlan
from paydesk.sandbox.clock import wall_now, wall_seconds
from paydesk.sandbox.ids import new_id
from paydesk.sandbox.store import Store
from paydesk.sandbox.timers import cancel, on_timer, schedule

log = logging.getLogger("paydesk.sandbox.delivery")

# Stripe retries for up to three days with growing gaps; the same shape, compressed to minutes.
DEFAULT_RETRY_DELAYS = [10.0, 30.0, 60.0, 120.0, 300.0, 600.0]
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
TIMEOUT_SECONDS = 10.0
MAX_CONCURRENT = 32
_MAX_RESPONSE = 64 * 1024  # read (and ignore) at most this much of a receiver's answer
_RESEND_SPACING = 0.01  # seconds between the first attempts of events resent together
_EXCERPT = 300  # characters of a receiver's answer kept on the attempt, for the timeline
_LEGACY_QUEUE_STATE = "webhook_queue"  # the whole queue in one blob, before per-job rows
TIMER = "webhook.delivery"
ATTEMPT = "webhook_attempt"  # the object that records one delivery attempt
# How long past an attempt's timeout its timer waits before the attempt counts as lost (a crash).
LEASE_MARGIN = 5


@dataclass(slots=True)
class Attempt:
    status: int | None
    error: str | None
    excerpt: str
    seconds: float
    chaos: list[str]

    @property
    def delivered(self) -> bool:
        """Stripe counts any 2xx answer as delivered."""
        return self.status is not None and 200 <= self.status < 300


def parse_delays(text: str | None) -> list[float]:
    """`60,300,900`: seconds before each retry (fractions allowed); as many retries as numbers."""
    if not text:
        return list(DEFAULT_RETRY_DELAYS)
    delays = [float(part) for part in text.split(",") if part.strip()]
    if any(d < 0 for d in delays):
        raise ValueError("retry delays must be zero or more seconds")
    return delays


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    # hmac.digest: the one-shot C path (hmac.new's object cost more than the hashing).
    mac = hmac.digest(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hex()}"


@dataclass(slots=True)
class Job:
    """One delivery of an event to an endpoint, `attempt` attempts already made."""

    account_id: str
    event_id: str
    endpoint_id: str
    attempt: int = 0
    # "" for the event's own delivery; "c1", "c2", … for copies chaos sends; "r1", … for
    # resends. Only the own delivery counts towards the event's `pending_webhooks`.
    tag: str = ""

    @property
    def key(self) -> str:
        # The timer's object id: which delivery, and which attempt it is about to make.
        base = f"{self.event_id}:{self.endpoint_id}:{self.attempt}"
        return f"{base}:{self.tag}" if self.tag else base

    @property
    def delivery(self) -> tuple[str, str, str, str]:
        """Which delivery this is, whatever the attempt."""
        return (self.account_id, self.event_id, self.endpoint_id, self.tag)

    @classmethod
    def parse(cls, account_id: str, key: str) -> Job:
        event_id, endpoint_id, attempt, *tag = key.split(":")
        return cls(account_id, event_id, endpoint_id, int(attempt), tag[0] if tag else "")


def pending_for(account: Account) -> int:
    """Deliveries of the account still to be made: first attempts, retries, copies, resends."""
    return sum(
        1 for key in account.store.timers.pending if key[0] == account.id and key[1] == TIMER
    )


def resend(account: Account, events: list[Obj], endpoint: Obj) -> None:
    """Deliver `events` to `endpoint` once more (the Dashboard's "Resend"), in this order: each
    a delivery of its own, with its own retries, that leaves `pending_webhooks` alone.
    Attempts run concurrently, so the order is kept by spacing the first attempts apart."""
    start = wall_seconds()
    for n, event in enumerate(events):
        job = Job(account.id, event["id"], endpoint["id"], tag="r" + new_id("")[1:9])
        schedule(account, TIMER, job.key, start + n * _RESEND_SPACING)


def _copy(job: Job, k: int) -> Job:
    return Job(job.account_id, job.event_id, job.endpoint_id, tag=f"c{k}")


# Which deliverer sends a store's webhooks (one per running server; none for a bare store).
_DELIVERERS: weakref.WeakKeyDictionary[Store, Deliverer] = weakref.WeakKeyDictionary()


@on_timer(TIMER)
def _deliver_due(account: Account, key: str, now: int) -> None:
    deliverer = _DELIVERERS.get(account.store)
    job = Job.parse(account.id, key)
    if deliverer is None:  # nobody to send it now: keep it for whoever starts next
        schedule(account, TIMER, key, now + LEASE_MARGIN)
        return
    deliverer.begin(account, job, now)


class Deliverer:
    def __init__(
        self, store: Store, retry_delays: list[float], default_chaos: Chaos | None = None
    ) -> None:
        self.store = store
        self.delays = retry_delays
        self.chaos = ChaosPlan(default_chaos)
        self._session: aiohttp.ClientSession | None = None
        # Attempts wait in one queue for a fixed pool of workers (a task per attempt, and a
        # semaphore around it, cost more than the attempt's own bookkeeping).
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._busy: set[tuple[str, str]] = set()  # (account, key) queued or being attempted
        # Seconds a receiver has to answer; tests lower it to exercise timeouts quickly.
        self.timeout = TIMEOUT_SECONDS
        self._timeout_obj: aiohttp.ClientTimeout | None = None
        store.listeners.append(self.enqueue)
        _DELIVERERS[store] = self
        self._adopt_legacy_queue()

    def _adopt_legacy_queue(self) -> None:
        """Deliveries kept by older sandboxes (a row each, or before that one blob) become
        timers, once."""
        saved = self.store.take_legacy_jobs()
        legacy = self.store.load_state(_LEGACY_QUEUE_STATE)
        if legacy:
            saved += legacy
            self.store.save_state(_LEGACY_QUEUE_STATE, [])
        for due, account_id, event_id, endpoint_id, attempt in saved:
            job = Job(account_id, event_id, endpoint_id, attempt)
            schedule(self.store.account(account_id), TIMER, job.key, due)
        if saved:
            self.store.flush()

    # Called synchronously from Account.emit, inside whatever request caused the event: the
    # timer is written in the same transaction as the event, and fires as soon as the loop runs.
    def enqueue(self, account: Account, event: Obj, endpoints: list[Obj]) -> None:
        due = wall_seconds()
        for endpoint in endpoints:
            job = Job(account.id, event["id"], endpoint["id"])
            for each in self.chaos.apply(account, job, partial(_copy, job)):
                schedule(account, TIMER, cast(Job, each).key, self.chaos.due(each, due))

    def begin(self, account: Account, job: Job, now: float) -> None:
        """Start an attempt. Its timer stays, pushed past the attempt's timeout, so a crash
        mid-attempt makes it again after a restart; the outcome replaces or cancels it.

        The lease counts from the later of `now` (the moment the timers are fired for, which
        tests set ahead) and the wall clock: a lease ending before that moment would be due
        again in the same drain, and the drain would take it over and over, forever."""
        lease = max(now, wall_seconds()) + self.timeout + LEASE_MARGIN
        schedule(account, TIMER, job.key, lease)
        running = (account.id, job.key)
        if running in self._busy:
            return  # still waiting for a free connection: the lease was all it needed
        self._busy.add(running)
        self._queue.put_nowait(job)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            connector=aiohttp.TCPConnector(limit=MAX_CONCURRENT),
        )
        self._workers = [asyncio.create_task(self._work()) for _ in range(MAX_CONCURRENT)]

    async def stop(self) -> None:
        # Attempts cut short are due again at once, so the next start makes them first; the
        # store's close() writes their timers.
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for account_id, key in self._busy:
            if (account_id, TIMER, key) in self.store.timers.pending:  # not settled yet
                schedule(self.store.account(account_id), TIMER, key, wall_seconds())
        self._busy.clear()
        if self._session:
            await self._session.close()
        _DELIVERERS.pop(self.store, None)

    def pending(self) -> int:
        """Deliveries still to be made or being made (all of the store's webhook timers)."""
        return sum(1 for key in self.store.timers.pending if key[1] == TIMER)

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._deliver(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug here must not lose the event: log it and try again on the schedule.
                log.exception("webhook delivery failed unexpectedly for %s", job.event_id)
                self._retry_later(job)
            finally:
                self._busy.discard((job.account_id, job.key))

    def _retry_later(self, job: Job) -> None:
        account = self.store.account(job.account_id)
        cancel(account, TIMER, job.key)
        if job.attempt < len(self.delays):
            later = Job(job.account_id, job.event_id, job.endpoint_id, job.attempt + 1, job.tag)
            schedule(account, TIMER, later.key, wall_seconds() + self.delays[job.attempt])
        else:  # out of retries: Stripe gives up too
            self.chaos.forget(job)

    async def _deliver(self, job: Job) -> None:
        account = self.store.account(job.account_id)
        event = account.find(job.event_id)
        endpoint = account.find(job.endpoint_id)
        if event is None or endpoint is None or endpoint.get("deleted"):
            cancel(account, TIMER, job.key)
            return
        if endpoint.get("status") != "enabled":
            self._retry_later(job)
            return
        labels = self.chaos.labels(job)
        self.chaos.sending(job)
        started = time.monotonic()
        status: int | None = None
        error: str | None = "chaos: the first attempt failed on purpose"
        excerpt = ""
        if not self.chaos.fails(job):
            status, error, excerpt = await self._post(event, endpoint, labels)
        attempt = Attempt(status, error, excerpt, time.monotonic() - started, labels)
        self._record(account, job, event, endpoint, attempt)
        if attempt.delivered and not job.tag:
            event["pending_webhooks"] = max(0, int(event.get("pending_webhooks", 1)) - 1)
            account.save(event)
        for held in self.chaos.overtaken(job):  # a later delivery went first: release these
            schedule(account, TIMER, cast(Job, held).key, wall_seconds())
        if attempt.delivered:
            cancel(account, TIMER, job.key)
            self.chaos.forget(job)
        else:
            self._retry_later(job)
        # The attempt, the event and the timer go out with the next commit: an API call's, or
        # one the attempts of the next few turns of the loop share.
        self.store.commit_soon()

    def _client_timeout(self) -> aiohttp.ClientTimeout:
        # One object while the timeout stays the same (tests lower it), not one per attempt.
        if self._timeout_obj is None or self._timeout_obj.total != self.timeout:
            self._timeout_obj = aiohttp.ClientTimeout(total=self.timeout)
        return self._timeout_obj

    async def _post(
        self, event: Obj, endpoint: Obj, labels: list[str]
    ) -> tuple[int | None, str | None, str]:
        """(status, error, start of the answer's body) of one POST to the endpoint."""
        payload = orjson.dumps(event, option=orjson.OPT_INDENT_2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign(payload, endpoint["secret"], wall_now()),
            "Cache-Control": "no-cache",
        }
        if labels:
            headers[CHAOS_HEADER] = "; ".join(labels)
        assert self._session is not None
        try:
            async with self._session.post(
                endpoint["url"],
                data=payload,
                headers=headers,
                allow_redirects=False,
                timeout=self._client_timeout(),
            ) as resp:
                answer = await resp.content.read(_MAX_RESPONSE)
                return resp.status, None, answer[:_EXCERPT].decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}", ""

    def _record(
        self, account: Account, job: Job, event: Obj, endpoint: Obj, attempt: Attempt
    ) -> None:
        # Attempts are objects of the account, outside Stripe's public API (no route lists
        # them): kept with --db so what happened to a delivery can be looked up afterwards.
        account.insert(
            {
                "id": new_id("wha"),
                "object": ATTEMPT,
                "created": wall_now(),
                "event": job.event_id,
                "event_type": event["type"],
                "webhook_endpoint": endpoint["id"],
                "url": endpoint["url"],
                "attempt": job.attempt + 1,
                "status_code": attempt.status,
                "error": attempt.error,
                "duration_ms": round(attempt.seconds * 1000, 1),
                "delivered": attempt.delivered,
                "response_body": attempt.excerpt,
                "chaos": attempt.chaos,
                "resend": job.tag.startswith("r"),
            }
        )
