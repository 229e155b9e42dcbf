"""The `paydesk` command: wiring only; each command lives in the module that owns it."""

from __future__ import annotations

from typing import Annotated

import typer

from paydesk.admin.cli import retry_cli
from paydesk.bootstrap import command_context, command_database, settings_or_exit
from paydesk.bootstrap import serve as run_serve
from paydesk.catalog.service import sync_cli
from paydesk.notify.worker import run_forever
from paydesk.reconcile.cli import reconcile_cli
from paydesk.refunds.cli import refund_cli
from paydesk.sandbox.chaos import ChaosError, parse_cli
from paydesk.sandbox.cli import listen as run_listen
from paydesk.sandbox.cli import trigger as run_trigger
from paydesk.sandbox.keys import publishable_key
from paydesk.sandbox.operations.dunning import FINAL_ACTIONS, Dunning, parse_retries
from paydesk.sandbox.server import run as run_sandbox
from paydesk.store.migrate import upgrade

app = typer.Typer(no_args_is_help=True, add_completion=False, help="paydesk: payments back office")
db_app = typer.Typer(no_args_is_help=True, help="Database migrations")
catalog_app = typer.Typer(no_args_is_help=True, help="The product catalog")
events_app = typer.Typer(no_args_is_help=True, help="The webhook inbox")
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(events_app, name="events")
# `paydesk sandbox` runs it; `paydesk sandbox keys SK` prints an account's key pair.
sandbox_app = typer.Typer(help="The offline, stateful Stripe-compatible sandbox")
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.callback(invoke_without_command=True)
def sandbox(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on")] = 12111,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    db: Annotated[str | None, typer.Option(help="SQLite file that keeps state")] = None,
    webhook_retry_delays: Annotated[
        str | None, typer.Option(help="Seconds between delivery attempts, e.g. 60,300,900")
    ] = None,
    dunning_retries: Annotated[
        str, typer.Option(help="Days between retries of a failed subscription payment")
    ] = "3,5,7",
    dunning_final: Annotated[
        str, typer.Option(help="After the last retry: cancel, unpaid or past_due")
    ] = "cancel",
    chaos: Annotated[
        str | None,
        typer.Option(
            help="Webhook chaos for every account, e.g. "
            "duplicate=0.3,reorder=0.2,delay_ms=0-5000,fail=0.05"
        ),
    ] = None,
    chaos_seed: Annotated[
        int | None, typer.Option(help="Seed for the chaos choices (same seed, same choices)")
    ] = None,
) -> None:
    """Run the offline, stateful Stripe-compatible sandbox."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        retries = parse_retries(dunning_retries)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--dunning-retries") from None
    if dunning_final not in FINAL_ACTIONS:
        raise typer.BadParameter(
            f"must be one of {', '.join(FINAL_ACTIONS)}", param_hint="--dunning-final"
        )
    try:
        plan = parse_cli(chaos, chaos_seed)
    except ChaosError as error:
        raise typer.BadParameter(str(error), param_hint="--chaos") from None
    run_sandbox(
        host=host,
        port=port,
        db_path=db,
        retry_delays=webhook_retry_delays,
        dunning=Dunning(retries, dunning_final),
        chaos=plan,
    )


@sandbox_app.command()
def keys(secret_key: Annotated[str, typer.Argument(help="The account's sk_test_… key")]) -> None:
    """Print the sandbox account's secret and publishable keys."""
    if not secret_key.startswith("sk_test_"):
        raise typer.BadParameter("a sandbox secret key starts with sk_test_", param_hint="SK")
    print(f"secret key:      {secret_key}")
    print(f"publishable key: {publishable_key(secret_key)}")


@app.command()
def listen(
    forward_to: Annotated[str, typer.Option("--forward-to", help="Where to POST events")],
    events: Annotated[str, typer.Option(help="Comma-separated event types")] = "*",
    api_base: Annotated[str, typer.Option(envvar="STRIPE_API_BASE")] = "http://127.0.0.1:12111",
    api_key: Annotated[str, typer.Option(envvar="STRIPE_SECRET_KEY")] = "sk_test_paydesk",
    replay_since: Annotated[
        str | None, typer.Option(help="First send again the events of this past period, e.g. 1h")
    ] = None,
) -> None:
    """Forward a running sandbox's events to a URL (like `stripe listen`)."""
    run_listen(
        forward_to=forward_to,
        events=events,
        api_base=api_base,
        api_key=api_key,
        replay_since=replay_since,
    )


@app.command()
def trigger(
    event: Annotated[str, typer.Argument(help="e.g. checkout.session.completed")],
    api_base: Annotated[str, typer.Option(envvar="STRIPE_API_BASE")] = "http://127.0.0.1:12111",
    api_key: Annotated[str, typer.Option(envvar="STRIPE_SECRET_KEY")] = "sk_test_paydesk",
) -> None:
    """Create the objects that make a running sandbox emit EVENT (like `stripe trigger`)."""
    run_trigger(event=event, api_base=api_base, api_key=api_key)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    sandbox_port: Annotated[int, typer.Option(help="Embedded sandbox port")] = 12111,
) -> None:
    """Run the shop (with the embedded sandbox when STRIPE_SECRET_KEY is unset)."""
    run_serve(host=host, port=port, sandbox_port=sandbox_port)


@app.command()
def worker() -> None:
    """Drain the outbox (emails) in this process until stopped."""
    with command_database() as (settings, engine):
        run_forever(engine, settings.smtp_url)


@app.command()
def reconcile(
    since: Annotated[str, typer.Option(help="How far back to look, e.g. 3d, 12h")] = "3d",
) -> None:
    """Find events the inbox lacks (events.list) and run them through the pipeline."""
    with command_context() as ctx:
        reconcile_cli(ctx, since=since)


@app.command()
def refund(
    order_id: Annotated[str, typer.Argument(help="The order to refund (ord_…)")],
    amount: Annotated[
        str | None, typer.Option(help="In major units, e.g. 12.50; default: all that is left")
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="requested_by_customer | duplicate | fraudulent")
    ] = None,
) -> None:
    """Ask Stripe to refund an order (idempotency key refund:<order_id>:<n>)."""
    with command_context() as ctx:
        refund_cli(ctx, order_id, amount=amount, reason=reason)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    upgrade(settings_or_exit().database_url)
    print("database is up to date")


@catalog_app.command("sync")
def catalog_sync(
    file: Annotated[str | None, typer.Option(help="Catalog file (JSON); default: the demo")] = None,
) -> None:
    """Load the catalog file and sync it to Stripe products and prices."""
    with command_context(migrate=True) as ctx:
        sync_cli(ctx, file=file)


@events_app.command("retry")
def events_retry(
    event_id: Annotated[str, typer.Argument(help="The failed event's id (evt_…)")],
) -> None:
    """Make a failed webhook event due now, so the processor retries it at once."""
    with command_database() as (_, engine):
        retry_cli(engine, event_id)


def main() -> None:
    app()
