"""The orders as the event handlers see them: `dispatch.OrderBook` over one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from paydesk.context import AppContext
from paydesk.fulfilment.service import Fulfilment, fulfil_sessions
from paydesk.orders.payments import CheckoutSession, PaymentIntent, RefundedCharge
from paydesk.orders.service import expire_session, record_refund
from paydesk.payments import service as payments


class SqlOrderBook:
    def __init__(
        self, conn: Connection, ctx: AppContext, now: datetime, via: str = "webhook"
    ) -> None:
        self._conn, self._ctx, self._now, self._via = conn, ctx, now, via

    def fulfil(self, session: CheckoutSession) -> Fulfilment:
        return fulfil_sessions(self._conn, self._ctx, [session], self._now, via=self._via)

    def expire(self, session: CheckoutSession) -> bool:
        return expire_session(self._conn, session)

    def record_refund(self, charge: RefundedCharge) -> str:
        return record_refund(self._conn, charge)

    def fulfil_intent(self, intent: PaymentIntent) -> Fulfilment:
        return payments.fulfil_intent(self._conn, self._ctx, intent, self._now, via=self._via)

    def intent_failed(self, intent: PaymentIntent) -> str:
        return payments.payment_failed(self._conn, intent)

    def intent_canceled(self, intent: PaymentIntent) -> bool:
        return payments.intent_canceled(self._conn, intent)
