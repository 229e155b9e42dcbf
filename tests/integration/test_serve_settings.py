"""Start-up checks: production refuses the demo fallbacks and placeholder secrets, naming the
variable; the embedded demo sandbox's key is random per shop, kept, and never printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from paydesk.bootstrap import StartupError, prepare
from paydesk.sandbox.keys import publishable_key
from paydesk.settings import load_settings
from tests.e2e.live import run_shop
from tests.integration.test_serve_cli import PAYDESK, _env
from tests.support import free_port


def _plain(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""

GOOD_SIGNING_KEY = "k" * 40


def test_the_embedded_sandbox_key_is_random_per_shop_and_kept_across_starts(
    tmp_path: Path,
) -> None:
    keys = []
    for shop in ("a", "a", "b"):
        prepared = prepare(load_settings(_env_file=None,
                                         database_url=f"sqlite:///{tmp_path}/{shop}.db",
                                         sandbox_db=str(tmp_path / f"{shop}-sandbox.db")),
                           "127.0.0.1", free_port(), sandbox_port=0)
        try:
            keys.append(_plain(prepared.ctx.settings.stripe_secret_key))
        finally:
            prepared.close()
    assert all(k.startswith("sk_test_paydesk_") and len(k) >= 40 for k in keys)
    assert "sk_test_paydesk_demo" not in keys
    assert keys[0] == keys[1]  # the sandbox's accounts are keyed by it: kept, or all is lost
    assert keys[0] != keys[2]


def test_the_embedded_demo_knows_its_publishable_key(sqlite_url: str) -> None:
    prepared = prepare(load_settings(_env_file=None, database_url=sqlite_url),
                       "127.0.0.1", free_port(), sandbox_port=0)
    try:
        settings = prepared.ctx.settings
        secret = _plain(settings.stripe_secret_key)
        assert settings.stripe_publishable_key == publishable_key(secret)
        # Stripe.js's call with it reaches the demo's own account.
        answer = httpx.post(
            f"{prepared.sandbox_url}/v1/payment_methods",
            data={"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
                  "card[exp_year]": "2034", "key": settings.stripe_publishable_key},
        )
        assert answer.status_code == 200, answer.text
        pm = prepared.ctx.stripe.v1.payment_methods.retrieve(answer.json()["id"])
        assert pm.id == answer.json()["id"]
    finally:
        prepared.close()


def test_sandbox_keys_prints_the_pair() -> None:
    done = subprocess.run(
        [PAYDESK, "sandbox", "keys", "sk_test_abc"], capture_output=True, text=True, check=True
    )
    assert publishable_key("sk_test_abc") in done.stdout
    assert "sk_test_abc" in done.stdout


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "PAYDESK_SIGNING_KEY"]),
        ({"stripe_secret_key": "sk_live_abc", "stripe_webhook_secret": "whsec_abc"},
         ["PAYDESK_SIGNING_KEY"]),
        ({"stripe_secret_key": "sk_live_abc", "stripe_webhook_secret": "whsec_abc",
          "paydesk_signing_key": "short"}, ["PAYDESK_SIGNING_KEY is shorter"]),
        ({"stripe_secret_key": "sk_live_abc", "stripe_webhook_secret": "whsec_xxx",
          "paydesk_signing_key": GOOD_SIGNING_KEY}, ["STRIPE_WEBHOOK_SECRET is a placeholder"]),
        ({"stripe_secret_key": "sk_live_changeme", "stripe_webhook_secret": "whsec_abc",
          "paydesk_signing_key": GOOD_SIGNING_KEY, "paydesk_admin_token": "changeme"},
         ["STRIPE_SECRET_KEY is a placeholder", "PAYDESK_ADMIN_TOKEN is a placeholder"]),
        ({"stripe_secret_key": "sk_live_abc", "stripe_webhook_secret": "whsec_abc",
          "paydesk_signing_key": GOOD_SIGNING_KEY, "paydesk_admin_token": "abc"},
         ["PAYDESK_ADMIN_TOKEN is shorter than 32 characters"]),
    ],
)
def test_production_refuses_missing_and_placeholder_settings(
    sqlite_url: str, settings: dict[str, str], named: list[str]
) -> None:
    with pytest.raises(StartupError) as caught:
        prepare(load_settings(_env_file=None, database_url=sqlite_url,
                              paydesk_env="production", **settings), "127.0.0.1", 8000)
    for needle in named:
        assert needle in str(caught.value)
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # refused before anything


def test_development_keeps_its_fallbacks(sqlite_url: str) -> None:
    settings = load_settings(_env_file=None, database_url=sqlite_url,
                             paydesk_admin_token="changeme")
    assert settings.production_problems() == []


def test_production_with_real_settings_serves(
    sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, paydesk_env="production",
                  paydesk_signing_key=GOOD_SIGNING_KEY) as shop:
        assert httpx.get(shop.url + "/healthz").status_code == 200
        assert shop.ctx.signing_key == GOOD_SIGNING_KEY.encode()


def test_serve_in_production_without_a_key_exits_naming_it(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PAYDESK, "serve", "--port", str(free_port()), "--sandbox-port", str(free_port())],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=_env(f"sqlite:///{tmp_path}/shop.db", PAYDESK_ENV="production"),
    )
    assert proc.returncode == 2
    assert "STRIPE_SECRET_KEY is not set" in proc.stderr
    assert "Sandbox:" not in proc.stderr


def test_serve_with_an_invalid_setting_exits_naming_it(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PAYDESK, "serve", "--port", str(free_port())],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=_env(f"sqlite:///{tmp_path}/shop.db", PAYDESK_ENV="prod"),
    )
    assert proc.returncode == 2
    assert "PAYDESK_ENV" in proc.stderr
    assert "Traceback" not in proc.stderr
