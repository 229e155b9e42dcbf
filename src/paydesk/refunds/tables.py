from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from paydesk.store.metadata import metadata

refund_requests = Table(
    "refund_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=False, index=True),
    # 1, 2, … per order: the n of the Stripe idempotency key `refund:<order_id>:<n>`.
    Column("n", Integer, nullable=False),
    # The token of the form (or CLI call) that asked: a resubmit finds its request by it.
    Column("request_token", String(64), nullable=False, unique=True),
    Column("amount", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(32), nullable=True),
    # requested (sent, or about to be) -> succeeded | failed
    Column("status", String(16), nullable=False),
    Column("stripe_refund_id", String(255), nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("order_id", "n"),
)
