"""A user's small shop: the kind of app the plugin is for. It sells through Stripe Checkout and
fulfils orders from a webhook handler that must be idempotent — the thing chaos tests check."""

from __future__ import annotations

import threading

import stripe
from fastapi import FastAPI, Header, HTTPException, Request


def create_app() -> FastAPI:
    app = FastAPI()
    app.state.webhook_secret = ""  # set once the endpoint is registered
    app.state.seen = set()
    app.state.fulfilled = []  # checkout session ids, in the order they were fulfilled
    app.state.lock = threading.Lock()

    @app.post("/webhook")
    async def webhook(request: Request, stripe_signature: str = Header("")) -> dict[str, bool]:
        payload = await request.body()
        try:
            event = stripe.Webhook.construct_event(
                payload, stripe_signature, app.state.webhook_secret
            )
        except (ValueError, stripe.SignatureVerificationError):
            raise HTTPException(400, "bad signature") from None
        with app.state.lock:
            if event.id in app.state.seen:  # Stripe may send an event more than once
                return {"received": True}
            app.state.seen.add(event.id)
            if event.type == "checkout.session.completed":
                app.state.fulfilled.append(event.data.object.id)
        return {"received": True}

    return app
