"""Which Stripe.js and which publishable key the payment page uses.

Against real Stripe: `https://js.stripe.com/v3/` and STRIPE_PUBLISHABLE_KEY. Against a sandbox
(STRIPE_API_BASE pointing elsewhere): the sandbox's own `/v3/`, and the sandbox account's
publishable key derived from the secret key when none is set (DESIGN.md's rule). Nothing new to
configure: both follow from the settings the shop already has.
"""

from __future__ import annotations

import hashlib

from paydesk.settings import STRIPE_API, Settings

STRIPE_JS = "https://js.stripe.com/v3/"


class MissingPublishableKey(RuntimeError):
    """The shop talks to real Stripe but was given no publishable key for the browser."""


def uses_sandbox(settings: Settings) -> bool:
    return settings.stripe_api_base.rstrip("/") != STRIPE_API


def stripe_js_url(settings: Settings) -> str:
    if uses_sandbox(settings):
        return settings.stripe_api_base.rstrip("/") + "/v3/"
    return STRIPE_JS


def publishable_key(settings: Settings) -> str:
    if settings.stripe_publishable_key:
        return settings.stripe_publishable_key
    secret = settings.stripe_secret_key
    if uses_sandbox(settings) and secret:
        return "pk_test_" + hashlib.sha256(secret.get_secret_value().encode()).hexdigest()[:32]
    raise MissingPublishableKey(
        "STRIPE_PUBLISHABLE_KEY is not set: the payment page needs it for Stripe.js. Copy the "
        "pk_… key from the Stripe Dashboard (Developers → API keys) into the environment."
    )
