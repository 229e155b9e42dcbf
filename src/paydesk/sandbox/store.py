"""Every account's state, in memory, optionally kept in SQLite (`--db PATH`).

Reads never touch the disk. Each API call marks what it changed and `flush()` writes exactly
those rows in one transaction before the response goes out, so the cost of a call does not grow
with the size of the store. Under concurrent load, calls handled in the same turn of the event
loop share that transaction (`committed()`: group commit), and none answers before it is done.

Each call's rows are serialised on their own (a `_Batch`) before they join the group, and a
group whose transaction fails is written again call by call: one call's bad row fails that call
alone, never its neighbours', and an idempotency record is only kept once it is on disk.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from paydesk.sandbox.account import Account, IdempotencyRecord, Obj
from paydesk.sandbox.clock import wall_now
from paydesk.sandbox.keys import account_id_for_key
from paydesk.sandbox.timers import Row, TimerQueue

log = logging.getLogger("paydesk.sandbox.store")

EventListener = Callable[[Account, Obj, list[Obj]], None]

IDEMPOTENCY_TTL = 24 * 3600
CHECKPOINT_SECONDS = 0.5
WAL_RESTART_FRAMES = 16384  # 64 MB of 4 KB pages
LATER_SECONDS = 0.02  # how soon commit_soon's changes are on disk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, account TEXT NOT NULL, type TEXT NOT NULL,
    data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL, key TEXT NOT NULL, created INTEGER NOT NULL,
    fingerprint BLOB NOT NULL, status INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (account, key));
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_jobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS timers (
    seq INTEGER PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, object_id TEXT NOT NULL,
    due_at NUMERIC NOT NULL, clock TEXT);
"""


@dataclass(slots=True)
class _Batch:
    """One call's changes, already serialised: what a single transaction writes for it."""

    rows: list[tuple[int, str, str, str, bytes]]
    idem_rows: list[tuple[str, str, int, bytes, int, bytes]]
    jobs: list[tuple[str, bytes | None]]
    timers: dict[int, Row | None]  # by seq; None: the timer is gone (fired or replaced)
    # The records this batch makes replayable: taken back from memory if it cannot be written.
    idem: list[tuple[Account, str, IdempotencyRecord]]
    done: asyncio.Future[None] | None = field(default=None)


class PersistError(Exception):
    """A call's changes could not be written (nothing else's were affected)."""


class Store:
    def __init__(self, db_path: str | None = None) -> None:
        self.accounts: dict[str, Account] = {}
        # Where the server listens: the base of hosted URLs until an account's own request says.
        self.base_url = "http://127.0.0.1:12111"
        self.index: dict[str, Account] = {}  # object id -> owning account (hosted pages)
        self._seq = 0
        self._dirty: dict[str, tuple[Account, Obj]] = {}
        self._dirty_idem: list[tuple[Account, str, IdempotencyRecord]] = []
        self._dirty_jobs: dict[str, Any] = {}  # webhook delivery key -> row, None to delete
        self.listeners: list[EventListener] = []
        self.timers = TimerQueue()
        # True when this database predates the timer queue: what it had pending (open Checkout
        # Sessions, pending funds) is scheduled once at start by the modules that own it.
        self.timers_are_new = False
        self.lock = threading.RLock()  # for callers outside the event loop (tests, CLI)
        self._db: sqlite3.Connection | None = None
        self._pending: list[_Batch] = []  # sealed calls waiting for the next group commit
        self._group: asyncio.Future[None] | None = None  # resolves once that commit is over
        self._checkpointer: _Checkpointer | None = None
        self._later: asyncio.TimerHandle | None = None  # commit_soon's pending write
        if db_path:
            self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # A page cache that holds the hot b-tree pages of a big store (idempotency keys land
            # on random pages): without it a commit re-read pages the bigger the store grew.
            self._db.execute("PRAGMA cache_size=-131072")
            self.timers_are_new = not _has_table(self._db, "timers")
            _keyed_timers_to_seq(self._db)
            self._db.executescript(_SCHEMA)
            self._load()
        self.card_secret = self._card_secret()
        if self._db is not None and db_path:
            # Checkpoints copy the WAL into the database file; done inside a commit they made
            # the p99 of a call ten times its median, so a thread of its own does them.
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(db_path)
            self._checkpointer.start()

    # -- accounts ----------------------------------------------------------------------------

    def account_for_key(self, secret_key: str) -> Account:
        return self.account(account_id_for_key(secret_key))

    def _card_secret(self) -> bytes:
        """The key card fingerprints are made with, kept with the store so a card keeps its
        fingerprint across restarts, and never served: without it a fingerprint cannot be
        turned back into a card number by hashing every candidate."""
        kept = self.load_state("card_secret")
        if isinstance(kept, str):
            return bytes.fromhex(kept)
        secret = secrets.token_bytes(32)
        self.save_state("card_secret", secret.hex())
        return secret

    def account(self, account_id: str) -> Account:
        acct = self.accounts.get(account_id)
        if acct is None:
            acct = self.accounts[account_id] = Account(self, account_id)
        return acct

    def owner(self, obj_id: str) -> Account | None:
        return self.index.get(obj_id)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- events ------------------------------------------------------------------------------

    def publish(self, account: Account, event: Obj, endpoints: list[Obj]) -> None:
        for listener in self.listeners:
            listener(account, event, endpoints)

    # -- persistence -------------------------------------------------------------------------

    def mark_dirty(self, account: Account, obj: Obj) -> None:
        self._dirty[obj["id"]] = (account, obj)

    def remember(self, account: Account, key: str, record: IdempotencyRecord) -> None:
        account.idempotency[key] = record
        self._dirty_idem.append((account, key, record))

    def take_legacy_jobs(self) -> list[Any]:
        """Webhook deliveries kept by a sandbox from before the timer queue (one row each),
        removed with the next flush: their owner schedules them as timers instead."""
        if self._db is None:
            return []
        rows = self._db.execute("SELECT key, data FROM webhook_jobs").fetchall()
        for key, _data in rows:
            self._dirty_jobs[key] = None
        return [orjson.loads(data) for _key, data in rows]

    def idempotent(self, account: Account, key: str) -> IdempotencyRecord | None:
        record = account.idempotency.get(key)
        if record is not None and record.created < wall_now() - IDEMPOTENCY_TTL:
            del account.idempotency[key]
            return None
        return record

    async def committed(self) -> None:
        """Return once everything changed so far is on disk; raise PersistError if this call's
        own changes could not be written.

        A commit per call was a third of a PaymentIntent confirm; instead the first call to
        finish in a turn of the event loop schedules one flush for the next turn, and the calls
        that finish meanwhile join it. A call that changed nothing still waits for a pending
        flush, so it never shows a client state that is not yet durable.
        """
        if self._db is None:
            self.flush()
            return
        batch = self._seal()
        if batch is None and self._group is None:
            return
        loop = asyncio.get_running_loop()
        if self._group is None:
            self._group = loop.create_future()
            loop.call_soon(self._group_flush)
        group = self._group
        if batch is None:
            await asyncio.shield(group)
            return
        batch.done = loop.create_future()
        self._pending.append(batch)
        # Shielded: a client that hangs up must not cancel the flush other calls wait for.
        await asyncio.shield(batch.done)

    def commit_soon(self) -> None:
        """Write what changed within LATER_SECONDS, with nobody waiting: for changes no caller
        answers for (webhook attempts), so the attempts of many turns of the loop share one
        transaction instead of joining one each."""
        if self._db is None:
            self.flush()
        elif self._later is None:
            self._later = asyncio.get_running_loop().call_later(LATER_SECONDS, self._write_later)

    def _write_later(self) -> None:
        self._later = None
        try:
            self.flush()
        except PersistError:
            log.exception("sandbox changes not stored (webhook delivery records)")

    def _group_flush(self) -> None:
        group, self._group = self._group, None
        self._drain()
        if group is not None:
            group.set_result(None)

    def flush(self) -> None:
        """Write what changed since the last flush (and every sealed call before it)."""
        batch = self._seal() if self._db is not None else None
        if self._db is None:
            self._take_dirty()
            return
        if batch is not None:
            self._pending.append(batch)
        errors = self._drain()
        if batch is not None and id(batch) in errors:
            raise errors[id(batch)]

    def _take_dirty(
        self,
    ) -> tuple[
        dict[str, tuple[Account, Obj]],
        list[tuple[Account, str, IdempotencyRecord]],
        dict[str, Any],
        dict[int, Row | None],
    ]:
        taken = (self._dirty, self._dirty_idem, self._dirty_jobs, self.timers.take_dirty())
        self._dirty, self._dirty_idem, self._dirty_jobs = {}, [], {}
        return taken

    def _seal(self) -> _Batch | None:
        """This call's changes as rows, or PersistError (and none of them kept) if one cannot
        be serialised: a bad value must fail its own call here, not the group's transaction."""
        if not (self._dirty or self._dirty_idem or self._dirty_jobs or self.timers.dirty):
            return None
        dirty, dirty_idem, dirty_jobs, dirty_timers = self._take_dirty()
        try:
            # Keyed by creation sequence, not by the random id: new rows append at the end of
            # the b-tree instead of dirtying a random index page each (2-3x cheaper commits).
            rows = [
                (acct.seq[obj_id], obj_id, acct.id, obj.get("object", ""), orjson.dumps(obj))
                for obj_id, (acct, obj) in dirty.items()
            ]
            jobs = [
                (key, None if row is None else orjson.dumps(row)) for key, row in dirty_jobs.items()
            ]
        except (TypeError, orjson.JSONEncodeError) as error:
            _forget(dirty_idem)
            raise PersistError(f"the changes could not be stored: {error}") from error
        idem_rows = [
            (acct.id, key, rec.created, rec.fingerprint, rec.status, rec.body)
            for acct, key, rec in dirty_idem
        ]
        return _Batch(rows, idem_rows, jobs, dirty_timers, dirty_idem)

    def _drain(self) -> dict[int, BaseException]:
        """Write every sealed batch: all in one transaction, or, if that fails, each in its
        own so only the batch at fault fails. Returns the failures by batch identity."""
        batches, self._pending = self._pending, []
        if not batches:
            return {}
        errors: dict[int, BaseException] = {}
        try:
            self._write(batches)
        except Exception:  # noqa: BLE001 - someone's batch is bad: find whose
            for batch in batches:
                try:
                    self._write([batch])
                except Exception as error:  # noqa: BLE001 - that call answers with it
                    _forget(batch.idem)
                    errors[id(batch)] = PersistError(f"the changes could not be stored: {error}")
        for batch in batches:
            if batch.done is None or batch.done.done():
                continue
            failure = errors.get(id(batch))
            if failure is None:
                batch.done.set_result(None)
            else:
                batch.done.set_exception(failure)
        return errors

    def _write(self, batches: list[_Batch]) -> None:
        db = self._db
        assert db is not None
        db.execute("BEGIN")
        try:
            for batch in batches:
                db.executemany(
                    "INSERT INTO objects (seq, id, account, type, data) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(seq) DO UPDATE SET data = excluded.data",
                    batch.rows,
                )
                if batch.idem_rows:
                    db.executemany(
                        "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                        batch.idem_rows,
                    )
                if batch.jobs:
                    _write_jobs(db, batch.jobs)
                if batch.timers:
                    _write_timers(db, batch.timers)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def save_state(self, name: str, value: Any) -> None:
        """Small named blobs (e.g. the webhook retry queue) kept beside the objects."""
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO state VALUES (?, ?)", (name, orjson.dumps(value))
            )

    def load_state(self, name: str) -> Any:
        if self._db is None:
            return None
        row = self._db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def purge_idempotency(self) -> None:
        cutoff = wall_now() - IDEMPOTENCY_TTL
        for acct in self.accounts.values():
            for key in [k for k, r in acct.idempotency.items() if r.created < cutoff]:
                del acct.idempotency[key]
        if self._db is not None:
            self._db.execute("DELETE FROM idempotency WHERE created < ?", (cutoff,))

    def _load(self) -> None:
        # Hundreds of thousands of acyclic dicts: the cyclic GC rescanning them as they pile
        # up made start-up twice as slow, for nothing to collect.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_rows()
        finally:
            if was_enabled:
                gc.enable()

    def _load_rows(self) -> None:
        assert self._db is not None
        cursor = self._db.execute("SELECT account, seq, data FROM objects ORDER BY seq")
        for account_id, seq, data in cursor:
            self.account(account_id).load(orjson.loads(data), seq)
            self._seq = max(self._seq, seq)
        for seq, account_id, kind, object_id, due_at, clock in self._db.execute(
            "SELECT seq, account, kind, object_id, due_at, clock FROM timers ORDER BY seq"
        ):
            self.timers.put((account_id, kind, object_id), due_at, clock, persist=False, seq=seq)
        cutoff = wall_now() - IDEMPOTENCY_TTL
        for account_id, key, created, fingerprint, status, body in self._db.execute(
            "SELECT account, key, created, fingerprint, status, body FROM idempotency "
            "WHERE created >= ?",
            (cutoff,),
        ):
            self.account(account_id).idempotency[key] = IdempotencyRecord(
                created, fingerprint, status, body
            )

    def close(self) -> None:
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._db is not None:
            self.flush()
            self._db.close()  # the last connection to close checkpoints the rest
            self._db = None


def _write_jobs(db: sqlite3.Connection, jobs: list[tuple[str, bytes | None]]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO webhook_jobs VALUES (?, ?)",
        [(key, data) for key, data in jobs if data is not None],
    )
    db.executemany("DELETE FROM webhook_jobs WHERE key = ?", [(k,) for k, d in jobs if d is None])


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def _keyed_timers_to_seq(db: sqlite3.Connection) -> None:
    """A timers table keyed by (account, kind, object_id), as the first timer queue kept it,
    becomes one keyed by sequence, its rows kept."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(timers)")]
    if not columns or "seq" in columns:
        return
    db.execute("ALTER TABLE timers RENAME TO timers_by_key")
    db.executescript(_SCHEMA)
    db.execute(
        "INSERT INTO timers (account, kind, object_id, due_at, clock) "
        "SELECT account, kind, object_id, due_at, clock FROM timers_by_key"
    )
    db.execute("DROP TABLE timers_by_key")


def _write_timers(db: sqlite3.Connection, timers: dict[int, Row | None]) -> None:
    upserts = [row for row in timers.values() if row is not None]
    gone = [(seq,) for seq, row in timers.items() if row is None]
    if upserts:
        db.executemany("INSERT OR REPLACE INTO timers VALUES (?, ?, ?, ?, ?, ?)", upserts)
    if gone:
        db.executemany("DELETE FROM timers WHERE seq = ?", gone)


def _forget(records: list[tuple[Account, str, IdempotencyRecord]]) -> None:
    """Take back idempotency records whose call was not stored: a retry must run again rather
    than replay an answer the store never kept."""
    for account, key, record in records:
        if account.idempotency.get(key) is record:
            del account.idempotency[key]


class _Checkpointer(threading.Thread):
    """Moves the WAL into the database file off the event loop (sqlite releases the GIL)."""

    def __init__(self, db_path: str) -> None:
        super().__init__(name="paydesk-sandbox-checkpoint", daemon=True)
        self._path = db_path
        self._stopping = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        try:
            while not self._stopping.wait(CHECKPOINT_SECONDS):
                # PASSIVE never blocks the writer; what it cannot copy now waits for next time.
                _busy, frames, _copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames > WAL_RESTART_FRAMES:
                    # The WAL starts over only when a checkpoint catches up with the writer,
                    # which under sustained load never happens: it grew 50 MB/s in the
                    # benchmark. Right after the passive pass little is left to copy, so this
                    # blocking one is short, and the file starts over from zero.
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)
