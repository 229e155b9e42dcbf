"""`paydesk reconcile --since 3d`: recover missed events from the shell, with progress."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from paydesk.context import AppContext
from paydesk.reconcile.service import parse_since, reconcile


def reconcile_cli(ctx: AppContext, since: str) -> None:
    """`paydesk reconcile --since 3d`: a progress bar while listing, then what was recovered."""
    window = parse_since(since)
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
