from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text

from paydesk.store.metadata import metadata

products = Table(
    "products",
    metadata,
    Column("id", String(64), primary_key=True),  # our own slug, e.g. "coffee-beans"
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("unit_amount", Integer, nullable=False),  # minor units
    Column("currency", String(3), nullable=False),
    Column("stock", Integer, nullable=True),  # NULL = unlimited; else units still available
    # physical | digital | recurring (a plan: billed every interval_count intervals)
    Column("type", String(16), nullable=False, default="physical"),
    Column("resource", Text, nullable=True),  # what access grants for a digital product
    Column("interval", String(8), nullable=True),  # plans: day | week | month | year
    Column("interval_count", Integer, nullable=True),
    Column("trial_days", Integer, nullable=True),
    Column("stripe_product_id", String(64), nullable=True),
    Column("stripe_price_id", String(64), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)
