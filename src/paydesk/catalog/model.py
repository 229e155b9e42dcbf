"""What a catalog file says about a product, validated. Pure: no database, no Stripe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEMO_CATALOG = Path(__file__).parent / "demo_catalog.json"
Interval = Literal["day", "week", "month", "year"]
# Stripe's own bounds: a recurring price bills at most once every 3 years.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}


class ProductSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    unit_amount: int = Field(gt=0, description="minor units")
    currency: str = Field(min_length=3, max_length=3)
    stock: int | None = Field(default=None, ge=0, description="None = unlimited")
    type: Literal["physical", "digital", "recurring"] = "physical"
    resource: str | None = None
    # Plans (type "recurring") only: bill every `interval_count` `interval`s, after a free trial.
    interval: Interval | None = None
    interval_count: int | None = Field(default=None, ge=1)
    trial_days: int | None = Field(default=None, ge=1, le=730)

    @field_validator("currency")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _plan_fields(self) -> ProductSpec:
        plan_only = {"interval": self.interval, "interval_count": self.interval_count,
                     "trial_days": self.trial_days}
        if self.type != "recurring":
            given = [name for name, value in plan_only.items() if value is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} only apply to plans (\"type\": \"recurring\")"
                )
            return self
        if self.interval is None:
            raise ValueError("a plan (\"type\": \"recurring\") needs an \"interval\": "
                             "day, week, month or year")
        if self.stock is not None:
            raise ValueError("a plan has no stock: remove \"stock\"")
        limit = MAX_INTERVAL_COUNT[self.interval]
        if self.interval_count is not None and self.interval_count > limit:
            raise ValueError(f"interval_count of a {self.interval}ly plan is at most {limit}")
        return self

    @property
    def is_plan(self) -> bool:
        return self.type == "recurring"


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products: list[ProductSpec]

    @field_validator("products")
    @classmethod
    def _unique_ids(cls, products: list[ProductSpec]) -> list[ProductSpec]:
        ids = [p.id for p in products]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate product ids: {', '.join(duplicates)}")
        return products


def read_catalog(path: str | Path | None = None) -> CatalogFile:
    """Parse a catalog file (JSON); None means the demo catalog shipped with paydesk."""
    text = Path(path or DEMO_CATALOG).read_text(encoding="utf-8")
    return CatalogFile.model_validate(json.loads(text))
