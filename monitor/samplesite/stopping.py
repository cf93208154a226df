"""A stop flag that server threads wait on with a timeout, also under faketime."""

from __future__ import annotations

import os
import select


class Stopping:
    """A flag that handlers wait on with a timeout: a pipe and select(), not
    ``threading.Event.wait(timeout)``, whose deadline libfaketime does not move (under
    ``faketime -f +400d`` such a wait would last 400 days)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        self._set = False

    def set(self) -> None:
        if not self._set:
            self._set = True
            os.write(self._write, b"x")

    def is_set(self) -> bool:
        return self._set

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True (at once) when the flag is set."""
        readable, _, _ = select.select([self._read], [], [], max(0.0, seconds))
        return bool(readable)

    def close(self) -> None:
        if self._read >= 0:
            os.close(self._read)
            os.close(self._write)
            self._read = self._write = -1
