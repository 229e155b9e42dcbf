"""One Stripe account: its objects, their creation order, idempotency records and events.

All mutation happens on the event loop's thread, between awaits, so a request's changes are
never interleaved with another's. The store persists what an account marks dirty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from paydesk.sandbox import API_VERSION
from paydesk.sandbox.errors import ResourceMissing
from paydesk.sandbox.ids import new_id

if TYPE_CHECKING:
    from paydesk.sandbox.store import Store

Obj = dict[str, Any]

# Stripe's error messages name the kind of object the way people say it.
_KIND_NAMES = {"checkout.session": "checkout.session", "payment_intent": "payment_intent"}


@dataclass(slots=True)
class IdempotencyRecord:
    created: int
    fingerprint: bytes
    status: int
    body: bytes


def frozen_json(value: Any) -> orjson.Fragment:
    """`value` as it is now, kept as JSON bytes that responses, webhooks and the store embed
    as they are.

    An event's `data` never changes once made and is only ever serialised, so it is kept as
    bytes: a parsed snapshot cost a deep copy per event and several times the memory (most of
    a store's size is event snapshots), which made a big store slower as well as bigger.
    """
    return orjson.Fragment(compact(orjson.dumps(value)))


def compact(data: bytes) -> bytes:
    """A right-sized copy of `data`, for bytes that are kept: orjson's output keeps its whole
    working buffer (~32 KB however short the JSON), which made every stored event and
    idempotent response twenty times its size."""
    return memoryview(data).tobytes()


def snapshot(obj: Any) -> Any:
    """A deep copy, so an event keeps the object as it was when the event happened."""
    return orjson.loads(orjson.dumps(obj))


class Account:
    def __init__(self, store: Store, account_id: str) -> None:
        self.store = store
        self.id = account_id
        self._objects: dict[str, Obj] = {}
        self._order: dict[str, list[str]] = {}  # object type -> ids, oldest first
        self._pos: dict[str, int] = {}  # id -> index in its type's list
        self.seq: dict[str, int] = {}  # id -> store-wide creation sequence (persistence order)
        self.idempotency: dict[str, IdempotencyRecord] = {}
        # Who caused the changes being made now; stamped on events as `request`.
        self.request_id: str | None = None
        self.idempotency_key: str | None = None

    # -- objects -----------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return new_id(prefix)

    def insert(self, obj: Obj) -> Obj:
        """Add a new object (it must carry `id` and `object`)."""
        obj_id = obj["id"]
        kind = obj["object"]
        order = self._order.setdefault(kind, [])
        self._pos[obj_id] = len(order)
        order.append(obj_id)
        self._objects[obj_id] = obj
        self.seq[obj_id] = self.store.next_seq()
        self.store.index[obj_id] = self
        self.store.mark_dirty(self, obj)
        return obj

    def load(self, obj: Obj, seq: int) -> None:
        """Restore a persisted object (start-up only; no events, nothing dirty)."""
        obj_id = obj["id"]
        kind = obj["object"]
        if kind == "event" and "data" in obj:
            obj["data"] = frozen_json(obj["data"])
        order = self._order.setdefault(kind, [])
        self._pos[obj_id] = len(order)
        order.append(obj_id)
        self._objects[obj_id] = obj
        self.seq[obj_id] = seq
        self.store.index[obj_id] = self

    def save(self, obj: Obj) -> None:
        """Persist an object changed in place."""
        self.store.mark_dirty(self, obj)

    def update(self, obj: Obj, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply `changes`; return the previous values of what changed (for events)."""
        previous: dict[str, Any] = {}
        for key, value in changes.items():
            old = obj.get(key)
            if old != value:
                previous[key] = snapshot(old) if isinstance(old, dict | list) else old
                obj[key] = value
        if previous:
            self.save(obj)
        return previous

    def delete(self, obj: Obj) -> Obj:
        """Stripe keeps a deleted object's id answering `{"deleted": true}`."""
        stub = {"id": obj["id"], "object": obj["object"], "deleted": True}
        self._objects[obj["id"]] = stub
        self.store.mark_dirty(self, stub)
        return stub

    def find(self, obj_id: str) -> Obj | None:
        return self._objects.get(obj_id)

    def get(self, obj_id: str | None, kind: str, param: str = "id") -> Obj:
        """The live object `obj_id` of type `kind`, or Stripe's 404 naming it."""
        obj = self._objects.get(obj_id) if isinstance(obj_id, str) else None
        if obj is None or obj["object"] != kind or obj.get("deleted"):
            raise ResourceMissing(_KIND_NAMES.get(kind, kind), str(obj_id), param=param)
        return obj

    def ids_of(self, kind: str) -> list[str]:
        return self._order.get(kind, [])

    def position(self, obj_id: str) -> int | None:
        return self._pos.get(obj_id)

    def newest(self, kind: str, keep: Callable[[Obj], bool] | None = None) -> Iterator[Obj]:
        """Live objects of `kind`, newest first, optionally filtered."""
        objects = self._objects
        for obj_id in reversed(self._order.get(kind, ())):
            obj = objects[obj_id]
            if obj.get("deleted"):
                continue
            if keep is None or keep(obj):
                yield obj

    def count(self) -> int:
        return len(self._objects)

    # -- events ------------------------------------------------------------------------------

    def emit(
        self,
        event_type: str,
        obj: Obj,
        previous_attributes: dict[str, Any] | None = None,
        *,
        now: int,
    ) -> Obj:
        """Record an event about `obj` and hand it to webhook delivery. `now` is when it
        happened: business time, so an object on a test clock has events in that clock's time."""
        data: dict[str, Any] = {"object": obj}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        endpoints = [ep for ep in self.newest("webhook_endpoint") if _wants(ep, event_type)]
        event: Obj = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now,
            "data": frozen_json(data),
            "livemode": False,
            "pending_webhooks": len(endpoints),
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": event_type,
        }
        self.insert(event)
        self.store.publish(self, event, endpoints)
        return event


def _wants(endpoint: Obj, event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    return event_matches(endpoint.get("enabled_events") or [], event_type)


def event_matches(patterns: list[str], event_type: str) -> bool:
    """`*` matches everything; `charge.*` matches `charge.succeeded`, `charge.dispute.created`."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
