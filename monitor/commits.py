"""Grouped commits: the checks that finish together are written in one transaction.

Concurrent checks hand their records to one :class:`CommitGroup` instead of each opening
and committing a transaction of its own: the records handed in within ``window`` seconds of
the first are written together (one ``BEGIN IMMEDIATE``, one ``COMMIT``), each in a
savepoint of its own (:meth:`monitor.store.Store.record_checks`). So each check is still
written whole or not at all: one that cannot be written (a stale baseline) fails alone, and
a failed transaction fails every check of its group. :meth:`CommitGroup.record` returns
only once its group is committed, so nothing is reported, printed or notified before it is
stored.
"""

from __future__ import annotations

import asyncio

from monitor.store import CheckRecord, Recorded, Store


class CommitGroup:
    """Writes the records of concurrent checks of one store in shared transactions."""

    def __init__(self, store: Store, *, window: float = 0.005) -> None:
        self.store = store
        self.window = window  # seconds a group stays open after its first record
        self._waiting: list[tuple[CheckRecord, asyncio.Future[Recorded]]] = []
        self.transactions = 0  # groups written (or tried)
        self.records = 0  # records handed in

    async def record(self, record: CheckRecord) -> Recorded:
        """Write ``record`` with the others handed in within the window; what it wrote, once
        committed (its StoreError if it or the transaction failed)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Recorded] = loop.create_future()
        self._waiting.append((record, future))
        self.records += 1
        if len(self._waiting) == 1:  # the first of a group
            loop.call_later(self.window, self._write)
        return await future

    def _write(self) -> None:
        group, self._waiting = self._waiting, []
        self.transactions += 1
        try:
            outcomes = self.store.record_checks([record for record, _ in group])
        except BaseException as exc:  # the whole transaction failed: so did every check in it
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if future.done():  # its check was cancelled meanwhile; what it wrote stays
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
