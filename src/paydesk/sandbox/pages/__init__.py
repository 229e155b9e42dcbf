"""Hosted pages (Checkout, the 3DS challenge): each module in this package that defines
`routes(store, business_name) -> list[BaseRoute]` contributes its pages."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from paydesk.sandbox.money import format_money
from paydesk.sandbox.store import Store

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
# Shown where Stripe shows the account's business name (`paydesk sandbox --business-name`).
BUSINESS_NAME = "paydesk sandbox"


def templates() -> Jinja2Templates:
    """The hosted pages' templates, with the `money` filter they format amounts with."""
    found = Jinja2Templates(directory=str(TEMPLATES))
    found.env.filters["money"] = format_money
    return found


def routes(store: Store, business_name: str = BUSINESS_NAME) -> list[BaseRoute]:
    found: list[BaseRoute] = [Mount("/static", StaticFiles(directory=STATIC), name="static")]
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        if hasattr(loaded, "routes"):
            found.extend(loaded.routes(store, business_name))
    return found
