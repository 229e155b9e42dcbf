from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from paydesk.store.metadata import metadata

# The shop's own record of each Stripe customer it made, so a customer is created once (with an
# idempotency key from `id`) and found again by email without a Stripe search.
billing_customers = Table(
    "billing_customers",
    metadata,
    Column("id", String(40), primary_key=True),  # ours: bcu_…
    Column("email", String(320), nullable=False, unique=True),  # lower-cased
    Column("stripe_customer_id", String(64), nullable=True, unique=True),
    Column("test_clock_id", String(64), nullable=True, index=True),  # sandbox mode only
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per Stripe subscription: the entitlement. Changed only by verified events (or by
# re-reading the subscription from Stripe when an event is older than what the row holds).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(64), primary_key=True),  # sub_…
    Column("customer_id", String(64), nullable=False, index=True),  # cus_…
    Column("email", String(320), nullable=False),
    Column("plan_id", String(64), nullable=True),
    Column("status", String(24), nullable=False),
    Column("quantity", Integer, nullable=False, default=1),
    Column("unit_amount", Integer, nullable=True),  # minor units per interval
    Column("currency", String(3), nullable=True),
    Column("interval", String(8), nullable=True),
    Column("interval_count", Integer, nullable=True),
    Column("current_period_end", DateTime(timezone=True), nullable=True),
    Column("trial_end", DateTime(timezone=True), nullable=True),
    Column("cancel_at_period_end", Boolean, nullable=False, default=False),
    Column("grace_until", DateTime(timezone=True), nullable=True),
    # The latest time this subscription's world has reached: its test clock runs ahead of ours.
    Column("clock_time", DateTime(timezone=True), nullable=True),
    Column("test_clock_id", String(64), nullable=True, index=True),
    Column("latest_invoice_id", String(64), nullable=True),
    # `created` of the newest event applied (Stripe's seconds): older ones never move the row.
    Column("event_created", Integer, nullable=False, default=0),
    Column("access", Boolean, nullable=False, default=False),  # as of the last change
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # GET /api/entitlements/{email}: every subscription of an email in one index range.
    Index("ix_subscriptions_email", "email"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(64), primary_key=True),  # in_…
    Column("customer_id", String(64), nullable=False, index=True),
    Column("email", String(320), nullable=True, index=True),
    Column("subscription_id", String(64), nullable=True, index=True),
    Column("number", String(64), nullable=True),
    Column("status", String(24), nullable=False),  # draft | open | paid | void | uncollectible
    Column("currency", String(3), nullable=False),
    Column("amount_due", Integer, nullable=False),
    Column("amount_paid", Integer, nullable=False, default=0),
    Column("attempt_count", Integer, nullable=False, default=0),
    Column("billing_reason", String(40), nullable=True),
    Column("hosted_invoice_url", Text, nullable=True),
    Column("invoice_pdf", Text, nullable=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    # Paid after at least one failed attempt: revenue that dunning won back.
    Column("recovered", Boolean, nullable=False, default=False),
    Column("event_created", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Admin API requests, idempotent on their Idempotency-Key header: the first answer is kept and
# replayed; the Stripe calls behind them carry keys derived from `id`.
admin_requests = Table(
    "admin_requests",
    metadata,
    Column("id", String(40), primary_key=True),  # ours: areq_…
    Column("idempotency_key", String(255), nullable=False, unique=True),  # scope + header
    Column("fingerprint", String(64), nullable=False),  # sha256 of the request body
    Column("status_code", SmallInteger, nullable=True),  # NULL while in flight
    Column("response", Text, nullable=True),  # JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
)
