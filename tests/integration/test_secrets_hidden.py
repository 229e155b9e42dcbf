"""Secrets (Stripe keys, webhook secret, admin token, signing key, SMTP password) never show in
a repr, a log line, `paydesk serve`'s start-up output or an error message."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
import structlog
from pydantic import ValidationError

from paydesk.bootstrap import build_context
from paydesk.cli_errors import explain
from paydesk.ops.logging import configure_logging
from paydesk.settings import load_settings
from tests.e2e.live import run_shop
from tests.integration.test_serve_cli import PAYDESK, _env, _healthy
from tests.support import ADMIN_TOKEN as SHOP_ADMIN_TOKEN  # what run_shop configures
from tests.support import free_port, wait_for

# None of these has a shape the log redactor knows (sk_…, whsec_…): only SecretStr hides them.
ADMIN_TOKEN = "admin-Qm7vXr2Lp9Zt4Wk8Hy3Nb6Jc5Fd1Gs0"
SIGNING_KEY = "sign-Tq8Rw3Ey6Ui1Op4As7Df2Gh5Jk9Lz0Xc"
SMTP_PASSWORD = "mail-Vb3Nm6Qw9Er2Ty5Ui8Op1As4"
WEBHOOK_SECRET = "whsec_Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1"
SECRETS = {
    "PAYDESK_ADMIN_TOKEN": ADMIN_TOKEN,
    "PAYDESK_SIGNING_KEY": SIGNING_KEY,
    "SMTP_URL": f"smtp://shop:{SMTP_PASSWORD}@127.0.0.1:{free_port()}",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
PLAIN = [ADMIN_TOKEN, SIGNING_KEY, SMTP_PASSWORD, WEBHOOK_SECRET.removeprefix("whsec_")]


def _settings(stripe_key: str = "sk_test_Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2") -> object:
    return load_settings(_env_file=None, stripe_secret_key=stripe_key,
                         **{name.lower(): value for name, value in SECRETS.items()})


def test_the_settings_repr_and_json_hold_no_secret() -> None:
    settings = _settings()
    for shown in (repr(settings), str(settings), settings.model_dump_json()):  # type: ignore[attr-defined]
        for secret in [*PLAIN, "Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2"]:
            assert secret not in shown
    assert "**********" in repr(settings)


def test_the_app_context_repr_holds_no_secret(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'shop.db'}",
        stripe_secret_key="sk_test_Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2",
        **{name.lower(): value for name, value in SECRETS.items()},
    )
    ctx = build_context(settings)
    try:
        shown = repr(ctx)
    finally:
        ctx.engine.dispose()
    for secret in [*PLAIN, "Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2"]:
        assert secret not in shown


def test_settings_logged_whole_hold_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    try:
        structlog.get_logger("test").info("settings", settings=_settings())
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()
    out = capsys.readouterr().out
    assert json.loads(out.splitlines()[-1])["event"] == "settings"
    for secret in PLAIN:
        assert secret not in out


def test_an_invalid_setting_is_named_without_its_secret_value() -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(_env_file=None, stripe_secret_key="sk_test_YOUR_KEY_Qa1Ws2Ed3",
                      paydesk_admin_idle_minutes=0)
    message = explain(caught.value) or ""
    assert "STRIPE_SECRET_KEY" in message and "PAYDESK_ADMIN_IDLE_MINUTES" in message
    assert "Qa1Ws2Ed3" not in message


def test_serve_start_up_output_holds_no_secret(
    tmp_path: Path, sqlite_url: str, sandbox_url: str, stripe_key: str
) -> None:
    port = free_port()
    env = _env(sqlite_url, STRIPE_SECRET_KEY=stripe_key, STRIPE_API_BASE=sandbox_url,
               CLIENT_URL=f"http://127.0.0.1:{port}", **SECRETS)
    proc = subprocess.Popen([PAYDESK, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base, proc), "paydesk serve to come up", timeout=60)
        signed_in = httpx.get(base + "/admin", params={"token": ADMIN_TOKEN}, follow_redirects=True)
        assert signed_in.status_code == 200  # the token was read, and its request logged
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert '"event"' in out + err  # the JSON log lines are there to be read
    for secret in [*PLAIN, stripe_key]:
        assert secret not in out + err


def test_clock_advance_sends_the_admin_token_itself(
    tmp_path: Path, sqlite_url: str, sandbox_url: str, stripe_key: str
) -> None:
    """`paydesk clock advance` authenticates with the token's value, not its masked form."""
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, paydesk_test_clocks=True) as shop:
        done = subprocess.run(
            [PAYDESK, "clock", "advance", "--days", "1", "--url", shop.url], cwd=tmp_path,
            env=_env(sqlite_url, PAYDESK_ADMIN_TOKEN=SHOP_ADMIN_TOKEN), capture_output=True,
            text=True, timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert "No customer is on a test clock yet" in done.stdout
