"""Why a billing request was refused, each with the HTTP status the API answers with."""

from __future__ import annotations


class BillingError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownPlan(BillingError):
    status_code = 404

    def __init__(self, plan_id: str) -> None:
        super().__init__(f"unknown plan: {plan_id!r} (GET /api/products lists the plans, "
                         "type \"recurring\")")


class PlanNotSynced(BillingError):
    status_code = 409


class ProviderFailed(BillingError):
    status_code = 502


class NotFound(BillingError):
    status_code = 404


class NotOurs(Exception):
    """A subscription of the same Stripe account that this shop did not sell: its events are
    recorded as ignored, never retried."""
