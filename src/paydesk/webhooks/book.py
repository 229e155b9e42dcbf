"""The orders as the event handlers see them: `dispatch.OrderBook` over one transaction."""

from __future__ import annotations

from sqlalchemy import Connection

from paydesk.context import AppContext
from paydesk.fulfilment.service import Fulfilment, fulfil_sessions
from paydesk.orders.payments import CheckoutSession, RefundedCharge
from paydesk.orders.service import expire_session, record_refund


class SqlOrderBook:
    def __init__(self, conn: Connection, ctx: AppContext, via: str = "webhook") -> None:
        self._conn, self._ctx, self._via = conn, ctx, via

    def fulfil(self, sessions: list[CheckoutSession]) -> Fulfilment:
        return fulfil_sessions(self._conn, self._ctx, sessions, via=self._via)

    def expire(self, session: CheckoutSession) -> bool:
        return expire_session(self._conn, session)

    def record_refund(self, charge: RefundedCharge) -> str:
        return record_refund(self._conn, charge)
