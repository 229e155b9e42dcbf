"""GET /api/products."""

from __future__ import annotations

from fastapi import APIRouter

from paydesk.catalog.schemas import ProductOut
from paydesk.catalog.service import list_products
from paydesk.store.engine import reading
from paydesk.web.deps import CtxDep

router = APIRouter(prefix="/api", tags=["catalog"])


PLAN_FIELDS = ("interval", "interval_count", "trial_days")


# Plan fields are only set on plans, so one-time products answer exactly as before.
@router.get("/products", response_model_exclude_unset=True)
def get_products(ctx: CtxDep) -> list[ProductOut]:
    with reading(ctx.engine) as conn:
        return [ProductOut.model_validate(_fields(dict(row))) for row in list_products(conn)]


def _fields(row: dict[str, object]) -> dict[str, object]:
    if row["type"] == "recurring":
        return row | {"interval_count": row["interval_count"] or 1}
    return {key: value for key, value in row.items() if key not in PLAN_FIELDS}
