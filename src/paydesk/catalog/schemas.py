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
    type: Literal["physical", "digital", "recurring"]
    # Plans only (type "recurring"); null for one-time products.
    interval: Literal["day", "week", "month", "year"] | None = None
    interval_count: int | None = None
    trial_days: int | None = None
