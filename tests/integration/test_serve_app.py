"""Operations endpoints and logs of the running app: /healthz, /metrics, request ids, and no
secret in any log line."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from paydesk.ops.logging import configure_logging
from paydesk.store.engine import make_engine
from tests.e2e.live import Shop, run_shop


@pytest.fixture
def shop(sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path) as running:
        yield running


def test_healthz_checks_the_database(shop: Shop) -> None:
    res = httpx.get(shop.url + "/healthz")
    assert res.status_code == 200 and res.json() == {"status": "ok", "database": "ok"}
    working = shop.ctx.engine
    # Nothing listens on port 1: the database is down.
    shop.ctx.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        down = httpx.get(shop.url + "/healthz")
    finally:
        shop.ctx.engine.dispose()
        shop.ctx.engine = working
    assert down.status_code == 503 and down.json()["database"] == "unreachable"


def test_metrics_are_in_prometheus_format(shop: Shop) -> None:
    res = httpx.get(shop.url + "/metrics")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/plain")
    assert "paydesk_webhooks_received_total" in res.text


def test_request_id_is_echoed_or_made(shop: Shop) -> None:
    given = httpx.get(shop.url + "/api/products", headers={"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = httpx.get(shop.url + "/api/products", headers={"X-Request-Id": "bad id;" + "x" * 80})
    assert made.headers["x-request-id"].isalnum()
    assert len(made.headers["x-request-id"]) == 32


def test_log_lines_are_json_with_the_request_id_and_no_secret(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging()
    try:
        httpx.post(shop.url + "/api/checkout", headers={"X-Request-Id": "req-log-1"},
                   json={"items": [{"product_id": "beans", "quantity": 1}]})
        # The plain value, as a library might log it: the redactor is the second line of defence.
        key = shop.ctx.settings.stripe_secret_key
        logging.getLogger("test").info("key is %s", key.get_secret_value() if key else "")
    finally:
        logging.getLogger().handlers = []
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    request_lines = [x for x in lines if x.get("request_id") == "req-log-1"]
    assert any(x["event"] == "http.request" and x["path"] == "/api/checkout"
               for x in request_lines)
    for secret in [key.get_secret_value() if key else "", *shop.ctx.webhook_secrets]:
        assert secret and secret not in out
    assert any("[redacted]" in json.dumps(x) for x in lines)
