"""`paydesk clock advance --days N [--email E]`: asks the running shop (its admin API) to move
its customers' test clocks. The shop holds the sandbox key (in embedded mode a random one no
other process knows), so the command goes through it rather than to Stripe directly."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import typer

from paydesk.settings import load_settings, plain_secret


def advance_cli(days: int, email: str | None, url: str | None) -> None:
    settings = load_settings()
    secret = settings.paydesk_admin_token
    token = plain_secret(secret) or ""
    if not token:
        raise typer.BadParameter("PAYDESK_ADMIN_TOKEN is not set: set the shop's admin token "
                                 "(the command calls the running shop's admin API)")
    base = (url or settings.client_url or "http://127.0.0.1:8000").rstrip("/")
    body: dict[str, object] = {"days": days}
    if email:
        body["email"] = email
    try:
        answer = httpx.post(f"{base}/api/admin/clock/advance", json=body, timeout=600,
                            headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise typer.BadParameter(f"could not reach the shop at {base} ({type(exc).__name__}): "
                                 "start it with `paydesk serve` or pass --url") from None
    if answer.status_code != 200:
        detail = answer.json().get("detail") if answer.headers.get(
            "content-type", "").startswith("application/json") else answer.text[:200]
        typer.echo(f"paydesk: {detail}", err=True)
        raise typer.Exit(1)
    moved = answer.json()["advanced"]
    for item in moved:
        when = datetime.fromtimestamp(item["frozen_time"], UTC).strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(f"{item['email']}: clock {item['clock_id']} now at {when}")
    if not moved:
        typer.echo("No customer is on a test clock yet: subscribe first.")
