"""Logging for the CLI and the daemon: one event per line on stderr, as text or JSON.

Modules log through ``logging.getLogger(__name__)``; events about a watch pass
``extra={"watch": ..., "status": ...}``, which the JSON format turns into fields.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LOG_FORMATS = ("text", "json")
_FIELDS = ("watch", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-11-27T09:00:00Z INFO monitor.pipeline: checked watch=... status=...``."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def setup_logging(level: int, fmt: str = "text") -> None:
    """Send every log event to stderr, one line each, in ``fmt`` ("text" or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # The second extractor reports what it finds on a page as errors and warnings ("parsed
    # tree length: 0", "discarding data"): monitor's own lines say what came of it; its
    # own are for -vv.
    second = logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL
    logging.getLogger("trafilatura").setLevel(second)
