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

import aiohttp
import orjson

from paydesk.sandbox.account import Account, Obj
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
_LEGACY_QUEUE_STATE = "webhook_queue"  # the whole queue in one blob, before per-job rows
TIMER = "webhook.delivery"
# How long past an attempt's timeout its timer waits before the attempt counts as lost (a crash).
LEASE_MARGIN = 5


def parse_delays(text: str | None) -> list[float]:
    """`60,300,900`: seconds before each retry (fractions allowed); as many retries as numbers."""
    if not text:
        return list(DEFAULT_RETRY_DELAYS)
    delays = [float(part) for part in text.split(",") if part.strip()]
    if any(d < 0 for d in delays):
        raise ValueError("retry delays must be zero or more seconds")
    return delays


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(slots=True)
class Job:
    """One delivery of an event to an endpoint, `attempt` attempts already made."""

    account_id: str
    event_id: str
    endpoint_id: str
    attempt: int = 0

    @property
    def key(self) -> str:
        # The timer's object id: which delivery, and which attempt it is about to make.
        return f"{self.event_id}:{self.endpoint_id}:{self.attempt}"

    @classmethod
    def parse(cls, account_id: str, key: str) -> Job:
        event_id, endpoint_id, attempt = key.split(":")
        return cls(account_id, event_id, endpoint_id, int(attempt))


# Which deliverer sends a store's webhooks (one per running server; none for a bare store).
_DELIVERERS: weakref.WeakKeyDictionary[Store, Deliverer] = weakref.WeakKeyDictionary()


@on_timer(TIMER)
def _deliver_due(account: Account, key: str, now: int) -> None:
    deliverer = _DELIVERERS.get(account.store)
    job = Job.parse(account.id, key)
    if deliverer is None:  # nobody to send it now: keep it for whoever starts next
        schedule(account, TIMER, key, now + LEASE_MARGIN)
        return
    deliverer.begin(account, job)


class Deliverer:
    def __init__(self, store: Store, retry_delays: list[float]) -> None:
        self.store = store
        self.delays = retry_delays
        self._session: aiohttp.ClientSession | None = None
        self._inflight: dict[tuple[str, str], asyncio.Task[None]] = {}  # (account, key) -> attempt
        self._limit = asyncio.Semaphore(MAX_CONCURRENT)
        # Seconds a receiver has to answer; tests lower it to exercise timeouts quickly.
        self.timeout = TIMEOUT_SECONDS
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
            schedule(account, TIMER, Job(account.id, event["id"], endpoint["id"]).key, due)

    def begin(self, account: Account, job: Job) -> None:
        """Start an attempt. Its timer stays, pushed past the attempt's timeout, so a crash
        mid-attempt makes it again after a restart; the outcome replaces or cancels it."""
        schedule(account, TIMER, job.key, wall_seconds() + self.timeout + LEASE_MARGIN)
        running = (account.id, job.key)
        if running in self._inflight:
            return  # still waiting for a free connection: the lease was all it needed
        task = asyncio.create_task(self._attempt(job))
        self._inflight[running] = task
        task.add_done_callback(lambda _task: self._inflight.pop(running, None))

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            connector=aiohttp.TCPConnector(limit=MAX_CONCURRENT),
        )

    async def stop(self) -> None:
        # Attempts cut short are due again at once, so the next start makes them first; the
        # store's close() writes their timers.
        for (account_id, key), task in list(self._inflight.items()):
            task.cancel()
            if (account_id, TIMER, key) in self.store.timers.pending:  # not settled yet
                schedule(self.store.account(account_id), TIMER, key, wall_seconds())
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        if self._session:
            await self._session.close()
        _DELIVERERS.pop(self.store, None)

    def pending(self) -> int:
        """Deliveries still to be made or being made (all of the store's webhook timers)."""
        return sum(1 for key in self.store.timers.pending if key[1] == TIMER)

    async def _attempt(self, job: Job) -> None:
        async with self._limit:
            try:
                await self._deliver(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug here must not lose the event: log it and try again on the schedule.
                log.exception("webhook delivery failed unexpectedly for %s", job.event_id)
                self._retry_later(job)

    def _retry_later(self, job: Job) -> None:
        account = self.store.account(job.account_id)
        cancel(account, TIMER, job.key)
        if job.attempt < len(self.delays):
            later = Job(job.account_id, job.event_id, job.endpoint_id, job.attempt + 1)
            schedule(account, TIMER, later.key, wall_seconds() + self.delays[job.attempt])
        # else out of retries: Stripe gives up too

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
        payload = orjson.dumps(event, option=orjson.OPT_INDENT_2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign(payload, endpoint["secret"], wall_now()),
            "Cache-Control": "no-cache",
        }
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        assert self._session is not None
        try:
            async with self._session.post(
                endpoint["url"],
                data=payload,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                status = resp.status
                await resp.content.read(_MAX_RESPONSE)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivered = status is not None and 200 <= status < 300
        self._record(account, job, event, endpoint, status, error, time.monotonic() - started)
        if delivered:
            event["pending_webhooks"] = max(0, int(event.get("pending_webhooks", 1)) - 1)
            account.save(event)
            cancel(account, TIMER, job.key)
        else:
            self._retry_later(job)
        # The attempt, the event and the job row go out with the next group commit, shared
        # with the API calls and other attempts of the same turn of the loop.
        await self.store.committed()

    def _record(
        self,
        account: Account,
        job: Job,
        event: Obj,
        endpoint: Obj,
        status: int | None,
        error: str | None,
        seconds: float,
    ) -> None:
        # Attempts are objects of the account, outside Stripe's public API (no route lists
        # them): kept with --db so what happened to a delivery can be looked up afterwards.
        account.insert(
            {
                "id": new_id("wha"),
                "object": "webhook_attempt",
                "created": wall_now(),
                "event": job.event_id,
                "event_type": event["type"],
                "webhook_endpoint": endpoint["id"],
                "url": endpoint["url"],
                "attempt": job.attempt + 1,
                "status_code": status,
                "error": error,
                "duration_ms": round(seconds * 1000, 1),
                "delivered": status is not None and 200 <= status < 300,
            }
        )
