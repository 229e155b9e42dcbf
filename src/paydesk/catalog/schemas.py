"""What the API says about a product."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ProductOut(BaseModel):
    id: str
    name: str
    description: str
    unit_amount: int
    currency: str
    stock: int | None  # None = unlimited
    type: Literal["physical", "digital"]
