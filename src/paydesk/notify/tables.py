from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from paydesk.store.metadata import metadata

# Side effects written in the same transaction as the state change that causes them.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # email
    Column("dedupe_key", String(255), nullable=False, unique=True),  # e.g. email:confirm:<order>
    Column("payload", Text, nullable=False),  # JSON
    # pending | sending (claimed; next_attempt_at is the lease) | sent | dead
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)

# Where mail goes when no SMTP_URL is set: the admin reads it in the app.
mailbox = Table(
    "mailbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, nullable=False, unique=True),
    Column("to_addr", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),  # the text/plain part
    Column("html", Text, nullable=True),  # the text/html part (NULL: kept before it existed)
    Column("created_at", DateTime(timezone=True), nullable=False),
)
