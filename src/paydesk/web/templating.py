"""The shop's Jinja environments: every page knows the shop's name (SHOP_NAME)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from paydesk.settings import Settings

_DEFAULT_NAME = Settings.model_fields["shop_name"].default


def _shop(request: Request) -> dict[str, object]:
    ctx = getattr(request.app.state, "ctx", None)
    return {"shop_name": ctx.settings.shop_name if ctx is not None else _DEFAULT_NAME}


def shop_templates(*directories: Path) -> Jinja2Templates:
    return Jinja2Templates(directory=[str(d) for d in directories], context_processors=[_shop])
