"""A fuzzer fires random form bodies and query strings at every route of the API and finds no
5xx: whatever a client sends is answered in Stripe's shape, as a 2xx or a 4xx.

The API app is called in-process (its `handle`, the code every HTTP request runs) so thousands
of bodies take seconds; the store is a real in-memory one with real objects to aim at.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paydesk.sandbox.api import ApiApp
from paydesk.sandbox.routes import load_all
from paydesk.sandbox.routing import api
from paydesk.sandbox.store import Store

load_all()
ROUTES = sorted(set(api.patterns))
_KEY = "sk_test_" + uuid.uuid4().hex
_STORE = Store()
_APP = ApiApp(_STORE, api)

# Parameter names the endpoints take, so bodies reach past "unknown parameter" often.
_NAMES = [
    "amount", "currency", "customer", "payment_method", "confirm", "capture_method", "limit",
    "created", "starting_after", "ending_before", "metadata", "expand", "line_items", "mode",
    "success_url", "cancel_url", "card", "type", "source", "email", "name", "description",
    "price", "product", "unit_amount", "unit_amount_decimal", "recurring", "query", "page",
    "amount_to_capture", "charge", "payment_intent", "reason", "off_session", "setup_future_usage",
    "payment_method_types", "payment_method_options", "return_url", "client_secret", "url",
    "enabled_events", "product_data", "price_data", "quantity", "active", "lookup_key", "usage",
    "invoice_settings", "tax_id_data", "exp_month", "exp_year", "number", "cvc", "0", "",
]  # fmt: skip
_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["9" * 5000, "-0", "1e9", "1.5", "٣", "²", "+5", " 5", "NaN", "sNaN"]),
)


def _an_id(i: int) -> str:
    # Picked by index, not drawn from the list itself: the store grows as the fuzzer runs,
    # and hypothesis needs each example to draw the same way when it replays it.
    found = [obj_id for obj_id in _STORE.index if not obj_id.startswith("evt_")]
    return found[i % len(found)] if found else "cus_missing"


_AN_ID = st.integers(min_value=0, max_value=10_000).map(_an_id)


@st.composite
def _key(draw: st.DrawFn) -> str:
    head = draw(st.one_of(st.sampled_from(_NAMES), st.text(max_size=6)))
    segments = draw(
        st.lists(
            st.one_of(
                st.sampled_from(["", "0", "1", "99", "²", "٣", "9" * 50, "card", "number"]),
                st.sampled_from(_NAMES),
                st.text(max_size=4),
            ),
            max_size=3,
        )
    )
    return head + "".join(f"[{segment}]" for segment in segments)


@st.composite
def _value(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            _NUMBERS,
            st.text(max_size=12),
            st.sampled_from(["", "true", "usd", "card", "pm_card_visa", "tok_visa", "any"]),
            _AN_ID,
        )
    )


def _encode(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs).encode()


def _call(method: str, path: str, body: bytes) -> tuple[int, bytes]:
    get = method in ("GET", "DELETE")
    scope: dict[str, Any] = {
        "method": method,
        "path": path,
        "query_string": body if get else b"",
        "scheme": "http",
    }
    headers = {"authorization": f"Bearer {_KEY}", "host": "127.0.0.1"}
    status, payload, _extra = _APP.handle(scope, headers, b"" if get else body, "req_fuzz")
    _STORE.flush()
    return status, payload


def _seed() -> None:
    """Real objects for the `{id}` parts of paths to point at."""
    for method, path, body in [
        ("POST", "/v1/customers", b"email=a%40example.com&source=tok_visa"),
        ("POST", "/v1/payment_intents", b"amount=500&currency=usd&payment_method=pm_card_visa"),
        ("POST", "/v1/charges", b"amount=700&currency=usd&source=tok_visa&capture=false"),
        ("POST", "/v1/prices", b"unit_amount=900&currency=usd&product_data[name]=Book"),
    ]:
        status, payload = _call(method, path, body)
        assert status == 200, payload


_seed()


@st.composite
def _path(draw: st.DrawFn, pattern: str) -> str:
    def fill(_: re.Match[str]) -> str:
        return quote(draw(st.one_of(_AN_ID, st.text(min_size=1, max_size=8))))

    return re.sub(r"\{\w+\}", fill, pattern)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_route_answers_5xx_to_any_form_body(data: st.DataObject) -> None:
    method, pattern = data.draw(st.sampled_from(ROUTES))
    path = data.draw(_path(pattern))
    pairs = data.draw(st.lists(st.tuples(_key(), _value()), max_size=8))
    raw = data.draw(st.one_of(st.just(_encode(pairs)), st.binary(max_size=40)))
    status, payload = _call(method, path, raw)
    assert status < 500, (method, path, raw, payload)
    assert "error" in orjson.loads(payload) or status == 200


def test_the_fuzzer_reaches_every_route() -> None:
    # New resources register themselves; a route the fuzzer does not know would go untested.
    assert len(ROUTES) >= 40
    assert ("POST", "/v1/payment_intents/{id}/confirm") in ROUTES
