"""Grouped commits: the checks that finish together are written in one transaction.

Concurrent checks hand their records to one :class:`CommitGroup` instead of each opening
and committing a transaction of its own: the records handed in within ``window`` seconds of
the group's first are written together (one ``BEGIN IMMEDIATE``, one ``COMMIT``), each in a
savepoint of its own (:meth:`monitor.store.Store.record_checks`). So each check is still
written whole or not at all: one that cannot be written (a stale baseline, a constraint, any
error) fails alone, and a failed transaction fails every check of its group.
:meth:`CommitGroup.record` returns only once its group is committed, so nothing is reported,
printed or notified before it is stored; a check cancelled before its group is written
(the daemon stopping) writes nothing.
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
        self._timer: asyncio.TimerHandle | None = None

    async def record(self, record: CheckRecord) -> Recorded:
        """Write ``record`` with the others handed in within the window; what it wrote, once
        committed (its error if it or the transaction failed)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Recorded] = loop.create_future()
        # what a stopped loop left behind (its checks were cancelled) is not written
        self._waiting = [(r, f) for r, f in self._waiting if f.get_loop() is loop]
        self._waiting.append((record, future))
        if len(self._waiting) == 1:  # the first of a group (a stopped loop's timer is moot)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_later(self.window, self._write)
        return await future

    def _write(self) -> None:
        self._timer = None
        group = [(record, future) for record, future in self._waiting if not future.done()]
        self._waiting = []
        if not group:
            return
        try:
            outcomes = self.store.record_checks([record for record, _ in group])
        except BaseException as exc:  # the whole transaction failed: so did every check in it
            for _, future in group:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
