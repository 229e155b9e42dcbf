"""The checkout API's requests and responses.

Requests ignore fields they do not know: a client may send a price, and it is never read.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from paydesk.checkout.limits import MAX_LINES, MAX_QUANTITY
from paydesk.core.address import MAX_LENGTH, one_address

ProductId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
# One mailbox (not a list, no display name, no CR/LF): it becomes an SMTP recipient.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_LENGTH),
    AfterValidator(one_address),
]


class CartItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    product_id: ProductId
    quantity: Quantity = 1


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: Annotated[list[CartItem], Field(min_length=1, max_length=MAX_LINES)]
    email: Email | None = None


class CheckoutOut(BaseModel):
    order_id: str
    url: str


class PaymentLinkIn(BaseModel):
    """The seed's request: one unit of one product."""

    model_config = ConfigDict(extra="ignore")

    id: ProductId


class PaymentLinkData(BaseModel):
    url: str


class PaymentLinkOut(BaseModel):
    message: str
    data: PaymentLinkData


class OrderItemOut(BaseModel):
    product_id: str
    name: str
    unit_amount: int
    quantity: int


class AccessOut(BaseModel):
    product_id: str
    name: str
    url: str


class OrderOut(BaseModel):
    order_id: str
    status: str
    email: str | None
    amount_total: int
    currency: str
    amount_refunded: int
    items: list[OrderItemOut]
    access: list[AccessOut]
