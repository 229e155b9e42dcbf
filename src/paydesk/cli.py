"""The `paydesk` command: wiring only; each command lives in the module that owns it."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated

import typer

from paydesk.cli_errors import exit_code, explain
from paydesk.cli_help import PlainCommand
from paydesk.sandbox.triggers import FIXTURES

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="paydesk: payments back office",
    # Rich's boxed help and tracebacks: plain lines read better in a terminal and in logs.
    rich_markup_mode=None, pretty_exceptions_enable=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations")
catalog_app = typer.Typer(no_args_is_help=True, help="The product catalog")
events_app = typer.Typer(no_args_is_help=True, help="The webhook inbox")
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(events_app, name="events")


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


@app.command()
def sandbox(
    port: Port = 12111,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to bind")] = "127.0.0.1",
    db: Annotated[
        str | None, typer.Option(metavar="PATH", help="SQLite file that keeps state")
    ] = None,
    webhook_retry_delays: Annotated[
        str | None,
        typer.Option(metavar="SECONDS", help="Seconds between delivery attempts, e.g. 60,300,900"),
    ] = None,
    business_name: Annotated[
        str, typer.Option(metavar="NAME", help="Shown on the hosted checkout page")
    ] = "paydesk sandbox",
) -> None:
    """Run the offline, stateful Stripe-compatible sandbox."""
    from paydesk.sandbox.server import run

    run(host=host, port=port, db_path=db, retry_delays=webhook_retry_delays,
        business_name=business_name)


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
) -> None:
    """Forward a running sandbox's events to a URL (like `stripe listen`)."""
    from paydesk.sandbox.cli import listen as run_listen

    run_listen(forward_to=forward_to, events=events, api_base=api_base, api_key=api_key)


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
    from paydesk.sandbox.cli import trigger as run_trigger

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
    from paydesk.bootstrap import serve as run_serve

    run_serve(host=host, port=port, sandbox_port=sandbox_port)


@app.command()
def worker() -> None:
    """Drain the outbox (emails) in this process until stopped."""
    from paydesk.notify.worker import run_forever

    run_forever()


@app.command()
def reconcile(
    since: Annotated[
        str, typer.Option(metavar="SPAN", help="How far back to look, e.g. 3d, 12h, 30m")
    ] = "3d",
) -> None:
    """Find events the inbox lacks (events.list) and run them through the pipeline."""
    from paydesk.reconcile.cli import reconcile_cli
    from paydesk.reconcile.service import parse_since

    try:
        window = parse_since(since)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--since "), param_hint="--since") from None
    reconcile_cli(since=since, window=window)


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
    from paydesk.refunds.cli import refund_cli

    refund_cli(order_id, amount=amount, reason=reason)


@app.command()
def doctor() -> None:
    """Check the settings and the Stripe account against the go-live checklist."""
    from paydesk.ops.doctor import doctor_cli

    doctor_cli()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    from paydesk.store.migrate import upgrade_cli

    upgrade_cli()


@catalog_app.command("sync")
def catalog_sync(
    file: Annotated[
        str | None, typer.Option(metavar="PATH", help="Catalog file (JSON); default: the demo")
    ] = None,
) -> None:
    """Load the catalog file and sync it to Stripe products and prices."""
    from paydesk.catalog.service import sync_cli

    sync_cli(file=file)


@events_app.command("retry", cls=PlainCommand)
def events_retry(
    event_id: Annotated[
        str, typer.Argument(metavar="EVENT_ID", help="The failed event's id (evt_…)")
    ],
) -> None:
    """Make a failed webhook event due now, so the processor retries it at once."""
    from paydesk.admin.cli import retry_cli

    retry_cli(event_id)


def main() -> None:
    """Run a command; a mistake the user can fix ends in one line and exit code 1."""
    try:
        app()
    except Exception as exc:
        line = None if os.environ.get(_DEBUG) else explain(exc)
        if line is None:
            traceback.print_exc()
            sys.exit(1)
        print(f"paydesk: {line}", file=sys.stderr)
        sys.exit(exit_code(exc))
