"""JSON logs (structlog) with a request id on every line, and nothing secret in them."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import TextIO

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor, WrappedLogger

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is kept only if it is short and plain, so it cannot forge log lines.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SECRET_KEY = re.compile(r"secret|password|token|api_key|authorization|signature", re.I)
_SECRET_VALUE = re.compile(r"\b(sk|rk)_(test|live)_[A-Za-z0-9_]+|\bwhsec_[A-Za-z0-9_]+")
# Paths whose next segment is a capability: whoever holds it sees an order (the buyer's email,
# download links), a download or an account. Logs are read by more people than the admin.
CAPABILITY_PREFIXES = ("/access/", "/api/orders/", "/pay/", "/account/", "/download/")
# An order id anywhere in a path (the admin's order pages too) opens /api/orders/<id>.
_ORDER_ID = re.compile(r"(?<=/)ord_[^/]*")
REDACTED = "[redacted]"


def redact_path(path: str) -> str:
    """The path with its capability segments replaced by [redacted]."""
    for prefix in CAPABILITY_PREFIXES:
        if path.startswith(prefix):
            _, slash, rest = path[len(prefix):].partition("/")
            path = prefix + REDACTED + slash + rest
            break
    return _ORDER_ID.sub(REDACTED, path)


def redact_secrets(
    _logger: WrappedLogger, _method: str, event_dict: EventDict
) -> EventDict:
    """Drop values under secret-sounding keys and mask anything shaped like a Stripe secret."""
    for key, value in list(event_dict.items()):
        if _SECRET_KEY.search(key):
            event_dict[key] = "[redacted]"
        elif key == "path" and isinstance(value, str):
            event_dict[key] = redact_path(_SECRET_VALUE.sub("[redacted]", value))
        elif isinstance(value, str):
            event_dict[key] = _SECRET_VALUE.sub("[redacted]", value)
    return event_dict


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Every log line, ours and the libraries' (uvicorn, alembic), as one JSON object: on stdout
    for the services (`serve`, `worker`), on stderr for one-shot commands (`stream`), whose
    stdout is their result."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # The SDK logs every request at INFO; our own lines already carry the ids that matter.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    # uvicorn's access log would repeat what RequestIdMiddleware logs, without the id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


class RequestIdMiddleware:
    """Gives every request an id (the caller's X-Request-Id if sane), binds it to the log
    context, echoes it in the response, and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("paydesk.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status_code = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                # The path only (query strings may carry ids a log reader should not collect),
                # without its capability segments.
                elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                self.log.info(
                    "http.request", method=scope["method"], path=redact_path(scope["path"]),
                    status=status_code, duration_ms=elapsed_ms,
                )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = str(value.decode("latin-1"))
            if _SAFE_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex
