"""The admin API (bearer PAYDESK_ADMIN_TOKEN): refunds of orders and one-off invoices, both
idempotent on an `Idempotency-Key` header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from paydesk.billing.clock import advance_clocks
from paydesk.billing.idempotency import Answer, run_once
from paydesk.billing.invoicing import InvoiceLine, create_one_off_invoice
from paydesk.checkout.schemas import Email
from paydesk.context import AppContext
from paydesk.refunds.service import RefundRefused, request_refund
from paydesk.settings import secret_matches
from paydesk.web.deps import CtxDep

router = APIRouter(prefix="/api/admin", tags=["admin"])
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3, to_lower=True,
                                            pattern=r"^[A-Za-z]{3}$")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[int, Field(strict=True, ge=1, le=99_999_999)] | None = None
    reason: str | None = None


class RefundOut(BaseModel):
    refund_number: int
    amount: int
    status: str


class InvoiceItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    amount: Annotated[int, Field(strict=True, ge=1, le=99_999_999)]
    currency: Currency


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    items: Annotated[list[InvoiceItemIn], Field(min_length=1, max_length=50)]
    days_until_due: Annotated[int, Field(strict=True, ge=1, le=365)] = 30


def _bearer(request: Request, ctx: AppContext) -> None:
    token = ctx.settings.paydesk_admin_token
    if not token:
        raise HTTPException(404, "the admin API is off: set PAYDESK_ADMIN_TOKEN")
    given = request.headers.get("authorization", "")
    if not (given[:7].lower() == "bearer " and secret_matches(token, given[7:].strip())):
        raise HTTPException(401, "send Authorization: Bearer <PAYDESK_ADMIN_TOKEN>")


@router.post("/orders/{order_id}/refunds", status_code=status.HTTP_201_CREATED)
def post_refund(
    order_id: str, body: RefundIn, request: Request, ctx: CtxDep, key: IdempotencyKey = None
) -> RefundOut:
    """A partial (`amount`) or full refund. The Idempotency-Key names the request: sent again,
    it finds the same refund request and Stripe replays `refund:<order_id>:<n>`."""
    _bearer(request, ctx)
    token = f"api:{key}" if key else None
    try:
        row = request_refund(ctx, order_id, body.amount, body.reason, request_token=token)
    except RefundRefused as exc:
        code = 404 if str(exc).startswith("No order") else 409
        raise HTTPException(code, str(exc)) from exc
    if row["status"] == "failed":
        raise HTTPException(402, f"Stripe refused the refund: {row['error']}")
    return RefundOut(refund_number=row["n"], amount=row["amount"], status=row["status"])


@router.post("/invoices", status_code=status.HTTP_201_CREATED)
def post_invoice(
    body: InvoiceIn, request: Request, ctx: CtxDep, key: IdempotencyKey = None
) -> dict[str, object]:
    """A one-off invoice for the customer of `email`: created, finalized and sent."""
    _bearer(request, ctx)
    lines = [InvoiceLine(i.description, i.amount, i.currency) for i in body.items]

    def work(request_id: str) -> Answer:
        made = create_one_off_invoice(ctx, request_id, body.email, lines, body.days_until_due)
        return Answer(201, made)

    return run_once(ctx, "invoice", key, body.model_dump(), work).body


class ClockAdvanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: Annotated[int, Field(strict=True, ge=1, le=1098)]
    email: Email | None = None


@router.post("/clock/advance")
def post_clock_advance(body: ClockAdvanceIn, request: Request, ctx: CtxDep) -> dict[str, object]:
    """Sandbox mode: move the customers' test clocks forward (`paydesk clock advance`)."""
    _bearer(request, ctx)
    if not ctx.test_clocks:
        raise HTTPException(409, "time control is for sandbox mode only (no real Stripe key, or "
                                 "PAYDESK_TEST_CLOCKS=true against a test-mode sandbox)")
    moved = advance_clocks(ctx, body.days, body.email)
    return {"advanced": [{"clock_id": m.clock_id, "email": m.email,
                          "frozen_time": m.frozen_time} for m in moved]}
