"""Engines for SQLite (WAL, the default) and PostgreSQL (to scale out)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here; SQLite URLs pass through."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine whose errors never quote bound values: a failed insert would otherwise put a
    whole event payload (names, emails) into the logs."""
    url = normalise_url(url)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True, **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # SQLAlchemy, not the driver, begins transactions (the driver would begin only before the
    # first write, leaving the reads before it outside the transaction): see _begin_immediate.
    dbapi_conn.isolation_level = None
    # WAL lets readers run beside the writer; NORMAL stays durable across app crashes
    # (only an OS crash can lose the last commits); busy_timeout makes writers queue, not fail.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


# An execution option: this connection only reads (see `reading`).
_READS_ONLY = "paydesk_reads_only"


def reading(engine: Engine) -> Connection:
    """A connection for reads alone (pages, GET routes): on SQLite its transaction is a plain
    deferred BEGIN, a snapshot that neither takes the write lock nor waits for it, so readers
    never queue behind the processor or each other. Writes belong in `engine.begin()`."""
    return engine.connect().execution_options(**{_READS_ONLY: True})


def _begin_immediate(conn: Connection) -> None:
    """Every transaction takes SQLite's write lock at its start (queuing behind another
    process's writer for up to busy_timeout), so what it reads stays true until it commits:
    two processes cannot both claim one inbox event, outbox message or refund amount. (A
    deferred transaction that read first could not even wait for the lock: SQLite answers
    "database is locked" at once when its snapshot is stale.) PostgreSQL locks rows instead.

    Reads through `engine.connect()` would take the lock too, for as long as they stay open
    (and a write transaction opened meanwhile in the same thread would wait for itself until
    busy_timeout): every read-only block in the shop uses `reading` instead."""
    reads_only = conn.get_execution_options().get(_READS_ONLY, False)
    # Straight to the driver: SQLAlchemy's statement machinery costs a fifth of an empty
    # transaction, and every inbox write and processor batch is one.
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    driver.execute("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
