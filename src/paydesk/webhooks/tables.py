from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text

from paydesk.store.metadata import metadata

# An inbox row's life: received -> processed | ignored | failed (retried) -> dead.
EVENT_STATUSES = ("received", "processed", "ignored", "failed", "dead")

# The inbox: every verified delivery, stored before it is acknowledged, unique on Stripe's id.
inbox_events = Table(
    "inbox_events",
    metadata,
    Column("id", String(255), primary_key=True),  # Stripe event id (evt_…)
    Column("type", String(128), nullable=False, index=True),
    Column("object_id", String(255), nullable=True),
    Column("stripe_created", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),  # the raw verified JSON body
    # received -> processed | ignored | failed (retried) -> dead (after MAX_ATTEMPTS)
    Column("status", String(16), nullable=False),  # indexed first in ix_inbox_events_queue
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),  # message and traceback of the last failure
    Column("source", String(16), nullable=False, default="webhook"),  # webhook | reconcile
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    # When a failed event is next tried (backoff); the processor takes due rows oldest first.
    Column("next_attempt_at", DateTime(timezone=True), nullable=True, index=True),
    # The processor's queue: `received` rows in Stripe's order, read a batch at a time without
    # sorting the whole backlog (which made a busy inbox slower the longer its backlog grew).
    Index("ix_inbox_events_queue", "status", "stripe_created", "received_at"),
)
