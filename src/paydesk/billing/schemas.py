"""The billing API's requests and responses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from paydesk.core.address import MAX_LENGTH, one_address

# One mailbox (not a list, no display name, no CR/LF): it becomes an SMTP recipient.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_LENGTH),
    AfterValidator(one_address),
]
PlanId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    plan_id: PlanId
    email: Email
    quantity: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
    flow: Literal["checkout", "elements"] = "checkout"


class SubscribeOut(BaseModel):
    url: str


class SubscribeElementsOut(BaseModel):
    subscription_id: str
    client_secret: str
    publishable_key: str
    # Which confirm the client calls: "payment" (confirmPayment / confirmCardPayment, the first
    # invoice) or "setup" (confirmSetup / confirmCardSetup, a trial's card saved for later).
    intent_type: Literal["payment", "setup"]


class AccountLinkIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Email


class EntitlementOut(BaseModel):
    email: str
    access: bool
    plan_id: str | None
    status: str
    current_period_end: str | None  # ISO 8601 UTC
    grace_until: str | None
