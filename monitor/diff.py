"""Texts -> TextDiff: what changed between two versions of an article, at a granularity people read.

Both texts are articles with one block (paragraph, heading, caption) per line. The diff runs in
two passes, both with diff-match-patch (dmp) over strings whose "characters" stand for larger
units, through our own mapping (``_Codec``) that can hand out any number of stand-in characters:

1. **Paragraphs first.** Each distinct line becomes one character and dmp diffs the two texts
   line by line. This is fast even for long texts and locates every change by paragraph; lines
   that did not change are never looked at again.
2. **Reading granularity inside each changed region** (a run of removed and added lines between
   unchanged ones). The region is cut into tokens: every CJK character (Han, kana including ー,
   Hangul, CJK punctuation) is a token of its own, a run of other word characters (Latin, digits,
   full-width Latin and digits) is one token, a run of whitespace is one token and any other
   character is one token. Tokens become characters, dmp diffs them and its semantic cleanup
   merges coincidental one-token matches into their surroundings. So an English edit shows
   whole words ("quick" -> "slow"), a Japanese edit exactly the characters that changed, and
   「1万人」->「1万2000人」 is the insertion of "2000".

Two guards keep the time bounded, because dmp's cost grows with the product of the edit
distance and the length, so that a rewritten paragraph of 1,000 tokens alone costs a third of a
second:

* **Anchors** (as in patience diff): in both passes, before dmp sees a large piece, the pieces
  are cut at n-grams (single lines; token trigrams) that occur exactly once on each side,
  chained in order; dmp only diffs the small gaps between anchors, and gaps are anchored again
  by what is unique within them. A large gap whose sides share under ``SIMILARITY`` of their
  n-grams is a rewrite and is replaced whole, which is what semantic cleanup would make of
  dmp's answer anyway. A fully rewritten 50 KB article diffs in about 10-40 ms.
* **A deadline** (``timeout`` seconds) for the whole diff. A changed region with more than
  ``MAX_REGION_TOKENS`` tokens on a side, or reached after the deadline, or whose token diff ran
  into it, stays at line granularity (its lines wholly removed and added) and the result says
  ``granularity="line"``.

The ops of the result cover both texts: the kept and removed ops concatenate to the old text,
the kept and added ops to the new one. Hunks split them into displayed lines (``DiffLine``) at
every line break of either text, with ``context`` unchanged lines around changed ones. A line
with inline changes has both line numbers, a wholly added line only the new one, a wholly
removed line only the old one. Where a paragraph was split or two were joined, the line that
did not break spans two displayed lines that carry the same number; a line break added or
removed at the end of a kept line leaves that line without visible pieces but counts it changed.
"""

from __future__ import annotations

import logging
import re
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from monitor.models import DiffLine, DiffOp, Hunk, TextDiff

logger = logging.getLogger(__name__)

REMOVED, KEPT, ADDED = -1, 0, 1

MAX_REGION_TOKENS = 20_000  # more tokens than this on a side: the region stays at line level
CLEANUP_MARGIN = 1_000  # unchanged tokens on each side of a region's core seen by the cleanup
MAX_DEPTH = 8  # how often gaps between anchors are anchored again
SIMILARITY = 0.2  # share of n-grams in common below which a gap is a rewrite
REWRITE_KEPT = 0.15  # a region keeping less of its text than this is shown as rewritten
_LINE_PLAN = (1, 10 * 10, 100 * 100)  # lines: anchor on single lines
_TOKEN_PLAN = (3, 32 * 32, 200 * 200)  # tokens: anchor on token trigrams

# CJK characters that are tokens of their own: radicals, CJK symbols and punctuation (not the
# ideographic space U+3000, which is whitespace), kana (ー included), Bopomofo, Hangul, enclosed
# and compatibility CJK, Han (BMP and supplementary planes), CJK compatibility and vertical forms,
# half-width katakana and Hangul.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe4f"
    "\uff65-\uffdc\U00020000-\U0003134f"
)
_TOKEN = re.compile(
    rf"\n|[^\S\n]+|[{_CJK}]|\d+(?:[.,]\d+)+|[^\W{_CJK}]+|.", re.DOTALL
)  # a number with separators (31,000 or 3.5) is one token
_LINE = re.compile(r"[^\n]*\n|[^\n]+")

Op = tuple[int, str]


def _code_points() -> Iterator[int]:
    """Stand-in characters: private-use ones first, then every other non-surrogate."""
    yield from range(0xE000, 0xF900)
    yield from range(0xF0000, 0x110000)
    yield from range(0x0000, 0xD800)
    yield from range(0xF900, 0xF0000)


_CAPACITY = (0xF900 - 0xE000) + (0x110000 - 0xF0000) + 0xD800 + (0xF0000 - 0xF900)


class _Codec:
    """Maps distinct strings (lines or tokens) to single characters and back."""

    def __init__(self) -> None:
        self._chars: dict[str, str] = {}
        self._items: dict[str, str] = {}
        self._points = _code_points()

    def encode(self, items: Iterable[str]) -> str:
        """One character per item; equal items get equal characters."""
        return "".join([self._char(item) for item in items])

    def decode(self, chars: str) -> str:
        """The concatenated items that ``chars`` stand for."""
        return "".join([self._items[char] for char in chars])

    def _char(self, item: str) -> str:
        char = self._chars.get(item)
        if char is None:
            char = chr(next(self._points))
            self._chars[item] = char
            self._items[char] = item
        return char


@dataclass
class _Outcome:
    """Ops of a diff under construction, and whether any part fell back to lines."""

    ops: list[Op]
    coarse: bool = False


def diff_texts(old: str, new: str, *, context: int = 1, timeout: float = 1.0) -> TextDiff:
    """Diff two article texts (one block per line) into ops, hunks and stats."""
    deadline = time.monotonic() + timeout
    outcome = _diff_ops(old, new, deadline)
    ops = _merge(_settle_line_breaks(_merge(outcome.ops)))
    return diff_from_ops(ops, granularity="line" if outcome.coarse else "token", context=context)


def diff_from_ops(
    ops: Sequence[tuple[int, str]], *, granularity: str = "token", context: int = 1
) -> TextDiff:
    """A TextDiff (hunks and stats) from ops computed before, e.g. stored with a change."""
    op_list: list[Op] = [(op, text) for op, text in ops]
    added = sum(len(text) - text.count("\n") for op, text in op_list if op == ADDED)
    removed = sum(len(text) - text.count("\n") for op, text in op_list if op == REMOVED)
    total = sum(len(text) * (2 if op == KEPT else 1) for op, text in op_list)
    return TextDiff(
        ops=tuple(DiffOp(op, text) for op, text in op_list),
        hunks=_build_hunks(op_list, max(context, 0)),
        chars_added=added,
        chars_removed=removed,
        share_changed=round((added + removed) / total, 4) if total else 0.0,
        granularity=granularity,
    )


def tokenize(text: str) -> list[str]:
    """Cut text into diff tokens: CJK characters, word runs, whitespace runs, other characters."""
    return _TOKEN.findall(text)


def _diff_ops(old: str, new: str, deadline: float) -> _Outcome:
    """Align the texts by lines, then diff each changed region at token level."""
    old_lines, new_lines = _LINE.findall(old), _LINE.findall(new)
    if len(set(old_lines) | set(new_lines)) > _CAPACITY:
        return _Outcome(_whole(old, new), coarse=True)
    codec = _Codec()
    old_chars, new_chars = codec.encode(old_lines), codec.encode(new_lines)
    line_diffs = _merge(_anchored_diff(old_chars, new_chars, _Plan(*_LINE_PLAN, deadline)))
    outcome = _Outcome([])
    for region_old, region_new in _regions(line_diffs, codec):
        if region_old == region_new:
            outcome.ops.append((KEPT, region_old))
            continue
        region = _diff_region(region_old, region_new, deadline)
        outcome.ops.extend(region.ops)
        outcome.coarse = outcome.coarse or region.coarse
    return outcome


def _regions(line_diffs: Sequence[Op], codec: _Codec) -> Iterator[tuple[str, str]]:
    """(old, new) text pairs: unchanged runs (old == new) and changed regions between them."""
    removed: list[str] = []
    added: list[str] = []
    for op, chars in line_diffs:
        text = codec.decode(chars)
        if op == KEPT:
            if removed or added:
                yield "".join(removed), "".join(added)
                removed, added = [], []
            yield text, text
        else:
            (removed if op == REMOVED else added).append(text)
    if removed or added:
        yield "".join(removed), "".join(added)


def _whole(old: str, new: str) -> list[Op]:
    """The old text wholly removed and the new one wholly added (empty sides left out)."""
    return [(op, text) for op, text in ((REMOVED, old), (ADDED, new)) if text]


def _diff_region(old: str, new: str, deadline: float) -> _Outcome:
    """Diff one changed region by tokens, or keep it at line level when that costs too much."""
    if not old or not new:
        return _Outcome(_whole(old, new))
    tokens = _Tokens(tokenize(old), tokenize(new))
    if tokens.core_size > MAX_REGION_TOKENS and (paired := _pairwise(old, new, deadline)):
        return paired
    if tokens.core_size > MAX_REGION_TOKENS or time.monotonic() >= deadline:
        logger.debug("diff region of %d tokens kept at line level", tokens.core_size)
        return _Outcome(_whole(old, new), coarse=True)
    ops = _diff_tokens(tokens, deadline)
    if time.monotonic() >= deadline:
        return _Outcome(_whole(old, new), coarse=True)
    if _is_rewrite(ops, old, new):
        return _Outcome(_whole(old, new))
    return _Outcome(ops)


def _is_rewrite(ops: Sequence[Op], old: str, new: str) -> bool:
    """True when a region keeps too little of its text to read as edits: a "The" and a
    final "." kept across rewritten paragraphs make a diff harder to read, not easier."""
    kept = sum(len("".join(text.split())) for op, text in ops if op == KEPT)
    size = max(len("".join(old.split())), len("".join(new.split())))
    return kept < REWRITE_KEPT * size


def _pairwise(old: str, new: str, deadline: float) -> _Outcome | None:
    """A large region of edited paragraphs, as many on each side: diffed paragraph by
    paragraph (each within the size limit), instead of kept whole at line level."""
    old_lines, new_lines = _LINE.findall(old), _LINE.findall(new)
    if len(old_lines) != len(new_lines) or len(old_lines) < 2:
        return None
    outcome = _Outcome([])
    for old_line, new_line in zip(old_lines, new_lines, strict=True):
        part = _diff_region(old_line, new_line, deadline)
        outcome.ops.extend(part.ops)
        outcome.coarse = outcome.coarse or part.coarse
    return outcome


class _Tokens:
    """The tokens of a region's two sides, and how many they start and end with in common."""

    def __init__(self, old: list[str], new: list[str]) -> None:
        self.old, self.new = old, new
        self.head = _common_length(old, new)
        shorter = min(len(old), len(new))
        self.tail = min(_common_length(reversed(old), reversed(new)), shorter - self.head)

    @property
    def core_size(self) -> int:
        """Tokens between the common start and end, on the larger side."""
        return max(len(self.old), len(self.new)) - self.head - self.tail


def _common_length(old: Iterable[str], new: Iterable[str]) -> int:
    """How many items the two start with in common."""
    count = 0
    for old_item, new_item in zip(old, new, strict=False):
        if old_item != new_item:
            break
        count += 1
    return count


def _diff_tokens(tokens: _Tokens, deadline: float) -> list[Op]:
    """Anchored dmp over one character per token, semantic cleanup, mapped back to text.

    Only the differing core is diffed; up to ``CLEANUP_MARGIN`` tokens of the common start and
    end go along so that semantic cleanup can move edits to better boundaries (「述べた。」 +
    「追加。」: the added line ends with its own "。").
    """
    old, new, head = tokens.old, tokens.new, tokens.head
    start = max(head - CLEANUP_MARGIN, 0)
    old_end, new_end = len(old) - tokens.tail, len(new) - tokens.tail
    stop = old_end + min(tokens.tail, CLEANUP_MARGIN)
    codec = _Codec()
    core = _anchored_diff(
        codec.encode(old[head:old_end]),
        codec.encode(new[head:new_end]),
        _Plan(*_TOKEN_PLAN, deadline),
    )
    diffs = _merge(
        [(KEPT, codec.encode(old[start:head])), *core, (KEPT, codec.encode(old[old_end:stop]))]
    )
    dmp = diff_match_patch()
    dmp.diff_cleanupMerge(diffs)
    dmp.diff_cleanupSemantic(diffs)
    decoded = [(op, codec.decode(chars)) for op, chars in diffs]
    return [(KEPT, "".join(old[:start])), *decoded, (KEPT, "".join(old[stop:]))]


@dataclass(frozen=True)
class _Plan:
    """How to diff strings of stand-in characters: anchor size, dmp budget, deadline."""

    size: int  # characters per anchor n-gram
    small_cost: int  # up to this len(old) * len(new), dmp runs without further checks
    max_cost: int  # up to this, dmp runs if the sides are similar; above, anchors first
    deadline: float  # time.monotonic() value


def _anchored_diff(old: str, new: str, plan: _Plan, depth: int = 0) -> list[Op]:
    """dmp between anchors: n-grams of ``plan.size`` characters found once in each string.

    Anchoring (as in patience diff) keeps dmp's quadratic work to small gaps between anchors;
    gaps are anchored again by what is unique within them. A large gap with no anchor is
    diffed by dmp only if the two sides share most n-grams; otherwise it is a rewrite and is
    replaced whole, which is also what semantic cleanup would make of dmp's answer.
    """
    dmp = diff_match_patch()
    head = dmp.diff_commonPrefix(old, new)
    tail = dmp.diff_commonSuffix(old[head:], new[head:])
    core = _diff_core(old[head : len(old) - tail], new[head : len(new) - tail], plan, depth)
    return [(KEPT, old[:head]), *core, (KEPT, old[len(old) - tail :])]


def _diff_core(old: str, new: str, plan: _Plan, depth: int) -> list[Op]:
    if not old or not new:
        return _whole(old, new)
    cost = len(old) * len(new)
    if cost <= plan.small_cost:
        return _dmp_diff(old, new, plan.deadline)
    if not _is_similar(old, new, plan.size):
        return _whole(old, new)
    anchors = _anchors(old, new, plan.size) if depth < MAX_DEPTH else []
    if cost <= plan.max_cost or not anchors:
        return _dmp_diff(old, new, plan.deadline)
    diffs: list[Op] = []
    old_at = new_at = 0
    for old_start, new_start, length in anchors:
        gap = _anchored_diff(old[old_at:old_start], new[new_at:new_start], plan, depth + 1)
        diffs.extend([*gap, (KEPT, old[old_start : old_start + length])])
        old_at, new_at = old_start + length, new_start + length
    diffs.extend(_anchored_diff(old[old_at:], new[new_at:], plan, depth + 1))
    return diffs


def _dmp_diff(old: str, new: str, deadline: float) -> list[Op]:
    dmp = diff_match_patch()
    # dmp reads 0 as "no time limit": keep a tiny positive budget instead.
    dmp.Diff_Timeout = max(deadline - time.monotonic(), 1e-6)
    diffs: list[Op] = dmp.diff_main(old, new, False)
    return diffs


def _is_similar(old: str, new: str, size: int) -> bool:
    """True if enough n-grams (counted with repeats) of the shorter side are in the other."""
    old_grams, new_grams = _ngram_counts(old, size), _ngram_counts(new, size)
    shared = sum((old_grams & new_grams).values())
    return shared >= SIMILARITY * min(old_grams.total(), new_grams.total())


def _ngram_counts(text: str, size: int) -> Counter[str]:
    return Counter(text[at : at + size] for at in range(len(text) - size + 1))


def _anchors(old: str, new: str, size: int) -> list[tuple[int, int, int]]:
    """Matches (old start, new start, length) in order, from n-grams unique on both sides."""
    old_once, new_once = _unique_ngrams(old, size), _unique_ngrams(new, size)
    pairs = sorted((at, new_once[gram]) for gram, at in old_once.items() if gram in new_once)
    matches: list[tuple[int, int, int]] = []
    for old_start, new_start in _longest_chain(pairs):
        if matches:
            last_old, last_new, length = matches[-1]
            if old_start - last_old == new_start - last_new and old_start <= last_old + length:
                matches[-1] = (last_old, last_new, old_start + size - last_old)
                continue
            if old_start < last_old + length or new_start < last_new + length:
                continue
        matches.append((old_start, new_start, size))
    return matches


def _unique_ngrams(text: str, size: int) -> dict[str, int]:
    """Start of each n-gram that occurs exactly once in ``text``."""
    starts: dict[str, int] = {}
    for at in range(len(text) - size + 1):
        gram = text[at : at + size]
        starts[gram] = -1 if gram in starts else at
    return {gram: at for gram, at in starts.items() if at >= 0}


def _longest_chain(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs (sorted by first item) whose second items increase too."""
    tails: list[int] = []  # smallest second item ending a chain of each length
    ends: list[int] = []  # index in pairs of that chain's last pair
    previous: list[int] = []
    for index, (_, second) in enumerate(pairs):
        length = bisect_left(tails, second)
        previous.append(ends[length - 1] if length else -1)
        if length == len(tails):
            tails.append(second)
            ends.append(index)
        else:
            tails[length], ends[length] = second, index
    chain: list[tuple[int, int]] = []
    index = ends[-1] if ends else -1
    while index >= 0:
        chain.append(pairs[index])
        index = previous[index]
    return chain[::-1]


def _merge(ops: Iterable[Op]) -> list[Op]:
    """Drop empty ops and join neighbours of the same kind."""
    merged: list[Op] = []
    for op, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def _settle_line_breaks(ops: Sequence[Op]) -> list[Op]:
    """Move line breaks that edits share with the next kept text, so added lines stand alone.

    A diff may add "x\\nQ" before a kept "\\n" where the reader sees "x" added at the end of
    a line and a new line "Q": the same texts are described by "x", a kept "\\n" and "Q\\n".
    Changed runs are rewritten that way (both texts stay the same).
    """
    settled: list[Op] = []
    run: list[Op] = []
    for op, text in ops:
        if op != KEPT:
            run.append((op, text))
            continue
        if run and text.startswith("\n") and any("\n" in part for _, part in run):
            heads, tails = _split_run(run)
            settled.extend([*heads, (KEPT, "\n"), *tails])
            text = text[1:]
        else:
            settled.extend(run)
        run = []
        settled.append((KEPT, text))
    settled.extend(run)
    return settled


def _split_run(run: Sequence[Op]) -> tuple[list[Op], list[Op]]:
    """Each op up to its first line break, and the rest of those that have one (with "\\n")."""
    heads: list[Op] = []
    tails: list[Op] = []
    for op, text in run:
        head, newline, rest = text.partition("\n")
        heads.append((op, head))
        if newline:
            tails.append((op, rest + newline))
    return heads, tails


@dataclass
class _Row:
    """A displayed line being built: its pieces and whether it belongs to each text."""

    pieces: list[DiffOp]
    in_old: bool = False
    in_new: bool = False
    changed: bool = False

    def touch(self, op: int) -> None:
        """Note a piece or line break of kind ``op``."""
        self.in_old = self.in_old or op != ADDED
        self.in_new = self.in_new or op != REMOVED
        self.changed = self.changed or op != KEPT


_HIDDEN = DiffLine(None, None, ())  # stands for unchanged lines too far from any change


class _RowSplitter:
    """Cuts ops into displayed lines (a line break of either text ends one) and numbers them.

    Long unchanged stretches are not cut: beyond ``context`` lines from their ends they are
    counted and stood for by one ``_HIDDEN`` row, which no hunk can reach.
    """

    def __init__(self, context: int) -> None:
        self.rows: list[tuple[DiffLine, bool]] = []  # each with whether it changed
        self.numbers = [1, 1]  # next old, new line number
        self.context = context
        self._row = _Row([])

    def add(self, op: int, text: str) -> None:
        """Add one op; its line breaks end rows."""
        parts = text.split("\n")
        hidden = len(parts) - 2 * (self.context + 1) if op == KEPT else 0
        if hidden > 0:
            self._add_parts(op, parts[: self.context + 1], last_open=False)
            self.rows.append((_HIDDEN, False))
            self.numbers = [self.numbers[0] + hidden, self.numbers[1] + hidden]
            parts = parts[len(parts) - self.context - 1 :]
        self._add_parts(op, parts, last_open=True)

    def finish(self) -> list[tuple[DiffLine, bool]]:
        """All rows, the last one included."""
        if self._row.pieces:
            self._end_row(None)
        return self.rows

    def _add_parts(self, op: int, parts: Sequence[str], *, last_open: bool) -> None:
        for index, part in enumerate(parts):
            if part:
                self._row.pieces.append(DiffOp(op, part))
                self._row.touch(op)
            if not last_open or index < len(parts) - 1:
                self._row.touch(op)
                self._end_row(op)

    def _end_row(self, break_op: int | None) -> None:
        """Close the current row; ``break_op`` is the op of its line break (None: the end)."""
        row = self._row
        old_lineno = self.numbers[0] if row.in_old else None
        new_lineno = self.numbers[1] if row.in_new else None
        if break_op is not None and break_op != ADDED:
            self.numbers[0] += 1
        if break_op is not None and break_op != REMOVED:
            self.numbers[1] += 1
        changed = row.changed or old_lineno is None or new_lineno is None
        self.rows.append((DiffLine(old_lineno, new_lineno, tuple(row.pieces)), changed))
        self._row = _Row([])


def _build_hunks(ops: Sequence[Op], context: int = 1) -> tuple[Hunk, ...]:
    """Group changed lines with ``context`` unchanged lines around them; overlaps merge."""
    splitter = _RowSplitter(context)
    for op, text in ops:
        splitter.add(op, text)
    lines = splitter.finish()
    spans: list[list[int]] = []
    for index, (_, changed) in enumerate(lines):
        if not changed:
            continue
        start, stop = max(index - context, 0), min(index + context + 1, len(lines))
        if spans and start <= spans[-1][1]:
            spans[-1][1] = stop
        else:
            spans.append([start, stop])
    return tuple(
        Hunk(tuple(line for line, _ in lines[start:stop] if line is not _HIDDEN))
        for start, stop in spans
    )
