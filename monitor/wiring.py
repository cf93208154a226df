"""How the parts are wired for a run of checks: one place that builds the checker the daemon
and `monitor check` (and `monitor add`) use, so they check alike.

A checker is the pipeline's :class:`~monitor.pipeline.Checker` over one store, fetcher and
config, with the notification channels of the config (none for ``notify=False``) and the
pacer of articles found through feeds. A reload builds a new one; nothing is patched.
"""

from __future__ import annotations

from concurrent.futures import Executor

from monitor.clock import Clock, iso, system_clock
from monitor.config import Config
from monitor.feeds.pacer import FeedPacer
from monitor.fetch import Fetcher
from monitor.outbox import channel_map
from monitor.pipeline import Checker
from monitor.store import Store


def build_checker(
    store: Store,
    fetcher: Fetcher,
    config: Config,
    *,
    executor: Executor | None = None,
    notify: bool = True,
    clock: Clock = system_clock,
) -> Checker:
    """The checker of a run: ``notify`` queues notifications and reports for its changes
    and failures, as the config's [[notify]] channels ask."""
    return Checker(
        store,
        fetcher,
        config,
        executor=executor,
        channels=channel_map(config) if notify else {},
        plan_next=FeedPacer(store),
        clock=lambda: iso(clock()),
    )
