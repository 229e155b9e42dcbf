"""`paydesk doctor` as a user runs it: one ✓/✗ line per item of the go-live checklist, the fix
named on each ✗, exit code 1 when any fails; in demo mode, what would change for production."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from aiosmtpd.controller import Controller

from paydesk.webhooks.dispatch import EVENT_TYPES
from tests.integration.test_serve_cli import PAYDESK, _env
from tests.support import free_port as _free_port

SHOP = "https://shop.example"


def _doctor(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    proc = subprocess.run([PAYDESK, "doctor"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=90, env=_env(f"sqlite:///{tmp_path}/shop.db", **env))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout.splitlines()


def _line(lines: list[str], start: str) -> str:
    found = [line for line in lines if line[2:].startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0]


@pytest.fixture
def smtp_url() -> Iterator[str]:
    class Accept:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    controller = Controller(Accept(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def test_demo_mode_says_what_would_change_for_production(tmp_path: Path) -> None:
    code, lines = _doctor(tmp_path)
    assert code == 1
    assert lines[0].startswith("Demo mode")
    checks = lines[1:-1]
    assert checks and all(line[:2] in ("✓ ", "✗ ") for line in checks)
    assert all(": " in line for line in checks if line.startswith("✗"))  # each names its fix
    assert "sk_live_" in _line(lines, "STRIPE_SECRET_KEY")
    assert "paydesk db upgrade" in _line(lines, "the database is reachable and migrated")
    assert _line(lines, "CLIENT_URL is https").startswith("✗")
    assert lines[-1].endswith("checks pass.")


def test_a_configured_shop_is_checked_against_its_stripe_account(
    tmp_path: Path, sandbox_url: str, stripe_key: str, smtp_url: str
) -> None:
    client = stripe.StripeClient(stripe_key, base_addresses={"api": sandbox_url})
    handled = sorted(EVENT_TYPES)
    endpoint = client.v1.webhook_endpoints.create(
        {"url": SHOP + "/api/webhook", "enabled_events": handled[1:]}  # type: ignore[typeddict-item]
    )
    env = {
        "STRIPE_SECRET_KEY": stripe_key, "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
        "STRIPE_API_BASE": sandbox_url, "STRIPE_WEBHOOK_SECRET": str(endpoint.secret),
        "CLIENT_URL": SHOP, "SMTP_URL": smtp_url, "PAYDESK_ADMIN_TOKEN": "a" * 8 + "Zq93" * 6,
        "PAYDESK_SIGNING_KEY": "s" * 40,
    }
    assert subprocess.run([PAYDESK, "db", "upgrade"], cwd=tmp_path, capture_output=True,
                          env=_env(f"sqlite:///{tmp_path}/shop.db")).returncode == 0
    code, lines = _doctor(tmp_path, **env)
    assert code == 1  # a test key is not a live one
    assert "this one is a test key" in _line(lines, "STRIPE_SECRET_KEY is a live key")
    assert _line(lines, "STRIPE_PUBLISHABLE_KEY").startswith("✗ ")
    assert "a live publishable key with a test secret key" in _line(lines, "STRIPE_PUBLISHABLE")
    for passing in ("STRIPE_WEBHOOK_SECRET", f"a webhook endpoint at Stripe for {SHOP}",
                    "the webhook URL is https", "the database is reachable and migrated",
                    "SMTP_URL reaches a mail server", "PAYDESK_ADMIN_TOKEN is strong",
                    "PAYDESK_SIGNING_KEY is set", "CLIENT_URL is https"):
        assert _line(lines, passing).startswith("✓ "), lines
    assert _line(lines, "the endpoint receives every event").endswith(f"enable {handled[0]}")
    for secret in (stripe_key, env["STRIPE_WEBHOOK_SECRET"], env["PAYDESK_ADMIN_TOKEN"],
                   env["PAYDESK_SIGNING_KEY"]):
        assert secret not in "\n".join(lines)  # doctor judges secrets, never shows them

    code, lines = _doctor(tmp_path, **env | {"CLIENT_URL": "http://elsewhere.example",
                                             "SMTP_URL": f"smtp://127.0.0.1:{_free_port()}",
                                             "PAYDESK_ADMIN_TOKEN": "changeme"})
    assert _line(lines, "a webhook endpoint at Stripe for http://elsewhere").startswith("✗ ")
    assert _line(lines, "the webhook URL is https").startswith("✗ ")
    assert "ConnectionRefusedError" in _line(lines, "SMTP_URL reaches a mail server")
    assert _line(lines, "PAYDESK_ADMIN_TOKEN is strong").startswith("✗ ")
