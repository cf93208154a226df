"""The first changed passage of a diff, with a few words of context around it: what a list
of changes (the web UI's /changes, Atom summaries) shows so that a reader sees what changed
without opening each one.

:func:`first_passage` walks the diff's ops to the first removal or insertion, takes the
context before it back to the start of its line (at most :data:`CONTEXT` characters), the
changes that follow (small unchanged gaps between them included) up to :data:`LIMIT`
characters, and the context after it up to the end of its line. Pieces cut short carry an
ellipsis. The result is plain text in pieces; the caller escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.models import DiffOp

CONTEXT = 30  # characters of unchanged text shown on each side
LIMIT = 160  # characters of changed text shown at most
GAP = 12  # an unchanged run this short between two changes belongs to the passage
ELLIPSIS = "…"


@dataclass(frozen=True)
class Passage:
    """A changed passage: pieces of kept (0), removed (-1) and added (1) text, and whether the
    diff changes more than this passage."""

    pieces: tuple[DiffOp, ...]
    more: bool

    @property
    def text(self) -> str:
        """The passage as plain text, removals in [−…−] and insertions in {+…+}."""
        marks = {-1: ("[−", "−]"), 1: ("{+", "+}"), 0: ("", "")}
        return "".join(marks[p.op][0] + p.text + marks[p.op][1] for p in self.pieces)


def first_passage(ops: Sequence[DiffOp]) -> Passage | None:
    """The first changed passage of ``ops`` (None if nothing changed)."""
    start = next((i for i, op in enumerate(ops) if op.op != 0), None)
    if start is None:
        return None
    pieces = [_before(ops[start - 1].text)] if start > 0 else []
    end, room = start, LIMIT
    while end < len(ops) and room > 0:
        op = ops[end]
        if op.op == 0 and not _is_gap(ops, end):
            break
        text = _one_line(op.text)
        pieces.append(DiffOp(op.op, text[:room] + (ELLIPSIS if len(text) > room else "")))
        room -= len(text)
        end += 1
    if end < len(ops) and ops[end].op == 0:
        pieces.append(_after(ops[end].text))
        end += 1
    more = any(op.op != 0 for op in ops[end:]) or room <= 0
    return Passage(tuple(p for p in pieces if p.text), more)


def _is_gap(ops: Sequence[DiffOp], index: int) -> bool:
    """A short unchanged run on one line, followed by another change."""
    text = ops[index].text
    return len(text) <= GAP and "\n" not in text and index + 1 < len(ops) and ops[index + 1].op != 0


def _before(text: str) -> DiffOp:
    line = text.rsplit("\n", 1)[-1]
    if len(line) > CONTEXT:
        return DiffOp(0, ELLIPSIS + line[-CONTEXT:].lstrip())
    return DiffOp(0, line)


def _after(text: str) -> DiffOp:
    line = text.split("\n", 1)[0]
    if len(line) > CONTEXT:
        return DiffOp(0, line[:CONTEXT].rstrip() + ELLIPSIS)
    return DiffOp(0, line)


def _one_line(text: str) -> str:
    """Line breaks inside a changed piece shown as one space (a passage is one line)."""
    return " ".join(text.split("\n"))
