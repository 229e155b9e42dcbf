"""The `/v1` HTTP API as a plain ASGI app: auth, form decoding, idempotency, errors, expand.

Kept to bare ASGI because it is the hot path: a PaymentIntent create+confirm spends its time
in the handler and the store, not in framework layers.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from contextvars import ContextVar
from typing import Any

import orjson

from paydesk.sandbox import API_VERSION, compat, formdata
from paydesk.sandbox.account import Account, IdempotencyRecord, compact
from paydesk.sandbox.clock import wall_now
from paydesk.sandbox.errors import IdempotencyError, InvalidRequest, StripeError, Unauthorized
from paydesk.sandbox.expand import check_paths, expand
from paydesk.sandbox.routing import Call, Handler, Router
from paydesk.sandbox.store import PersistError, Store

log = logging.getLogger("paydesk.sandbox")

MAX_BODY = 4 * 1024 * 1024
MAX_IDEMPOTENCY_KEY = 255
_API_ERROR = orjson.dumps({"error": {"type": "api_error", "message": "An unknown error occurred"}})
Scope = dict[str, Any]
# The idempotency record a call replays (each ASGI call runs in a task, with its own context).
_REPLAYED: ContextVar[tuple[Account, str, IdempotencyRecord] | None] = ContextVar(
    "paydesk_sandbox_replayed", default=None
)


class ApiApp:
    def __init__(self, store: Store, router: Router) -> None:
        self.store = store
        self.router = router

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = "req_" + secrets.token_hex(7)
        if scope["method"] == "OPTIONS":  # CORS preflight: browsers send it without a key
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": compat.preflight_headers(headers),
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        head = scope["method"] == "HEAD"  # answered like GET, without the body
        if head:
            scope = {**scope, "method": "GET"}
        body, too_large = await _read_body(receive, headers)
        if too_large:
            error = InvalidRequest("Request body too large.", status=413)
            return await _send(send, error.status, orjson.dumps(error.body()), request_id, {})
        _REPLAYED.set(None)
        status, payload, extra = self.handle(scope, headers, body, request_id)
        try:
            await self.store.committed()
        except PersistError:
            # This call's changes are not on disk (nor its idempotency record): never say 200.
            log.exception("sandbox changes not stored: %s %s", scope["method"], scope["path"])
            status, payload = 500, _API_ERROR
        replayed = _REPLAYED.get()
        if replayed is not None and replayed[0].idempotency.get(replayed[1]) is not replayed[2]:
            # A retry arrived while the first call was being stored, and storing it failed:
            # the answer it would replay was never kept, so it is not given either.
            status, payload = 500, _API_ERROR
            extra.pop("Idempotent-Replayed", None)
        await _send(send, status, payload, request_id, extra, head)

    def handle(
        self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]:
        extra: dict[str, str] = {}
        try:
            status, payload = self._handle(scope, headers, body, request_id, extra)
        except StripeError as error:  # refused before the endpoint ran: nothing to keep
            status, payload = error.status, orjson.dumps(error.body())
        except Exception:
            # A bug outside the handlers still answers in Stripe's shape, never plain text.
            log.exception("sandbox request failed: %s %s", scope["method"], scope["path"])
            status, payload = 500, _API_ERROR
        # The caller awaits `store.committed()` before answering: the changes are durable then.
        return status, payload, extra

    def _handle(
        self,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        request_id: str,
        extra: dict[str, str],
    ) -> tuple[int, bytes]:
        method = scope["method"]
        path = scope["path"]
        params = formdata.parse(scope.get("query_string", b""))
        if body:
            compat.check_content_type(headers)
            params.update(formdata.parse(body))
        account = self._authenticate(headers, method, path, params)
        raw_paths = params.pop("expand", None)
        paths = check_paths(raw_paths)
        key = headers.get("idempotency-key") if method == "POST" else None
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidRequest(
                f"Idempotent key length is {len(key)}, which is outside accepted lengths. "
                f"Idempotent Keys must be 1-{MAX_IDEMPOTENCY_KEY} characters long. If you're "
                "looking for a decent generator, try using a UUID defined by IETF RFC 4122."
            )
        fingerprint = b""
        if key:
            extra["Idempotency-Key"] = key
            fingerprint = _fingerprint(method, path, params, raw_paths)
            record = self.store.idempotent(account, key)
            if record is not None:
                _REPLAYED.set((account, key, record))
                return self._replay(record, fingerprint, key, extra)
        found = self.router.match(method, path.rstrip("/") or "/")
        if found is None:
            raise InvalidRequest(
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                status=404,
            )
        status, payload, saved = self._dispatch(
            account, found, params, paths, scope, headers, request_id, key
        )
        if key and saved:
            # Stripe keeps the outcome once the endpoint started running, errors (card
            # declines, wrong state, even 500s) included; a retry gets the same answer.
            self.store.remember(
                account, key, IdempotencyRecord(wall_now(), fingerprint, status, compact(payload))
            )
        return status, payload

    def _dispatch(
        self,
        account: Account,
        found: tuple[Handler, tuple[str, ...]],
        params: dict[str, Any],
        paths: list[str],
        scope: Scope,
        headers: dict[str, str],
        request_id: str,
        key: str | None,
    ) -> tuple[int, bytes, bool]:
        """Run the handler: (status, body, whether an Idempotency-Key keeps the answer)."""
        handler, args = found
        method, path = scope["method"], scope["path"]
        host = headers.get("host", "127.0.0.1")
        call = Call(
            account,
            params,
            args,
            f"{scope.get('scheme', 'http')}://{host}",
            request_id,
            method,
            path,
            wall_now(),
        )
        account.request_id, account.idempotency_key = request_id, key
        account.base_url = call.base_url
        try:
            answer = expand(account, handler(call), paths)
            version = headers.get("stripe-version")
            if version is not None and version < compat.LEGACY_BEFORE:
                answer = compat.legacy_shape(account, answer)
            return 200, orjson.dumps(answer), True
        except StripeError as error:
            # A declined card is an error answer *and* a state change; the body may carry
            # objects that must be expanded like a normal response.
            return error.status, orjson.dumps(error.body()), error.saved
        except Exception:
            log.exception("sandbox handler failed: %s %s", method, path)
            return 500, _API_ERROR, True
        finally:
            account.request_id = account.idempotency_key = None

    def _authenticate(
        self, headers: dict[str, str], method: str, path: str, params: dict[str, Any]
    ) -> Account:
        auth = headers.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = credential.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credential).decode().partition(":")[0]
            except Exception:  # noqa: BLE001 - any garbage is simply "no key"
                key = ""
        if not key:
            key = compat.key_param(params)
        if key.startswith("pk_"):
            return compat.publishable_account(self.store, key, method, path, params)
        if not key:
            raise Unauthorized(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        if not (key.startswith("sk_test_") or key.startswith("rk_test_")) or len(key) < 10:
            shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
            raise Unauthorized(f"Invalid API Key provided: {shown}", code="api_key_invalid")
        return self.store.account_for_key(key)

    def _replay(
        self, record: IdempotencyRecord, fingerprint: bytes, key: str, extra: dict[str, str]
    ) -> tuple[int, bytes]:
        if record.fingerprint != fingerprint:
            error = IdempotencyError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                status=400,
            )
            return error.status, orjson.dumps(error.body())
        extra["Idempotent-Replayed"] = "true"
        return record.status, record.body


def _fingerprint(method: str, path: str, params: dict[str, Any], paths: Any) -> bytes:
    # A digest, not the parameters: kept for 24 hours per key, it must stay small.
    canonical = orjson.dumps([method, path, params, paths], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).digest()


async def _read_body(receive: Any, headers: dict[str, str]) -> tuple[bytes, bool]:
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), False


async def _send(
    send: Any, status: int, body: bytes, request_id: str, extra: dict[str, str], head: bool = False
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"request-id", request_id.encode()),
        (b"stripe-version", API_VERSION.encode()),
        (b"access-control-allow-origin", b"*"),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
