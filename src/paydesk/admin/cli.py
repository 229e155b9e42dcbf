"""`paydesk events retry EVT_ID`: the retry button's command-line twin."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from paydesk.admin.retry import retry_event


def retry_cli(engine: Engine, event_id: str) -> None:
    if not retry_event(engine, event_id):
        typer.echo(f"No failed event {event_id} in the inbox.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{event_id} is due now: a running processor takes it within a second or so.")
