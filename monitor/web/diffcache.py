"""A small LRU cache of computed diffs between two versions.

Comparing two long versions is CPU-bound (and, with ``monitor run --web``, done in the
daemon's process, holding the GIL). Stored changes carry their diff; a comparison of any
other two versions is computed once and kept here, keyed by the watch (and its name, shown in
the report), both snapshot ids and both texts' hashes (a version's text never changes, but
the key does not rely on that).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from monitor.models import ChangeReport
from monitor.store import Snapshot, Watch

Compare = Callable[[Watch, Snapshot, Snapshot], ChangeReport]
Key = tuple[int, str, str, int, int, str, str]


class DiffCache:
    """The last ``size`` comparisons, least recently used dropped first; thread-safe (the
    endpoints run in a thread pool)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[Key, ChangeReport] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(
        self, watch: Watch, old: Snapshot, new: Snapshot, compare: Compare
    ) -> ChangeReport:
        """The comparison of ``old`` with ``new``: cached, or computed and cached."""
        key = (watch.id, watch.label, watch.url, old.id, new.id, old.text_sha256, new.text_sha256)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        report = compare(watch, old, new)  # outside the lock: other requests go on
        with self._lock:
            self._items[key] = report
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return report

    def __len__(self) -> int:
        return len(self._items)
