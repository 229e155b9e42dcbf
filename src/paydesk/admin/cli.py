"""`paydesk events retry EVT_ID`: the retry button's command-line twin."""

from __future__ import annotations

import typer

from paydesk.admin.retry import retry_event
from paydesk.settings import load_settings
from paydesk.store.engine import make_engine


def retry_cli(event_id: str) -> None:
    engine = make_engine(load_settings().database_url)
    try:
        if not retry_event(engine, event_id):
            typer.echo(f"No failed event {event_id} in the inbox.", err=True)
            raise typer.Exit(1)
    finally:
        engine.dispose()
    typer.echo(f"{event_id} is due now: a running processor takes it within a second or so.")
