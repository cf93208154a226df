"""A diff laid out for the diff page: every paragraph of both versions, changed ones marked,
long runs of unchanged ones folded; inline or as side-by-side rows.

The diff itself is :mod:`monitor.diff`'s (stored with the change, or computed by
:func:`monitor.history.compare_versions`); this module only cuts its ops into displayed
lines (:func:`monitor.diff.diff_from_ops` with context enough to keep every line) and groups
them. Nothing here is markup: the template escapes every piece.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from monitor.diff import diff_from_ops
from monitor.models import DiffLine, DiffOp, TextDiff

CONTEXT = 1  # unchanged paragraphs shown around a change
MIN_FOLD = 2  # fewer unchanged paragraphs than this are shown, not folded


@dataclass(frozen=True)
class Line:
    """One displayed paragraph: its numbers in the old and new text, pieces, and kind."""

    old_lineno: int | None
    new_lineno: int | None
    pieces: tuple[DiffOp, ...]

    @property
    def kind(self) -> str:
        """ "same", "changed", "added" (new paragraph) or "removed" (paragraph gone)."""
        if self.old_lineno is None:
            return "added"
        if self.new_lineno is None:
            return "removed"
        return "changed" if any(piece.op for piece in self.pieces) else "same"

    @property
    def is_change(self) -> bool:
        """True unless the paragraph is the same in both versions."""
        return self.kind != "same"

    def side(self, op: int) -> tuple[DiffOp, ...]:
        """The pieces of one side: kept and removed (op -1) or kept and added (op 1)."""
        return tuple(piece for piece in self.pieces if piece.op in (0, op))


@dataclass(frozen=True)
class Row:
    """A side-by-side row: the old paragraph (or None) beside the new one (or None)."""

    old: Line | None
    new: Line | None

    @property
    def is_change(self) -> bool:
        """True if the two sides differ."""
        return any(line is not None and line.is_change for line in (self.old, self.new))


@dataclass(frozen=True)
class Block:
    """A run of lines: shown, or folded (unchanged paragraphs behind a <details>)."""

    lines: tuple[Line, ...]
    folded: bool = False

    def rows(self) -> list[Row]:
        """The lines as side-by-side rows: a changed paragraph beside itself, runs of
        removed and added paragraphs paired up in order."""
        rows: list[Row] = []
        removed: list[Line] = []
        added: list[Line] = []
        for line in self.lines:
            if line.kind in ("removed", "added"):
                (removed if line.kind == "removed" else added).append(line)
                continue
            rows += _pair(removed, added)
            removed, added = [], []
            rows.append(Row(line, line))
        return rows + _pair(removed, added)


def _pair(removed: list[Line], added: list[Line]) -> list[Row]:
    count = max(len(removed), len(added))
    return [
        Row(removed[i] if i < len(removed) else None, added[i] if i < len(added) else None)
        for i in range(count)
    ]


def all_lines(diff: TextDiff) -> list[Line]:
    """Every displayed line of a diff, in order (context large enough to hide none)."""
    ops = [(piece.op, piece.text) for piece in diff.ops]
    if diff.is_empty:
        text = "".join(text for _, text in ops)
        return [
            Line(n, n, (DiffOp(0, part),)) for n, part in enumerate(text.split("\n"), 1) if part
        ]
    breaks = sum(text.count("\n") for _, text in ops)
    full = diff_from_ops(ops, granularity=diff.granularity, context=breaks + 1)
    return [_line(line) for hunk in full.hunks for line in hunk.lines]


def _line(line: DiffLine) -> Line:
    return Line(line.old_lineno, line.new_lineno, line.ops)


def blocks(lines: Sequence[Line]) -> list[Block]:
    """Lines grouped into shown and folded blocks: unchanged runs keep CONTEXT lines next
    to a change visible; the rest of a run (if at least MIN_FOLD lines) is folded."""
    runs = list(_runs(lines))
    out: list[Block] = []
    for index, (is_change, run) in enumerate(runs):
        if is_change:
            out.append(Block(tuple(run)))
            continue
        # runs alternate: a run of unchanged lines has changes before it unless it is first
        head = CONTEXT if index > 0 else 0
        tail = CONTEXT if index < len(runs) - 1 else 0
        middle = run[head : len(run) - tail]
        if len(middle) < MIN_FOLD:
            out.append(Block(tuple(run)))
            continue
        out.append(Block(tuple(run[:head])))
        out.append(Block(tuple(middle), folded=True))
        out.append(Block(tuple(run[len(run) - tail :])))
    return [block for block in out if block.lines]


def _runs(lines: Sequence[Line]) -> Iterator[tuple[bool, list[Line]]]:
    """Maximal runs of changed or unchanged lines."""
    run: list[Line] = []
    for line in lines:
        if run and run[-1].is_change != line.is_change:
            yield run[-1].is_change, run
            run = []
        run.append(line)
    if run:
        yield run[-1].is_change, run
