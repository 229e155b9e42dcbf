"""Test helpers for a Stripe integration tested against the paydesk sandbox.

Everything here talks to a sandbox over HTTP, as the integration under test does: the official
SDK for the API, plain form posts for the hosted pages a buyer would click through. The pytest
plugin (`paydesk.sandbox.pytest_plugin`) hands these out as fixtures; they work without pytest
too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode, urljoin, urlsplit

import stripe

from paydesk.sandbox.clock import wall_now
from paydesk.sandbox.objects.payment_method_options import CHALLENGE_PATH

__all__ = [
    "Sandbox",
    "Webhooks",
    "WebhookTimeout",
    "publishable_key_for",
    "verify_signature",
]

DEFAULT_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.02
_MAX_HOPS = 10  # redirects a buyer follows from the payment form to the success page


def publishable_key_for(secret_key: str) -> str:
    """The sandbox account of `secret_key` has this publishable key (public, and it does not
    reveal the secret key: a digest, not a transformation)."""
    return "pk_test_" + hashlib.sha256(secret_key.encode()).hexdigest()[:32]


def verify_signature(payload: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    """Stripe's scheme: `t=…,v1=…`, HMAC-SHA256 over `t.payload`; any v1 may match."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    stamps = [value for key, value in parts if key == "t"]
    if not stamps or not stamps[0].isdigit() or abs(wall_now() - int(stamps[0])) > tolerance:
        return False
    signed = stamps[0].encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


class WebhookTimeout(AssertionError):
    """What a test waited for never happened; the message shows the delivery timeline."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _request(
    url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """(status, Location header, body) of one request, redirects not followed."""
    body = urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310 - loopback
    try:
        with _OPENER.open(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Location", ""), resp.read().decode()
    except urllib.error.HTTPError as err:  # 3xx (not followed) and 4xx land here
        return err.code, err.headers.get("Location", ""), err.read().decode()


@dataclass
class Sandbox:
    """One fresh sandbox account: `api_key` is new per test, so tests never see each other's
    objects. `client()` is a configured `stripe.StripeClient`."""

    base_url: str
    api_key: str = field(default_factory=lambda: "sk_test_" + uuid.uuid4().hex)

    @property
    def publishable_key(self) -> str:
        return publishable_key_for(self.api_key)

    def client(self, **options: Any) -> stripe.StripeClient:
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.base_url}, **options)

    def configure_module(self) -> None:
        """Point the legacy module API (`stripe.api_key`, `stripe.Customer.create`) here."""
        stripe.api_key = self.api_key
        stripe.api_base = self.base_url

    # -- raw API, for the test helpers that the SDK has no method for ----------------------------

    def api(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        encoded = urlencode(_flatten(params or {}))
        url = self.base_url + path + (f"?{encoded}" if method == "GET" and encoded else "")
        req = urllib.request.Request(  # noqa: S310 - the sandbox, on loopback
            url,
            data=encoded.encode() if method != "GET" else None,
            method=method,
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            detail = json.loads(err.read() or b"{}").get("error", {}).get("message", "")
            raise AssertionError(f"{method} {path} answered {err.code}: {detail}") from None

    # -- acting as a buyer -------------------------------------------------------------------------

    def pay_checkout_session(
        self,
        session: Any,
        card: str = "4242424242424242",
        email: str = "buyer@example.com",
        authenticate: bool = True,
    ) -> str:
        """Fill in the hosted Checkout page as a buyer would and return where it sends them
        (the session's success URL, or the page again when the card was declined). A card
        that asks for 3D Secure is authenticated, or refused when `authenticate` is False."""
        url = session["url"] if isinstance(session, dict) else session.url
        form = {
            "email": email,
            "card_number": card,
            "card_expiry": "12 / 34",
            "card_cvc": "123",
            "cardholder_name": "Test Buyer",
        }
        status, location, _ = _request(url, form)
        return self._follow(url, status, location, authenticate)

    def pay_payment_intent(
        self, payment_intent: Any, payment_method: str = "pm_card_visa", authenticate: bool = True
    ) -> Any:
        """Confirm a PaymentIntent as a browser would (with its client secret and the
        account's publishable key), passing a 3D Secure challenge when one is asked for.
        Returns the PaymentIntent as it is afterwards."""
        pi_id = payment_intent if isinstance(payment_intent, str) else payment_intent["id"]
        pi = self.api("GET", f"/v1/payment_intents/{pi_id}")
        browser = stripe.StripeClient(self.publishable_key, base_addresses={"api": self.base_url})
        confirmed = browser.v1.payment_intents.confirm(
            pi_id,
            params=cast(
                Any,
                {
                    "payment_method": payment_method,
                    "client_secret": pi["client_secret"],
                    "return_url": f"{self.base_url}/",
                },
            ),
        )
        action = confirmed.next_action
        redirect = action.redirect_to_url if action is not None else None
        if confirmed.status == "requires_action" and redirect is not None and redirect.url:
            self._answer_challenge(redirect.url, authenticate)
        return self.client().v1.payment_intents.retrieve(pi_id)

    def _follow(self, url: str, status: int, location: str, authenticate: bool) -> str:
        for _ in range(_MAX_HOPS):
            if status not in (301, 302, 303, 307) or not location:
                return url
            url = urljoin(url, location)
            if CHALLENGE_PATH in urlsplit(url).path:
                status, location = self._answer_challenge(url, authenticate)
                continue
            if urlsplit(url).netloc != urlsplit(self.base_url).netloc:
                return url  # left the sandbox: the merchant's success page
            status, location, _ = _request(url)
        raise AssertionError(f"too many redirects paying at {url}")

    def _answer_challenge(self, url: str, authenticate: bool) -> tuple[int, str]:
        secret = dict(
            pair.split("=", 1) for pair in urlsplit(url).query.split("&") if "=" in pair
        ).get("client_secret", "")
        action = "complete" if authenticate else "fail"
        status, location, _ = _request(url, {"action": action, "client_secret": secret})
        return status, location

    # -- time and chaos ------------------------------------------------------------------------

    def advance_clock(
        self,
        clock: Any,
        to: int | None = None,
        by: int | None = None,
        timeout: float = 60.0,
    ) -> Any:
        """Move a test clock to `to` (or forward by `by` seconds) and wait until it is ready,
        so every renewal, retry and event it caused has happened."""
        clock_id = clock if isinstance(clock, str) else clock["id"]
        current = self.api("GET", f"/v1/test_helpers/test_clocks/{clock_id}")
        target = to if to is not None else current["frozen_time"] + (by or 0)
        self.api(
            "POST", f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": target}
        )
        return _poll(
            lambda: _ready(self.api("GET", f"/v1/test_helpers/test_clocks/{clock_id}")),
            timeout,
            f"test clock {clock_id} to be ready",
        )

    def chaos(self, webhook_endpoint: str | None = None, **settings: Any) -> Any:
        """Turn webhook chaos on for this account (or one endpoint): `duplicate`, `reorder`,
        `fail` (shares 0–1), `delay_ms` ("min-max" or (min, max)), `seed`."""
        params = dict(settings)
        delay = params.get("delay_ms")
        if isinstance(delay, tuple | list):
            params["delay_ms"] = f"{delay[0]}-{delay[1]}"
        if webhook_endpoint:
            params["webhook_endpoint"] = webhook_endpoint
        return self.api("POST", "/v1/test_helpers/webhook_chaos", params)

    def calm(self, webhook_endpoint: str | None = None) -> Any:
        params = {"webhook_endpoint": webhook_endpoint} if webhook_endpoint else {}
        return self.api("DELETE", "/v1/test_helpers/webhook_chaos", params)


def _ready(clock: Any) -> Any:
    return clock if clock.get("status") == "ready" else None


def _poll(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise WebhookTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(_POLL_SECONDS)


def _flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: `a[b]=1`, `a[0]=x`."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs += _flatten(value, name)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                pairs += _flatten({str(i): item}, name)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


@dataclass
class Webhooks:
    """Webhook endpoints of one sandbox account, and what the sandbox did with each delivery."""

    sandbox: Sandbox
    secrets: dict[str, str] = field(default_factory=dict)  # endpoint id -> signing secret

    def register(self, url: str, events: Iterable[str] = ("*",)) -> Any:
        """A webhook endpoint for `url`; its signing secret is `.secret` (and `secret_for`)."""
        endpoint = self.sandbox.client().v1.webhook_endpoints.create(
            params=cast(Any, {"url": url, "enabled_events": list(events)})
        )
        self.secrets[endpoint.id] = endpoint.secret or ""
        return endpoint

    def secret_for(self, endpoint_id: str | None = None) -> str:
        if endpoint_id is None:
            if len(self.secrets) != 1:
                raise AssertionError("name the endpoint: this test registered several")
            return next(iter(self.secrets.values()))
        return self.secrets[endpoint_id]

    def deliveries(
        self, event: str | None = None, webhook_endpoint: str | None = None
    ) -> list[dict[str, Any]]:
        """Every delivery attempt so far, oldest first (the sandbox's timeline)."""
        params: dict[str, Any] = {"limit": 100}
        if event:
            params["event"] = event
        if webhook_endpoint:
            params["webhook_endpoint"] = webhook_endpoint
        found: list[dict[str, Any]] = []
        while True:
            page = self.sandbox.api("GET", "/v1/test_helpers/deliveries", params)
            found += page["data"]
            if not page["has_more"]:
                return list(reversed(found))
            params["starting_after"] = page["data"][-1]["id"]

    def events(self, type: str | None = None) -> list[dict[str, Any]]:  # noqa: A002
        params: dict[str, Any] = {"limit": 100}
        if type:
            params["type"] = type
        return list(self.sandbox.api("GET", "/v1/events", params)["data"])

    def wait_for(
        self,
        type: str | None = None,  # noqa: A002 - Stripe's own word for it
        count: int = 1,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
    ) -> list[dict[str, Any]]:
        """Wait until `count` deliveries of events of `type` (all types when None) were
        acknowledged with a 2xx; return those deliveries. On timeout the error shows the
        timeline, so a failing test says what happened instead."""

        def matching() -> list[dict[str, Any]]:
            done = [
                d
                for d in self.deliveries()
                if d["delivered"]
                and (type is None or d["event_type"] == type)
                and (where is None or where(d))
            ]
            return done if len(done) >= count else []

        try:
            return list(_poll(matching, timeout, f"{count} delivered {type or 'event'}"))
        except WebhookTimeout as exc:
            raise WebhookTimeout(f"{exc}\n{self.timeline()}") from None

    def wait_until_settled(self, timeout: float = DEFAULT_WAIT_SECONDS) -> None:
        """Wait until every event of the account was acknowledged by every endpoint it was
        sent to and no delivery is still to come (retries, chaos's copies and held ones)."""

        def settled() -> bool:
            pending = self.sandbox.api("GET", "/v1/test_helpers/deliveries", {"limit": 1})
            if pending["pending"]:
                return False
            return all(e.get("pending_webhooks", 0) == 0 for e in self.events())

        try:
            _poll(settled, timeout, "every event to be delivered")
        except WebhookTimeout as exc:
            raise WebhookTimeout(f"{exc}\n{self.timeline()}") from None

    def assert_delivered(self, type: str, times: int | None = None) -> None:  # noqa: A002
        delivered = [d for d in self.deliveries() if d["delivered"] and d["event_type"] == type]
        if not delivered or (times is not None and len(delivered) != times):
            wanted = "at least once" if times is None else f"{times} times"
            raise AssertionError(
                f"{type} delivered {len(delivered)} times, expected {wanted}\n{self.timeline()}"
            )

    def timeline(self) -> str:
        rows = [
            f"  {d['event_type']:<36} {d['event']:<30} attempt {d['attempt']} -> "
            f"{d['status_code'] or d.get('error') or '-'}"
            f"{'  [' + ', '.join(d['chaos']) + ']' if d.get('chaos') else ''}"
            for d in self.deliveries()
        ]
        return "deliveries so far:\n" + ("\n".join(rows) if rows else "  (none)")
