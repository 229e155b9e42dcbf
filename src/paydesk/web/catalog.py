"""GET /api/products."""

from __future__ import annotations

from fastapi import APIRouter

from paydesk.catalog.schemas import ProductOut
from paydesk.catalog.service import list_products
from paydesk.web.deps import CtxDep

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/products")
def get_products(ctx: CtxDep) -> list[ProductOut]:
    with ctx.engine.connect() as conn:
        return [ProductOut.model_validate(dict(row)) for row in list_products(conn)]
