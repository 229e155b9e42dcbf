"""One writer at a time within this process, on SQLite only.

SQLite has a single write lock and its busy handler sleeps (1 ms … 100 ms) while waiting, which
would put those sleeps into webhook acknowledgements. The inbox writer, the processor and the
outbox worker take this gate instead, so inside one process they simply queue. PostgreSQL
locks rows, so there the gate does nothing.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Engine


class WriteGate:
    def __init__(self, engine: Engine) -> None:
        self._lock: threading.Lock | None = (
            threading.Lock() if engine.dialect.name == "sqlite" else None
        )

    def hold(self) -> AbstractContextManager[object]:
        return self._lock if self._lock is not None else nullcontext()
