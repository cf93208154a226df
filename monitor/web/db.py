"""Read-only database connections for the web app: a small pool, one connection per request.

sqlite3 connections must not be used by two threads at once; the endpoints run in Starlette's
thread pool, so each request borrows a connection of its own and gives it back. Each request
reads inside one transaction, so a page sees one state of the database even while the daemon
writes (WAL).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.store.read import ReadOnlyStore

log = logging.getLogger(__name__)


class StorePool:
    """Read-only stores of one database, opened on demand and reused."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._idle = [ReadOnlyStore(self.path)]  # opened now: a bad path fails at start-up
        self._closed = False
        self.trace: Callable[[str], None] | None = None  # gets every SQL statement (tests)

    @contextmanager
    def store(self) -> Iterator[ReadOnlyStore]:
        """A store for this thread's exclusive use, read in one transaction."""
        with self._lock:
            store = self._idle.pop() if self._idle else None
        if store is None:
            store = ReadOnlyStore(self.path)
        store.database.conn.set_trace_callback(self.trace)
        try:
            with store.database.snapshot():
                yield store
        finally:
            self._give_back(store)

    def _give_back(self, store: ReadOnlyStore) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(store)
                return
        store.close()

    def close(self) -> None:
        """Close the idle connections; those in use close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for store in idle:
            store.close()
