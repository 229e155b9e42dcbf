"""The mistakes a newcomer makes from the shell, run as real processes: each ends in one line
that names the problem and the fix (exit 1, or 2 for usage and settings), never a traceback;
`--debug` brings the traceback back."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_serve_cli import PAYDESK, _env
from tests.support import free_port as _free_port


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    database = env.pop("DATABASE_URL", f"sqlite:///{tmp_path}/shop.db")
    return subprocess.run([PAYDESK, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=90, env=_env(database, **env))


def _one_line(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "code", "needles"),
    [
        ("postgresql://nobody@127.0.0.1:1/shop", 1,
         ["DATABASE_URL", "cannot be reached", "Connection refused"]),
        ("::not a url", 2, ["DATABASE_URL", "cannot be parsed", "postgresql://"]),
        ("mysql://u@localhost/shop", 2, ["DATABASE_URL", "mysql is not supported"]),
    ],
)
def test_a_bad_database_url_is_one_line(
    tmp_path: Path, url: str, code: int, needles: list[str]
) -> None:
    for command in (["db", "upgrade"], ["reconcile"]):
        _one_line(_run(tmp_path, *command, DATABASE_URL=url), code, *needles)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--debug", "db", "upgrade",
                DATABASE_URL="postgresql://nobody@127.0.0.1:1/shop")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "OperationalError" in proc.stderr


def test_refund_and_reconcile_without_a_key_or_a_demo_say_what_to_do(tmp_path: Path) -> None:
    for command in (["refund", "ord_x"], ["reconcile"]):
        _one_line(_run(tmp_path, *command), 1, "no paydesk tables", "paydesk db upgrade")
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    for command in (["refund", "ord_x"], ["reconcile"]):
        _one_line(_run(tmp_path, *command), 1, "STRIPE_SECRET_KEY", "paydesk serve")


def test_reconcile_with_stripe_unreachable_is_one_line(tmp_path: Path) -> None:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    proc = _run(tmp_path, "reconcile", STRIPE_SECRET_KEY="sk_test_x",
                STRIPE_API_BASE="http://127.0.0.1:1")
    _one_line(proc, 1, "Stripe cannot be reached", "STRIPE_API_BASE")


def test_a_bad_since_is_a_usage_error(tmp_path: Path) -> None:
    proc = _run(tmp_path, "reconcile", "--since", "garbage")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "Invalid value for --since: must look like 3d, 12h" in proc.stderr


@pytest.mark.parametrize("option", ["--port", "--sandbox-port"])
@pytest.mark.parametrize("value", ["99999", "0", "-1"])
def test_ports_outside_1_to_65535_are_refused(tmp_path: Path, option: str, value: str) -> None:
    proc = _run(tmp_path, "serve", option, value)
    assert proc.returncode == 2
    assert f"a port is a number from 1 to 65535, not '{value}'" in proc.stderr
    assert "Shop:" not in proc.stderr


def test_the_shop_port_in_use_is_named_before_any_banner(tmp_path: Path, busy_port: int) -> None:
    proc = _run(tmp_path, "serve", "--port", str(busy_port), "--sandbox-port", str(_free_port()))
    _one_line(proc, 1, f"port {busy_port}", "already in use", "--port")
    assert "listening" not in proc.stdout + proc.stderr


def test_the_sandbox_port_in_use_is_named_with_its_option(
    tmp_path: Path, busy_port: int
) -> None:
    proc = _run(tmp_path, "serve", "--port", str(_free_port()), "--sandbox-port", str(busy_port))
    _one_line(proc, 1, f"port {busy_port}", "embedded sandbox", "--sandbox-port")
    assert "Shop:" not in proc.stderr


def test_the_standalone_sandbox_port_in_use_says_so_and_never_listening(
    tmp_path: Path, busy_port: int
) -> None:
    proc = _run(tmp_path, "sandbox", "--port", str(busy_port))
    _one_line(proc, 1, f"port {busy_port}", "--port")
    assert "listening" not in proc.stdout


def test_production_reports_every_missing_setting_at_once(tmp_path: Path) -> None:
    proc = _run(tmp_path, "serve", "--port", str(_free_port()), PAYDESK_ENV="production")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "STRIPE_SECRET_KEY is not set" in proc.stderr
    assert "STRIPE_WEBHOOK_SECRET is not set" in proc.stderr  # not only on the next run
    assert "PAYDESK_SIGNING_KEY is not set" in proc.stderr


def test_production_names_a_missing_webhook_secret_with_the_rest(tmp_path: Path) -> None:
    proc = _run(tmp_path, "serve", "--port", str(_free_port()), PAYDESK_ENV="production",
                STRIPE_SECRET_KEY="sk_live_abc")
    assert proc.returncode == 2
    assert "STRIPE_WEBHOOK_SECRET is not set" in proc.stderr
    assert "PAYDESK_SIGNING_KEY is not set" in proc.stderr


def test_trigger_without_a_sandbox_says_how_to_start_one(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_free_port()}"
    proc = _run(tmp_path, "trigger", "customer.created", "--api-base", base)
    line = _one_line(proc, 1, f"No sandbox answers at {base}", "paydesk sandbox")
    assert "support@stripe.com" not in line


def test_help_lists_trigger_events_and_plain_metavars(tmp_path: Path) -> None:
    trigger_help = _run(tmp_path, "trigger", "--help").stdout
    assert "checkout.session.completed" in trigger_help
    assert "payment_intent.payment_failed" in trigger_help
    for command in ([], ["serve"], ["refund"], ["trigger"], ["reconcile"], ["events", "retry"]):
        text = _run(tmp_path, *command, "--help").stdout
        assert "<bool>" not in text and "<str>" not in text and "<int>" not in text, text
        assert "{" not in text.split("\n", 1)[0], text  # the usage line


def test_catalog_mistakes_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"products": [{"id": "Not An Id"}]}')
    ports = ["--port", str(_free_port()), "--sandbox-port", str(_free_port())]
    _one_line(_run(tmp_path, "serve", *ports, CATALOG_FILE="missing.json"), 1,
              "missing.json does not exist")
    _one_line(_run(tmp_path, "serve", *ports, CATALOG_FILE="bad.json"), 1,
              "the catalog file is invalid", "products.0.id", "products.0.name: Field required")


def test_catalog_sync_without_a_key_names_it(tmp_path: Path) -> None:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    _one_line(_run(tmp_path, "catalog", "sync"), 1, "STRIPE_SECRET_KEY is not set")
