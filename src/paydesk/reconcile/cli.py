"""`paydesk reconcile --since 3d`: recover missed events from the shell, with progress."""

from __future__ import annotations

from datetime import timedelta

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from paydesk.context import AppContext
from paydesk.reconcile.drift import drift_report
from paydesk.reconcile.service import parse_since, reconcile


def reconcile_cli(ctx: AppContext, since: str, check: bool = False) -> None:
    """`paydesk reconcile --since 3d`: a progress bar while listing, then what was recovered.
    With --check: the drift report instead (exit status 1 when anything differs)."""
    window = parse_since(since)
    if check:
        check_cli(ctx, window)
        return
    console = Console()
    with Progress(
        SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
        TextColumn("{task.completed} events"), TimeElapsedColumn(), console=console,
    ) as progress:
        task = progress.add_task(f"Listing Stripe events of the last {since}", total=None)
        recovered = reconcile(ctx, window, on_event=lambda: progress.advance(task))
    if not recovered:
        console.print("Nothing to recover: the inbox has every event.")
        return
    table = Table(title=f"Recovered {len(recovered)} event(s)")
    for column in ("event", "type", "object"):
        table.add_column(column)
    for item in recovered:
        table.add_row(item["id"], item["type"], item["object_id"] or "")
    console.print(table)


def check_cli(ctx: AppContext, window: timedelta) -> None:
    console = Console()
    found = drift_report(ctx, window)
    if not found:
        console.print("No drift: local subscriptions and orders match Stripe.")
        return
    table = Table(title=f"{len(found)} difference(s) from Stripe")
    for column in ("kind", "id", "field", "local", "stripe"):
        table.add_column(column)
    for d in found:
        table.add_row(d.kind, d.id, d.field, d.local, d.stripe)
    console.print(table)
    console.print("Run `paydesk reconcile` to recover missed events.")
    raise SystemExit(1)
