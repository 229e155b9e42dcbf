"""Dependencies every router shares: the AppContext that `create_app` puts on the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from paydesk.context import AppContext


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]
