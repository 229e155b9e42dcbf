"""The 3D Secure challenge page at a PaymentIntent's (or SetupIntent's)
`next_action.redirect_to_url.url`.

Complete runs the payment, Fail records payment_intent_authentication_failure; either way the
buyer goes back to the `return_url` (with Stripe's query parameters) or sees a closing page.
The PaymentIntent's client secret in the URL is what proves the visitor may act on it.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import wall_now
from paydesk.sandbox.operations.payment_intents import finish_authentication
from paydesk.sandbox.operations.setup_intents import finish_setup_authentication
from paydesk.sandbox.pages import templates
from paydesk.sandbox.store import Store


def routes(store: Store, _business_name: str) -> list[BaseRoute]:
    page = ChallengePage(store)
    return [
        Route("/pay/3ds/{pi_id}", page.show, methods=["GET"]),
        Route("/pay/3ds/{pi_id}", page.answer, methods=["POST"]),
    ]


def return_to(return_url: str, pi: Obj) -> str:
    """Stripe's redirect back: the return_url with the intent's outcome appended (a
    PaymentIntent's or a SetupIntent's, named as Stripe names them)."""
    parts = urlsplit(return_url)
    status = "succeeded" if pi["status"] in ("succeeded", "requires_capture") else "failed"
    kind = str(pi["object"])
    query = urlencode(
        {
            kind: pi["id"],
            f"{kind}_client_secret": pi["client_secret"],
            "redirect_status": status,
        }
    )
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


class ChallengePage:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.templates = templates()

    async def show(self, request: Request) -> Response:
        found = self._intent(request, request.query_params.get("client_secret", ""))
        if found is None:
            return self._render(request, None, "missing", "", status=404)
        _account, pi = found
        state = "challenge" if pi["status"] == "requires_action" else "done"
        return self._render(request, pi, state, request.query_params["client_secret"])

    async def answer(self, request: Request) -> Response:
        form = await request.form()
        secret = str(form.get("client_secret", "")) or request.query_params.get("client_secret", "")
        found = self._intent(request, secret)
        if found is None:
            return self._render(request, None, "missing", "", status=404)
        account, pi = found
        if pi["status"] != "requires_action":
            return self._render(request, pi, "done", secret)
        redirect = (pi.get("next_action") or {}).get("redirect_to_url") or {}
        return_url = redirect.get("return_url")
        success = str(form.get("action", "")) == "complete"
        # No awaits from here on: atomic with respect to API calls on the same loop.
        try:
            if pi["object"] == "setup_intent":
                finish_setup_authentication(account, pi, success, now=wall_now())
            else:
                finish_authentication(account, pi, success, now=wall_now())
        finally:
            self.store.flush()
        # Inside Stripe.js's 3DS modal the script reads the outcome itself (and redirects the
        # whole page when the integration asked for it); a redirect would land in the frame.
        if return_url and not form.get("in_frame"):
            return RedirectResponse(return_to(return_url, pi), status_code=303)
        return self._render(request, pi, "done", secret)

    def _intent(self, request: Request, secret: str) -> tuple[Account, Obj] | None:
        pi_id = request.path_params["pi_id"]
        account = self.store.owner(pi_id)
        pi = account.find(pi_id) if account is not None else None
        kinds = ("payment_intent", "setup_intent")
        if account is None or pi is None or pi.get("object") not in kinds:
            return None
        if not hmac.compare_digest(str(pi.get("client_secret", "")), secret):
            return None
        return account, pi

    def _render(
        self, request: Request, pi: Obj | None, state: str, secret: str, status: int = 200
    ) -> Response:
        context = {"pi": pi, "state": state, "client_secret": secret}
        return self.templates.TemplateResponse(
            request, "challenge.html", context, status_code=status
        )
