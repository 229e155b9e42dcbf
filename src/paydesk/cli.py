"""The `paydesk` command: wiring only; each command lives in the module that owns it."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import Annotated

import typer

from paydesk.admin.cli import retry_cli
from paydesk.admin.doctor import doctor_cli
from paydesk.billing.clock_cli import advance_cli
from paydesk.bootstrap import command_context, command_database
from paydesk.bootstrap import serve as run_serve
from paydesk.catalog.service import sync_cli
from paydesk.cli_errors import exit_code, explain
from paydesk.cli_help import PlainCommand
from paydesk.notify.worker import run_forever
from paydesk.ops.logging import configure_logging
from paydesk.reconcile.cli import reconcile_cli
from paydesk.reconcile.service import parse_since
from paydesk.refunds.cli import refund_cli
from paydesk.sandbox.chaos import ChaosError, parse_cli
from paydesk.sandbox.cli import listen as run_listen
from paydesk.sandbox.cli import trigger as run_trigger
from paydesk.sandbox.keys import publishable_key
from paydesk.sandbox.operations.dunning import FINAL_ACTIONS, Dunning, parse_retries
from paydesk.sandbox.server import run as run_sandbox
from paydesk.sandbox.triggers import FIXTURES
from paydesk.settings import load_settings
from paydesk.store.migrate import upgrade

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="paydesk: payments back office",
    # Rich's boxed help and tracebacks: plain lines read better in a terminal and in logs.
    rich_markup_mode=None, pretty_exceptions_enable=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations")
catalog_app = typer.Typer(no_args_is_help=True, help="The product catalog")
events_app = typer.Typer(no_args_is_help=True, help="The webhook inbox")
clock_app = typer.Typer(no_args_is_help=True, help="Sandbox time (test clocks)")
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(events_app, name="events")
# `paydesk sandbox` runs it; `paydesk sandbox keys SK` prints an account's key pair.
sandbox_app = typer.Typer(help="The offline, stateful Stripe-compatible sandbox")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(clock_app, name="clock")


@clock_app.command("advance")
def clock_advance(
    days: Annotated[int, typer.Option(help="How many days to move forward")],
    email: Annotated[str | None, typer.Option(help="Only this customer's clock")] = None,
    url: Annotated[str | None, typer.Option(help="The running shop (default CLIENT_URL)")] = None,
) -> None:
    """Move the shop's customers' test clocks forward (sandbox mode): renewals, failed
    payments, dunning and suspension happen as they would over those days."""
    advance_cli(days, email, url)


def _port(value: str | int) -> int:
    text = str(value)  # the default arrives as an int
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise typer.BadParameter(f"a port is a number from 1 to 65535, not {text!r}")
    return int(text)


Port = Annotated[int, typer.Option(parser=_port, metavar="PORT", help="Port to listen on")]
_API_BASE = typer.Option(envvar="STRIPE_API_BASE", metavar="URL", help="The sandbox's address")
_API_KEY = typer.Option(envvar="STRIPE_SECRET_KEY", metavar="KEY", help="Its key (sk_test_…)")
_DEBUG = "PAYDESK_DEBUG"


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails")
    ] = False,
) -> None:
    if debug:
        os.environ[_DEBUG] = "1"


@sandbox_app.callback(invoke_without_command=True)
def sandbox(
    ctx: typer.Context,
    port: Port = 12111,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to bind")] = "127.0.0.1",
    db: Annotated[
        str | None, typer.Option(metavar="PATH", help="SQLite file that keeps state")
    ] = None,
    business_name: Annotated[
        str, typer.Option(metavar="NAME", help="Shown on the hosted checkout page")
    ] = "paydesk sandbox",
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
        business_name=business_name,
    )


@sandbox_app.command(cls=PlainCommand)
def keys(secret_key: Annotated[str, typer.Argument(help="The account's sk_test_… key")]) -> None:
    """Print the sandbox account's secret and publishable keys."""
    if not secret_key.startswith("sk_test_"):
        raise typer.BadParameter("a sandbox secret key starts with sk_test_", param_hint="SK")
    print(f"secret key:      {secret_key}")
    print(f"publishable key: {publishable_key(secret_key)}")


@app.command()
def listen(
    forward_to: Annotated[
        str, typer.Option("--forward-to", metavar="URL", help="Where to POST events")
    ],
    events: Annotated[
        str, typer.Option(metavar="TYPES", help="Comma-separated event types")
    ] = "*",
    api_base: Annotated[str, _API_BASE] = "http://127.0.0.1:12111",
    api_key: Annotated[str, _API_KEY] = "sk_test_paydesk",
    replay_since: Annotated[
        str | None,
        typer.Option(metavar="SPAN", help="First send again the events of this period, e.g. 1h"),
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


@app.command(
    cls=PlainCommand,
    help="Create the objects that make a running sandbox emit EVENT (like `stripe trigger`).",
    # \b keeps click from re-flowing the list into one paragraph.
    epilog="\b\nEvents:\n" + "\n".join(f"  {name}" for name in sorted(FIXTURES)),
)
def trigger(
    event: Annotated[
        str, typer.Argument(metavar="EVENT", help="One of the events listed below")
    ],
    api_base: Annotated[str, _API_BASE] = "http://127.0.0.1:12111",
    api_key: Annotated[str, _API_KEY] = "sk_test_paydesk",
) -> None:
    run_trigger(event=event, api_base=api_base, api_key=api_key)


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to bind")] = "127.0.0.1",
    port: Port = 8000,
    sandbox_port: Annotated[
        int, typer.Option(parser=_port, metavar="PORT", help="Embedded sandbox port")
    ] = 12111,
) -> None:
    """Run the shop (with the embedded sandbox when STRIPE_SECRET_KEY is unset)."""
    run_serve(host=host, port=port, sandbox_port=sandbox_port)


@app.command()
def worker() -> None:
    """Drain the outbox (emails) in this process until stopped."""
    configure_logging()
    with command_database() as (settings, engine):
        run_forever(engine, settings.smtp_url)


@app.command()
def reconcile(
    since: Annotated[
        str, typer.Option(metavar="SPAN", help="How far back to look, e.g. 3d, 12h, 30m")
    ] = "3d",
    check: Annotated[bool, typer.Option(
        "--check", help="Only report local subscriptions and orders that differ from Stripe")
    ] = False,
) -> None:
    """Find events the inbox lacks (events.list) and run them through the pipeline."""
    try:
        parse_since(since)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--since "), param_hint="--since") from None
    with command_context() as ctx:
        reconcile_cli(ctx, since=since, check=check)


@app.command(cls=PlainCommand)
def refund(
    order_id: Annotated[
        str, typer.Argument(metavar="ORDER_ID", help="The order to refund (ord_…)")
    ],
    amount: Annotated[
        str | None,
        typer.Option(metavar="AMOUNT", help="In major units, e.g. 12.50; default: what is left"),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(metavar="REASON", help="requested_by_customer | duplicate | fraudulent"),
    ] = None,
) -> None:
    """Ask Stripe to refund an order (idempotency key refund:<order_id>:<n>)."""
    with command_context() as ctx:
        refund_cli(ctx, order_id, amount=amount, reason=reason)


@app.command()
def doctor() -> None:
    """Check the settings and the Stripe account against the go-live checklist."""
    doctor_cli()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    upgrade(load_settings().database_url)
    print("database is up to date")


@catalog_app.command("sync")
def catalog_sync(
    file: Annotated[
        str | None, typer.Option(metavar="PATH", help="Catalog file (JSON); default: the demo")
    ] = None,
) -> None:
    """Load the catalog file and sync it to Stripe products and prices."""
    with command_context(migrate=True) as ctx:
        sync_cli(ctx, file=file)


@events_app.command("retry", cls=PlainCommand)
def events_retry(
    event_id: Annotated[
        str, typer.Argument(metavar="EVENT_ID", help="The failed event's id (evt_…)")
    ],
) -> None:
    """Make a failed webhook event due now, so the processor retries it at once."""
    with command_database() as (_, engine):
        retry_cli(engine, event_id)


def main() -> None:
    """Run a command; a mistake the user can fix ends in one line and exit code 1."""
    # A command's stdout is its result: its warnings go to stderr, its info lines nowhere
    # (serve and worker, the services, log everything to stdout as a process manager expects).
    configure_logging(logging.WARNING, stream=sys.stderr)
    try:
        app()
    except Exception as exc:
        line = None if os.environ.get(_DEBUG) else explain(exc)
        if line is None:
            traceback.print_exc()
            sys.exit(1)
        print(f"paydesk: {line}", file=sys.stderr)
        sys.exit(exit_code(exc))
