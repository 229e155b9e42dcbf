"""On SQLite every transaction of the shop's engine holds the write lock from its first
statement (BEGIN IMMEDIATE): what it reads, no other process changes before it commits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from paydesk.store.engine import make_engine, reading


def _other_process_can_write(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()
    return True


def test_a_transaction_that_only_reads_so_far_already_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
            assert not _other_process_can_write(path)
            # Readers are not blocked (WAL).
            reader = sqlite3.connect(path, timeout=0)
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
            reader.close()
        assert _other_process_can_write(path)  # released at commit
    finally:
        engine.dispose()


def test_a_reading_connection_takes_no_lock_and_reads_one_snapshot(tmp_path: Path) -> None:
    """The pages' reads (`reading`) never hold up a writer, nor wait for one."""
    path = tmp_path / "shop.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        with reading(engine) as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
            assert _other_process_can_write(path)
            writer = sqlite3.connect(path, timeout=0, isolation_level=None)
            writer.execute("INSERT INTO t VALUES (1)")
            writer.close()
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0  # its snapshot
        with engine.connect() as conn:  # the default still locks
            conn.execute(text("SELECT 1"))
            assert not _other_process_can_write(path)
    finally:
        engine.dispose()


def test_savepoints_roll_back_inside_the_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            with pytest.raises(RuntimeError), conn.begin_nested():
                conn.execute(text("INSERT INTO t VALUES (2)"))
                raise RuntimeError("undo the savepoint only")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM t")).scalars().all() == [1]
    finally:
        engine.dispose()
