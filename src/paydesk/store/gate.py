"""One writer at a time within this process, on SQLite only.

SQLite has a single write lock and its busy handler sleeps (1 ms … 100 ms) while waiting, which
would put those sleeps into webhook acknowledgements. The inbox writer, the processor and the
outbox worker take this gate instead, so inside one process they simply queue. PostgreSQL
locks rows, so there the gate does nothing (but still tells background work when deliveries
are arriving, so it can step aside).
"""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Engine


class WriteGate:
    def __init__(self, engine: Engine) -> None:
        self._lock: threading.Lock | None = (
            threading.Lock() if engine.dialect.name == "sqlite" else None
        )

        self._last_ingest = 0.0

    def hold(self) -> AbstractContextManager[object]:
        return self._lock if self._lock is not None else nullcontext()

    def mark_ingest(self) -> None:
        """The inbox writer just committed deliveries."""
        self._last_ingest = time.monotonic()

    def ingest_busy(self, window: float = 0.5) -> bool:
        """Deliveries are arriving: background work should take small turns and pause between
        them, so acknowledgements keep flowing (fulfilment catches up when the burst ends)."""
        return time.monotonic() - self._last_ingest < window
