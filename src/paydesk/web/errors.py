"""Error answers that name the problem: one `detail` sentence, plus the specifics."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from paydesk.billing.errors import BillingError
from paydesk.checkout.errors import CheckoutError, OutOfStock, UnknownProduct
from paydesk.web.ratelimit import RateLimited


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CheckoutError, _checkout_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(BillingError, _billing_error)  # type: ignore[arg-type]


async def _billing_error(_request: Request, exc: BillingError) -> JSONResponse:
    return JSONResponse({"detail": exc.message, "message": exc.message},
                        status_code=exc.status_code)


async def _checkout_error(_request: Request, exc: CheckoutError) -> JSONResponse:
    # "message" too: the seed's clients read that field.
    body: dict[str, object] = {"detail": exc.message, "message": exc.message}
    if isinstance(exc, OutOfStock | UnknownProduct):
        body["product_id"] = exc.product_id
    if isinstance(exc, OutOfStock):
        body["available"] = exc.available
    return JSONResponse(body, status_code=exc.status_code)


async def _rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.message, "message": exc.message, "retry_after": exc.retry_after},
        status_code=429, headers={"Retry-After": str(exc.retry_after)},
    )


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    problems = [_describe(e) for e in errors]
    detail = "invalid request: " + "; ".join(problems) if problems else "invalid request"
    safe = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in errors]
    return JSONResponse({"detail": detail, "message": detail, "errors": safe}, status_code=422)


def _describe(error: Mapping[str, object]) -> str:
    if error.get("type") == "json_invalid":
        ctx = error.get("ctx")
        reason = ctx.get("error", "") if isinstance(ctx, Mapping) else ""
        return f"the body is not valid JSON ({reason})"
    where_in = error.get("loc")
    loc = [str(p) for p in where_in if p != "body"] if isinstance(where_in, list | tuple) else []
    where = ".".join(loc) if loc else "body"
    return f"{where}: {error.get('msg', 'invalid')}"
