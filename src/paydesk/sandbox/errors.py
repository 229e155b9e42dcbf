"""Errors in Stripe's shape; the SDKs pick their exception class from the HTTP status."""

from __future__ import annotations

from typing import Any

DOC = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    status = 400
    type = "invalid_request_error"
    # Whether an Idempotency-Key keeps this answer: Stripe saves the outcome once the endpoint
    # started running, but not the refusal of the request itself (validation).
    saved = True

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        decline_code: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.decline_code = decline_code
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC + self.code.replace("_", "-")
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class InvalidRequest(StripeError):
    """400: a parameter is missing, malformed or not allowed in this state."""


class ResourceMissing(StripeError):
    status = 404

    def __init__(self, kind: str, object_id: str, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", param=param, code="resource_missing")


class Unauthorized(StripeError):
    status = 401


class CardError(StripeError):
    status = 402
    type = "card_error"


class IdempotencyError(StripeError):
    type = "idempotency_error"


def missing_param(name: str) -> InvalidRequest:
    return InvalidRequest(f"Missing required param: {name}.", param=name, code="parameter_missing")


def invalid_param(name: str, why: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid {name}: {why}", param=name, code="parameter_invalid_string")


class UnknownParameter(InvalidRequest):
    """400 for a parameter the endpoint does not take: validation, so never kept for replay."""

    saved = False


def unknown_param(name: str) -> InvalidRequest:
    return UnknownParameter(
        f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
    )
