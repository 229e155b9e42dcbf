"""A small key/value table for values the app makes once and keeps (e.g. its signing key)."""

from sqlalchemy import Column, String, Table, Text

from paydesk.store.metadata import metadata

kv = Table(
    "kv",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
