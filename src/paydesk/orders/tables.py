from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from paydesk.store.metadata import metadata

orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),  # unguessable: "ord_" + 22 url-safe chars
    # pending | paid | fulfilled | expired | partially_refunded | refunded
    Column("status", String(24), nullable=False, index=True),
    Column("email", String(320), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("amount_total", Integer, nullable=False),
    Column("amount_refunded", Integer, nullable=False, default=0),
    # reserved (at checkout) -> committed (paid) | released (expired)
    Column("stock_state", String(16), nullable=False, default="reserved"),
    Column("checkout_session_id", String(255), nullable=True, unique=True),
    Column("payment_intent_id", String(255), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("fulfilled_at", DateTime(timezone=True), nullable=True),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=False, index=True),
    Column("product_id", String(64), ForeignKey("products.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit_amount", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
)
