"""INSERT … ON CONFLICT DO NOTHING for both SQLite and PostgreSQL (dedupe on a unique key)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, object]]) -> None:
    """Insert rows, silently skipping any whose unique key already exists."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), list(rows))


def insert_ignore_one(conn: Connection, table: Table, row: Mapping[str, object]) -> bool:
    """Insert one row unless its unique key exists; True when this call inserted it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: drivers differ on rowcount when an INSERT returns generated keys.
    key = next(iter(table.primary_key.columns))
    stmt = dialect.insert(table).values(**row).on_conflict_do_nothing().returning(key)
    return conn.execute(stmt).first() is not None
