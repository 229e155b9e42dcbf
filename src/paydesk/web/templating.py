"""The shop's Jinja environments: every page knows the shop's name (SHOP_NAME)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from paydesk.core.money import format_money
from paydesk.settings import Settings

_DEFAULT_NAME = Settings.model_fields["shop_name"].default
_PAGES = Path(__file__).parent / "templates"


def _shop(request: Request) -> dict[str, object]:
    ctx = getattr(request.app.state, "ctx", None)
    return {"shop_name": ctx.settings.shop_name if ctx is not None else _DEFAULT_NAME}


def shop_templates(*directories: Path) -> Jinja2Templates:
    return Jinja2Templates(directory=[str(d) for d in directories], context_processors=[_shop])


@cache
def _pages() -> Jinja2Templates:
    templates = shop_templates(_PAGES)
    templates.env.filters["money"] = lambda amount, currency: format_money(int(amount), currency)
    return templates


def render_page(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    """A buyer-facing page (storefront, payment, account, access)."""
    return _pages().TemplateResponse(request, name, context, status_code=status)


def problem_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render_page(request, "problem.html", status, title=title, message=message)
