"""A merchant's site for the Stripe.js tests: the pages in `stripejs_pages/` (written against
Stripe's documentation) with their script src pointing at the sandbox, and the one server
route they call, `POST /create-payment-intent`, made with the official SDK. (No tests here.)"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.support import loopback_socket, serving

PAGES = Path(__file__).parent / "stripejs_pages"


def publishable_key(secret_key: str) -> str:
    """The sandbox account's publishable key (DESIGN.md): pk_test_ + sha256(SK)[:32]."""
    return "pk_test_" + hashlib.sha256(secret_key.encode()).hexdigest()[:32]


@dataclass
class Merchant:
    url: str
    intents: list[str] = field(default_factory=list)


def _app(
    sandbox_url: str, secret_key: str, merchant: Merchant, intent: dict[str, Any]
) -> Starlette:
    client = stripe.StripeClient(secret_key, base_addresses={"api": sandbox_url})

    async def page(request: Request) -> Response:
        path = PAGES / request.path_params["name"]
        if not path.is_file() or path.suffix != ".html":
            return Response("not found", status_code=404)
        html = path.read_text().replace("{{STRIPE_JS}}", sandbox_url + "/v3/")
        return HTMLResponse(html.replace("{{PUBLISHABLE_KEY}}", publishable_key(secret_key)))

    async def create(_request: Request) -> Response:
        pi = client.v1.payment_intents.create(params=dict(intent))
        merchant.intents.append(pi.id)
        return JSONResponse({"clientSecret": pi.client_secret})

    async def pay_with(request: Request) -> Response:
        # The server-side confirmation flow: the browser made the PaymentMethod.
        body = await request.json()
        pi = client.v1.payment_intents.create(
            params={
                **intent,
                "payment_method": body["payment_method_id"],
                "confirm": True,
                "payment_method_types": ["card"],
                # With a return_url the 3DS page would redirect there; inside Stripe.js's modal
                # it must not.
                "return_url": merchant.url + "/complete.html",
            }
        )
        merchant.intents.append(pi.id)
        return JSONResponse({"clientSecret": pi.client_secret, "status": pi.status})

    async def checkout_session(_request: Request) -> Response:
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 2000,
                            "product_data": {"name": "T-shirt"},
                        },
                    }
                ],
                "success_url": merchant.url + "/complete.html?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": merchant.url + "/redirect.html",
            }
        )
        return JSONResponse({"id": session.id})

    async def setup_intent(_request: Request) -> Response:
        customer = client.v1.customers.create(params={"email": "jenny@example.com"})
        si = client.v1.setup_intents.create(
            params={"customer": customer.id, "payment_method_types": ["card"]}
        )
        merchant.intents.append(si.id)
        return JSONResponse({"clientSecret": si.client_secret})

    return Starlette(
        routes=[
            Route("/create-setup-intent", setup_intent, methods=["POST"]),
            Route("/create-checkout-session", checkout_session, methods=["POST"]),
            Route("/create-payment-intent", create, methods=["POST"]),
            Route("/pay-with-payment-method", pay_with, methods=["POST"]),
            Route("/{name}", page),
        ]
    )


@contextmanager
def run_merchant(
    sandbox_url: str, secret_key: str, intent: dict[str, Any] | None = None
) -> Iterator[Merchant]:
    sock = loopback_socket()
    # "localhost", not 127.0.0.1: the merchant's origin differs from the sandbox's, as in life.
    merchant = Merchant(f"http://localhost:{sock.getsockname()[1]}")
    params = intent or {"amount": 2000, "currency": "usd", "metadata": {"order_id": "42"}}
    with serving(_app(sandbox_url, secret_key, merchant, params), "the merchant site", sock):
        yield merchant
