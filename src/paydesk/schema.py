"""The schema: every table of the shop, for Alembic and tests. The store imports no domain;
this module sits above them all and imports each one's tables."""

from paydesk.admin.tables import admin_sessions
from paydesk.billing.tables import admin_requests, billing_customers, invoices, subscriptions
from paydesk.catalog.tables import products
from paydesk.fulfilment.tables import access_grants
from paydesk.notify.tables import mailbox, outbox
from paydesk.orders.tables import order_items, orders
from paydesk.refunds.tables import refund_requests
from paydesk.store.kv import kv
from paydesk.store.metadata import metadata
from paydesk.webhooks.tables import inbox_events

__all__ = [
    "access_grants", "admin_requests", "admin_sessions", "billing_customers", "invoices",
    "subscriptions", "inbox_events", "kv", "mailbox", "metadata", "order_items", "orders",
    "outbox", "products", "refund_requests",
]
