"""What every router shares: the AppContext that `create_app` puts on the app, and the
publishable key the browser needs for Stripe.js."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from paydesk.context import AppContext
from paydesk.stripe_gateway import MissingPublishableKey, publishable_key


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]


def browser_key(ctx: AppContext) -> str:
    """The publishable key for Stripe.js, or a 503 naming the setting to fill. Asked before
    anything is made at Stripe, so a missing key leaves nothing half-made."""
    try:
        return publishable_key(ctx.settings)
    except MissingPublishableKey as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
