"""GET /healthz (the database answers) and GET /metrics (Prometheus text format; the admin's
in production: app.py mounts `metrics_router` behind admin/private.py's guard)."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from paydesk.ops.metrics import metrics
from paydesk.store.engine import reading
from paydesk.web.deps import CtxDep

router = APIRouter(tags=["ops"])
metrics_router = APIRouter(tags=["ops"])
log = structlog.get_logger(__name__)


@router.get("/healthz")
def healthz(ctx: CtxDep) -> JSONResponse:
    try:
        with reading(ctx.engine) as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.error("healthz.database_down", error=type(exc).__name__)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@metrics_router.get("/metrics")
def prometheus_metrics() -> Response:
    metrics()  # registers the pipeline's metrics, so they show even before their first event
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
