"""A task for a worker process from a module that imports nothing heavy (tests/test_workers.py).
A worker imports a task's module to unpickle the task, so what the worker imported on its
own can be told only by a task from such a module."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def imported(prefixes: Sequence[str]) -> list[str]:
    """The modules of this process whose names start with one of ``prefixes``."""
    return sorted(name for name in sys.modules if name.startswith(tuple(prefixes)))
