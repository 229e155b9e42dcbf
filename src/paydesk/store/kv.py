"""A small key/value table for values the app makes once and keeps (e.g. its signing key)."""

from collections.abc import Callable

from sqlalchemy import Column, Engine, String, Table, Text, select, update
from sqlalchemy.exc import IntegrityError

from paydesk.store.engine import reading
from paydesk.store.metadata import metadata

kv = Table(
    "kv",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def kept(engine: Engine, name: str, make: Callable[[], str]) -> str:
    """The value kept under `name`, made by `make()` and stored the first time it is asked for.

    Several instances may start at once: the first insert wins and everybody reads that one."""
    found = read(engine, name)
    if found is not None:
        return found
    try:
        with engine.begin() as conn:
            conn.execute(kv.insert().values(key=name, value=make()))
    except IntegrityError:
        pass  # another instance made it first: use theirs
    value = read(engine, name)
    assert value is not None
    return value


def read(engine: Engine, name: str) -> str | None:
    with reading(engine) as conn:
        found = conn.execute(select(kv.c.value).where(kv.c.key == name)).scalar()
    return None if found is None else str(found)


def write(engine: Engine, name: str, value: str) -> None:
    with engine.begin() as conn:
        if conn.execute(update(kv).where(kv.c.key == name).values(value=value)).rowcount == 0:
            conn.execute(kv.insert().values(key=name, value=value))
