"""The exception tree of monitor.

    MonitorError                 base of everything monitor raises on purpose
    ├── ConfigError              a bad config file or value (file, key, what is allowed)
    ├── UsageError               a bad command-line request (unknown watch, bad version)
    ├── FetchError               a page could not be fetched (carries kind and status)
    │   └── FetchCancelled       the fetch was not started: monitor is stopping
    ├── FeedError                a feed or sitemap could not be read (carries url)
    ├── ExtractError             a page could not be turned into an article
    ├── StoreError               the database cannot be opened, read or written
    │   └── StaleBaselineError   another process stored a check of the watch meanwhile
    ├── LockError                another daemon holds the database
    ├── WebError                 a web request that cannot be answered (carries the HTTP status)
    └── NotifyError              a notification could not be sent (carries channel, retryable)

Normal outcomes of a check (``unchanged``, ``not_modified``, ``soft_error``, ...) are
result statuses, never exceptions. Only the CLI turns an exception into a message and an
exit status, in one place.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of monitor's own errors."""


class ConfigError(MonitorError):
    """A config file, key or value is not valid."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ": ".join(part for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(MonitorError):
    """The command line asks for something that does not exist or makes no sense."""


class FetchError(MonitorError):
    """A fetch failed; ``kind`` is ``network`` or ``http``."""

    def __init__(self, message: str, *, kind: str, http_status: int | None = None) -> None:
        self.kind = kind
        self.http_status = http_status
        super().__init__(message)


class FetchCancelled(FetchError):
    """A fetch that was never started because monitor is shutting down."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="cancelled")


class FeedError(MonitorError):
    """A followed feed or sitemap could not be fetched or read: an error page, not XML, not a
    feed. The poll is recorded as failed; nothing found before is touched."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class ExtractError(MonitorError):
    """A document could not be parsed or has no article text."""


class StoreError(MonitorError):
    """The snapshot database cannot be opened, read or written."""


class StaleBaselineError(StoreError):
    """A check was decided against a baseline that another process has since replaced."""


class LockError(MonitorError):
    """Another process already runs the daemon on this database."""


class WebError(MonitorError):
    """A request to the web UI or API that cannot be answered: ``status`` 400 for a bad
    parameter, 404 for something that does not exist."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class NotifyError(MonitorError):
    """A notification was not sent; ``retryable`` when it surely did not reach anyone."""

    def __init__(self, message: str, *, channel: str, retryable: bool) -> None:
        self.channel = channel
        self.retryable = retryable
        super().__init__(f"{channel}: {message}")
