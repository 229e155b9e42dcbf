"""`column IN (values)` written so that PostgreSQL sees one statement whatever the count.

SQLAlchemy expands `in_()` into one placeholder per value, so a batch of 100 and one of 97 are
different statements: psycopg parses each anew (a measurable share of the processor's time)
and PostgreSQL plans each anew. `= ANY(:array)` is one parameter, so the text stays the same,
psycopg's query cache hits and it prepares the statement server-side after a few uses. SQLite
is in-process and has no arrays: it keeps `IN`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

T = TypeVar("T")


def among(
    conn: Connection, column: ColumnElement[T], values: Iterable[T]
) -> ColumnElement[bool]:
    items = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, items, type_=ARRAY(column.type)))
    return column.in_(items)
