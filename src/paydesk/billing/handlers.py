"""The billing side of the shop as the event handlers see it (`dispatch.Billing`), over the
processor's transaction for one event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from paydesk.billing import service
from paydesk.billing.parse import InvoiceInfo, SubscriptionInfo
from paydesk.context import AppContext


class SqlBilling:
    def __init__(self, conn: Connection, ctx: AppContext) -> None:
        self._conn, self._ctx = conn, ctx

    def subscription_changed(self, sub: SubscriptionInfo, created: int) -> str | None:
        return service.on_subscription(self._conn, self._ctx, sub, created)

    def trial_ending(self, sub: SubscriptionInfo, created: int) -> str | None:
        return service.on_trial_will_end(self._conn, self._ctx, sub, created)

    def invoice_changed(self, kind: str, invoice: InvoiceInfo, created: int) -> str | None:
        return service.on_invoice(self._conn, self._ctx, kind, invoice, created)

    def clock_ready(self, clock_id: str, frozen: datetime) -> None:
        service.on_clock_ready(self._conn, self._ctx, clock_id, frozen)
