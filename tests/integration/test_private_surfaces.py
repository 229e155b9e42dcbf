"""Capabilities stay out of the request log (issue 11, item 4); /metrics and the API description
are the admin's in production, and the docs are off there (item 5). The shop's own app, over
real HTTP."""

from __future__ import annotations

import httpx
import pytest
import structlog
from test_webhook_support import ADMIN_TOKEN, make_ctx, seed_order, seed_product, serve_pipeline

from paydesk.app import create_app
from paydesk.fulfilment.access import make_token
from paydesk.ops.logging import redact_path

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SIGNING_KEY = "p" * 40


@pytest.mark.parametrize(("path", "shown"), [
    ("/access/abc.def", "/access/[redacted]"),
    ("/api/orders/ord_123", "/api/orders/[redacted]"),
    ("/api/orders/ord_123/extra", "/api/orders/[redacted]/extra"),
    ("/pay/ord_123", "/pay/[redacted]"),
    ("/account/tok", "/account/[redacted]"),
    ("/admin/orders/ord_123/refunds", "/admin/orders/[redacted]/refunds"),
    ("/api/products", "/api/products"),
    ("/admin/events/evt_1", "/admin/events/evt_1"),
])
def test_redact_path(path: str, shown: str) -> None:
    assert redact_path(path) == shown


def test_request_log_never_holds_order_ids_or_access_tokens(sqlite_url: str) -> None:
    ctx = make_ctx(sqlite_url)
    try:
        seed_product(ctx.engine)
        order_id = seed_order(ctx.engine)
        token = make_token(ctx.signing_key, order_id, "ebook")
        with structlog.testing.capture_logs() as logs, serve_pipeline(ctx, create_app) as base:
            for path in (f"/access/{token}", f"/api/orders/{order_id}",
                         f"/admin/orders/{order_id}", f"/pay/{order_id}"):
                httpx.get(base + path, headers=BEARER)
    finally:
        ctx.engine.dispose()
    requests = [line for line in logs if line.get("event") == "http.request"]
    assert len(requests) == 4
    text = repr(requests)
    assert order_id not in text and token.split(".")[0] not in text and token not in text
    assert "/api/orders/[redacted]" in text and "/access/[redacted]" in text


@pytest.fixture
def production(sqlite_url: str):  # type: ignore[no-untyped-def]
    ctx = make_ctx(sqlite_url, paydesk_env="production", paydesk_signing_key=SIGNING_KEY)
    with serve_pipeline(ctx, create_app) as base:
        yield base
    ctx.engine.dispose()


def test_production_keeps_metrics_and_the_api_description_to_the_admin(production: str) -> None:
    for path in ("/metrics", "/openapi.json"):
        anonymous = httpx.get(production + path)
        assert anonymous.status_code == 401, path
        assert "PAYDESK_ADMIN_TOKEN" in anonymous.json()["detail"]
        wrong = httpx.get(production + path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, path
    assert "paydesk_webhooks_received" in httpx.get(production + "/metrics", headers=BEARER).text
    description = httpx.get(production + "/openapi.json", headers=BEARER)
    assert description.status_code == 200 and "/api/checkout" in description.json()["paths"]
    for headers in ({}, BEARER):
        assert httpx.get(production + "/api/docs", headers=headers).status_code == 404


def test_production_without_an_admin_token_hides_them(sqlite_url: str) -> None:
    ctx = make_ctx(sqlite_url, paydesk_env="production", paydesk_signing_key=SIGNING_KEY,
                   paydesk_admin_token=None)
    try:
        with serve_pipeline(ctx, create_app) as base:
            for path in ("/metrics", "/openapi.json", "/api/docs"):
                assert httpx.get(base + path, headers=BEARER).status_code == 404, path
    finally:
        ctx.engine.dispose()


def test_development_leaves_them_open(sqlite_url: str) -> None:
    ctx = make_ctx(sqlite_url)
    try:
        with serve_pipeline(ctx, create_app) as base:
            for path in ("/metrics", "/openapi.json", "/api/docs"):
                assert httpx.get(base + path).status_code == 200, path
    finally:
        ctx.engine.dispose()
