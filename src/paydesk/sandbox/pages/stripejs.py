"""Serves the Stripe.js-compatible client: `/v3/` (the script a page loads in place of
`https://js.stripe.com/v3/`) and the documents its iframes load (card fields, Payment Element).

The files are plain static JavaScript, HTML and CSS in `sandbox/js/`; there is no build step.
The script finds the API base from its own URL, so one sandbox serves any page on any origin.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from paydesk.sandbox.store import Store

JS = Path(__file__).parent.parent / "js"

# The element documents are meant to be framed by any merchant origin (as js.stripe.com's are);
# everything they do with card data stays inside them.
_FRAME_HEADERS = {"Content-Security-Policy": "frame-ancestors *", "Cache-Control": "no-cache"}
_SCRIPT_HEADERS = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}

_FILES = {
    "elements-inner.html": ("text/html; charset=utf-8", _FRAME_HEADERS),
    "elements-inner.js": ("text/javascript; charset=utf-8", _SCRIPT_HEADERS),
    "elements-inner.css": ("text/css; charset=utf-8", _SCRIPT_HEADERS),
}


def routes(_store: Store, _business_name: str) -> list[BaseRoute]:
    return [
        Route("/v3", _script, methods=["GET", "HEAD"]),
        Route("/v3/", _script, methods=["GET", "HEAD"]),
        Route("/v3/{name}", _file, methods=["GET", "HEAD"]),
    ]


async def _script(_request: Request) -> Response:
    return FileResponse(
        JS / "stripe.js", media_type="text/javascript; charset=utf-8", headers=_SCRIPT_HEADERS
    )


async def _file(request: Request) -> Response:
    found = _FILES.get(request.path_params["name"])
    if found is None:
        return Response("Not found.\n", status_code=404, media_type="text/plain")
    media_type, headers = found
    return FileResponse(JS / request.path_params["name"], media_type=media_type, headers=headers)
