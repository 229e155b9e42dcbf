"""The delivery timeline page: every webhook delivery attempt of an account, newest first,
filterable and live.

The page itself holds no data: its script reads `GET /v1/test_helpers/deliveries` with the
secret key the visitor types in (kept in the tab's sessionStorage, never in a URL), so the
page needs no login of its own and shows nothing to someone without the key.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from paydesk.sandbox.pages import TEMPLATES
from paydesk.sandbox.store import Store


def routes(store: Store, _business_name: str) -> list[BaseRoute]:
    templates = Jinja2Templates(directory=str(TEMPLATES))

    async def show(request: Request) -> Response:
        return templates.TemplateResponse(request, "deliveries.html", {})

    return [Route("/test_helpers/deliveries", show, methods=["GET"])]
