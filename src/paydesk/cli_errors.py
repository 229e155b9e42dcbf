"""The mistakes a user can make from the shell, each told in one line that names the fix.

`paydesk` catches what escapes a command and asks `explain` for that line; `--debug` (or
PAYDESK_DEBUG=1) shows the traceback instead. Anything `explain` does not know is a bug, and
keeps its traceback.
"""

from __future__ import annotations

import stripe
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

__all__ = ["ConfigError", "UserError", "exit_code", "explain", "settings_problems"]


class UserError(Exception):
    """A mistake the user can fix: the message names it and the fix, in one line."""


class ConfigError(UserError):
    """Settings that cannot run (exit code 2, like any usage error)."""


def exit_code(exc: BaseException) -> int:
    settings = isinstance(exc, ValidationError) and exc.title == "Settings"
    return 2 if settings or isinstance(exc, ConfigError) else 1


def explain(exc: BaseException) -> str | None:
    """The one line for `exc`, or None when it is not the user's to fix."""
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return settings_problems(exc) if exc.title == "Settings" else _invalid_file(exc)
    if isinstance(exc, FileNotFoundError):
        return (f"{exc.filename} does not exist: check the path (CATALOG_FILE, --file, "
                "CATALOG_FILES).")
    if isinstance(exc, DBAPIError) and _missing_table(exc):
        return ("the database at DATABASE_URL has no paydesk tables yet: run `paydesk db "
                "upgrade` (or start `paydesk serve`, which migrates on start).")
    if isinstance(exc, OperationalError):
        return (f"the database (DATABASE_URL) cannot be reached: {_first_line(exc.orig)}. "
                "Check DATABASE_URL and that the database server is running.")
    if isinstance(exc, stripe.APIConnectionError):
        return ("Stripe cannot be reached (STRIPE_API_BASE): check the network, or start the "
                "sandbox (`paydesk serve` in demo mode, or `paydesk sandbox`).")
    if isinstance(exc, stripe.AuthenticationError):
        return ("Stripe refused STRIPE_SECRET_KEY: copy the secret key (sk_…) of the account "
                "from the Dashboard's API keys page.")
    if isinstance(exc, stripe.StripeError):
        return f"Stripe refused the request: {exc.user_message or exc}"
    return None


def settings_problems(exc: ValidationError) -> str:
    """`DATABASE_URL: …; CHECKOUT_SESSION_MINUTES: …` (never the values: they may be secret)."""
    parts = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "invalid settings: " + "; ".join(parts)


def _invalid_file(exc: ValidationError) -> str:
    """A catalog file (or another model read from a file) that does not validate."""
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
             for e in exc.errors()[:5]]
    more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return f"the catalog file is invalid: {'; '.join(parts)}{more}"


def port_in_use(port: int, what: str, option: str) -> UserError:
    return UserError(f"port {port} ({what}) is already in use: stop what listens there or "
                     f"pick another with {option}")


def _missing_table(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _first_line(value: object) -> str:
    lines = [line.strip() for line in str(value).splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else type(value).__name__
