"""POST /api/payment-intents: the request is checkout's cart; the answer is what Stripe.js needs."""

from __future__ import annotations

from pydantic import BaseModel


class PaymentIntentOut(BaseModel):
    order_id: str
    client_secret: str
    publishable_key: str
