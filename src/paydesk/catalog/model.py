"""What a catalog file says about a product, validated. Pure: no database, no Stripe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEMO_CATALOG = Path(__file__).parent / "demo_catalog.json"


class ProductSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    unit_amount: int = Field(gt=0, description="minor units")
    currency: str = Field(min_length=3, max_length=3)
    stock: int | None = Field(default=None, ge=0, description="None = unlimited")
    type: Literal["physical", "digital"] = "physical"
    resource: str | None = None

    @field_validator("currency")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


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
