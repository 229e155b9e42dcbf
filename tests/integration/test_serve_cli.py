"""`paydesk serve` as a user runs it: no Stripe key, so the sandbox runs inside, the demo catalog
is loaded and synced, and checkout works at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import free_port, wait_for

PAYDESK = str(Path(sys.executable).with_name("paydesk"))


def _healthy(base: str, proc: subprocess.Popen[str]) -> bool:
    assert proc.poll() is None, proc.communicate()[1]
    try:
        return httpx.get(base + "/healthz").status_code == 200
    except httpx.TransportError:
        return False


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CLIENT_URL"))}
    env.update(DATABASE_URL=database_url, **extra)
    return env


def test_serve_runs_the_demo_shop_on_the_embedded_sandbox(
    tmp_path: Path, database_url: str
) -> None:
    port, sandbox_port = free_port(), free_port()
    proc = subprocess.Popen(
        [PAYDESK, "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        cwd=tmp_path, env=_env(database_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base, proc), "paydesk serve to come up", timeout=60)
        products = httpx.get(base + "/api/products").json()
        assert any(p["type"] == "digital" for p in products)
        assert any(p["stock"] for p in products)
        digital = next(p for p in products if p["type"] == "digital")
        res = httpx.post(base + "/api/checkout",
                         json={"items": [{"product_id": digital["id"], "quantity": 1}]})
        assert res.status_code == 201, res.text
        assert res.json()["url"].startswith(f"http://127.0.0.1:{sandbox_port}/")
        assert "<h2>" + digital["name"] in httpx.get(base + "/").text
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert f"{base}/" in err  # the banner says where to click
    assert "sk_test_paydesk_" not in err + _out  # the demo key is never printed


def test_a_real_stripe_key_without_a_webhook_secret_refuses_to_start(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PAYDESK, "serve", "--port", str(free_port())], cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
        env=_env(f"sqlite:///{tmp_path}/shop.db", STRIPE_SECRET_KEY="sk_test_abc",
                 STRIPE_API_BASE="http://127.0.0.1:1"),
    )
    assert proc.returncode == 2
    assert "STRIPE_WEBHOOK_SECRET" in proc.stderr
