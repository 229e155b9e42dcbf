from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint

from paydesk.store.metadata import metadata

# One row per purchased digital resource of a paid order; the link itself is signed.
access_grants = Table(
    "access_grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=False, index=True),
    Column("product_id", String(64), ForeignKey("products.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("order_id", "product_id"),
)
