"""Webhook delivery: sign each event as Stripe does and POST it to every matching endpoint,
retrying on the configured schedule. Runs beside the API on the same event loop and never
blocks the call that caused the event.

As on Stripe: the endpoints are chosen when the event happens (one created later never gets it);
a disabled endpoint is skipped but its retries stay scheduled (re-enabling it resumes them); a
deleted one ends them; a redirect is a failure. With `--db` each pending delivery is a row,
written with the store's group commit (the first one in the same transaction as its event) and
removed once delivered or given up, so a backlog costs nothing per attempt; an attempt cut short
keeps its row and is made again on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import now
from paydesk.sandbox.ids import new_id
from paydesk.sandbox.store import Store

log = logging.getLogger("paydesk.sandbox.delivery")

# Stripe retries for up to three days with growing gaps; the same shape, compressed to minutes.
DEFAULT_RETRY_DELAYS = [10.0, 30.0, 60.0, 120.0, 300.0, 600.0]
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
TIMEOUT_SECONDS = 10.0
MAX_CONCURRENT = 32
_MAX_RESPONSE = 64 * 1024  # read (and ignore) at most this much of a receiver's answer
_LEGACY_QUEUE_STATE = "webhook_queue"  # the whole queue in one blob, before per-job rows


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


@dataclass(order=True)
class Job:
    due: float
    seq: int
    account_id: str = field(compare=False)
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    attempt: int = field(compare=False, default=0)  # attempts already made

    @property
    def key(self) -> str:
        return f"{self.event_id}:{self.endpoint_id}"

    def row(self) -> list[Any]:
        return [self.due, self.account_id, self.event_id, self.endpoint_id, self.attempt]


class Deliverer:
    def __init__(self, store: Store, retry_delays: list[float]) -> None:
        self.store = store
        self.delays = retry_delays
        self._heap: list[Job] = []
        self._seq = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._inflight: dict[asyncio.Task[None], Job] = {}
        self._limit = asyncio.Semaphore(MAX_CONCURRENT)
        # Seconds a receiver has to answer; tests lower it to exercise timeouts quickly.
        self.timeout = TIMEOUT_SECONDS
        store.listeners.append(self.enqueue)
        for saved in store.load_jobs():
            self._push(Job(saved[0], 0, saved[1], saved[2], saved[3], saved[4]))
        legacy = store.load_state(_LEGACY_QUEUE_STATE)
        if legacy:  # a database from before per-job rows: move its queue over once
            for saved in legacy:
                job = Job(saved[0], 0, saved[1], saved[2], saved[3], saved[4])
                self._push(job)
                self._save(job)
            store.save_state(_LEGACY_QUEUE_STATE, [])
            store.flush()

    # Called synchronously from Account.emit, inside whatever request caused the event.
    def enqueue(self, account: Account, event: Obj, endpoints: list[Obj]) -> None:
        for endpoint in endpoints:
            job = Job(time.time(), 0, account.id, event["id"], endpoint["id"])
            self._push(job)
            self._save(job)  # flushed with the call that emitted the event
        if endpoints:
            self._wake.set()

    def _save(self, job: Job) -> None:
        self.store.save_job(job.key, job.row())

    def _drop(self, job: Job) -> None:
        self.store.save_job(job.key, None)

    def _push(self, job: Job) -> None:
        self._seq += 1
        job.seq = self._seq
        heapq.heappush(self._heap, job)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            connector=aiohttp.TCPConnector(limit=MAX_CONCURRENT),
        )
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Attempts cut short keep their row (due already), so the next start makes them again;
        # the store's close() writes whatever is still unflushed.
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._session:
            await self._session.close()

    def pending(self) -> int:
        return len(self._heap) + len(self._inflight)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            current = time.time()
            while self._heap and self._heap[0].due <= current:
                job = heapq.heappop(self._heap)
                await self._limit.acquire()
                task = asyncio.create_task(self._attempt(job))
                self._inflight[task] = job
                task.add_done_callback(self._done)
            timeout = max(0.0, self._heap[0].due - time.time()) if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled():
            self._inflight.pop(task, None)

    async def _attempt(self, job: Job) -> None:
        try:
            await self._deliver(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug here must not lose the event: log it and try again on the schedule.
            log.exception("webhook delivery failed unexpectedly for %s", job.event_id)
            self._retry_later(job)
        finally:
            self._limit.release()

    def _retry_later(self, job: Job) -> None:
        if job.attempt < len(self.delays):
            job.due = time.time() + self.delays[job.attempt]
            job.attempt += 1
            self._push(job)
            self._save(job)
            self._wake.set()
        else:
            self._drop(job)  # out of retries: Stripe gives up too

    async def _deliver(self, job: Job) -> None:
        account = self.store.account(job.account_id)
        event = account.find(job.event_id)
        endpoint = account.find(job.endpoint_id)
        if event is None or endpoint is None or endpoint.get("deleted"):
            self._drop(job)
            self._finish(job)
            return
        if endpoint.get("status") != "enabled":
            self._retry_later(job)
            self._finish(job)
            return
        payload = orjson.dumps(event, option=orjson.OPT_INDENT_2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign(payload, endpoint["secret"], int(time.time())),
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
            self._drop(job)
        else:
            self._retry_later(job)
        self._finish(job)
        # The attempt, the event and the job row go out with the next group commit, shared
        # with the API calls and other attempts of the same turn of the loop.
        await self.store.committed()

    def _finish(self, job: Job) -> None:
        for task, running in list(self._inflight.items()):
            if running is job:
                del self._inflight[task]

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
                "created": now(),
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
