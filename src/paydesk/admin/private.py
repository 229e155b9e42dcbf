"""What production keeps to the admin: /metrics (counts of orders and events), and the API's
description (/openapi.json). Development leaves them open, with the interactive docs; in
production the docs are off and these need PAYDESK_ADMIN_TOKEN (a Prometheus scraper sends it
as `Authorization: Bearer …`), and answer 404 when no admin token is set."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from paydesk.admin.auth import AdminDisabled, NotSignedIn, authenticate
from paydesk.admin.throttle import Throttled
from paydesk.web.deps import CtxDep


def admin_in_production(request: Request, ctx: CtxDep) -> None:
    """Dependency: in production, only the admin passes (401/404/429 otherwise)."""
    if ctx.settings.paydesk_env != "production":
        return
    try:
        authenticate(request, ctx)
    except AdminDisabled:
        raise HTTPException(404, "not found") from None
    except Throttled as exc:
        raise HTTPException(429, str(exc), {"Retry-After": str(exc.retry_after)}) from None
    except NotSignedIn:
        raise HTTPException(
            401, "admin token required: send Authorization: Bearer <PAYDESK_ADMIN_TOKEN>",
            {"WWW-Authenticate": "Bearer"},
        ) from None


ADMIN_IN_PRODUCTION = [Depends(admin_in_production)]

# Mounted by create_app in production only (development keeps FastAPI's own /openapi.json).
openapi_router = APIRouter(include_in_schema=False)


@openapi_router.get("/openapi.json", dependencies=ADMIN_IN_PRODUCTION)
def openapi_document(request: Request) -> JSONResponse:
    document: dict[str, object] = request.app.openapi()
    return JSONResponse(document)
