"""What churns on a page, learned by comparing two fetches of it: lines that are the page's
noise, not its article, and never make a change.

Two fetches of a page seconds apart show the same article; every line that differs between
them is churn (a counter, a time, a rotating teaser, a shuffled list). :func:`learn` turns
those differences into a :class:`Volatility` that covers exactly the lines that churned and
nothing around them:

* **numbers**: a line that differs only in some of its numbers becomes a template in which
  just those numbers may change (``12 comments`` -> ``<n> comments``, ``Photo 3 of 12`` ->
  ``Photo <n> of <n>``: the numbers written together with a churning one); in a sentence,
  or a line as long as prose, only a time or a date (a clock rendered on every request),
  never a figure: it may have been edited between the two fetches, and would be masked for
  good (:func:`churned_alike` decides its churn on each check instead);
* **unordered**: lines that only moved (the items of a shuffled list) keep their text but not
  their order: a run of them is read in one order whatever order it is served in (an item
  whose text changes is no longer one of them, and shows);
* **spans**: lines replaced by other lines (a rotating teaser) are dropped when they sit
  between the same two stable lines as before, are no more than were seen there (plus one)
  and no longer than the longest seen there (with some room): a paragraph written next to
  them, or an edit of a neighbour, shows.

Applying a volatility to a text drops the number and span lines and orders the runs of
unordered ones. Two fetches that differ in most of their
lines teach nothing (that is not churn: the page changed between them).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from monitor.extract.measure import is_sentence, units

#: Two fetches that differ in more than this share of their lines teach nothing.
MAX_CHURN_SHARE = 0.35
#: How many templates, lines and spans a page keeps (the oldest go first).
MAX_KEPT = 200
#: A span drops lines up to this many times (plus this many units) as long as the longest
#: line seen churning there.
SPAN_ROOM, SPAN_UNITS = 1.5, 12
#: Churn is short: a counter, a label, a teaser, a caption. A sentence, or a line longer
#: than this many units, that differs between two fetches is never learned away (it may be
#: an edit made between them), nor are its churning numbers but a time's or a date's.
SHORT_UNITS = 30
#: A line a number template covers is dropped only if it is this short and no sentence.
COUNTER_UNITS = 8
_NUMBER = re.compile(r"[0-9０-９]+(?:[.,][0-9０-９]+)*")
_TOKENS = re.compile(r"[0-9０-９]+(?:[.,][0-9０-９]+)*|\s+|[^\W\d_]+|.", re.UNICODE)
_SLOT = "\0"
#: A slot matches a number, or the ``#`` a stored version has where one churned (so that
#: a version stored before more was learned compares as the page does now).
_SLOT_PATTERN = r"[0-9０-９]+(?:[.,:/][0-9０-９]+)*|#"
#: What joins the parts of one date, time or count.
_JOINER = re.compile(r"[:/\-.年月日時时分秒]|of")


@dataclass(frozen=True)
class Span:
    """Churning lines between two stable lines (``""``: the start or the end of the text)."""

    before: str
    after: str
    most: int  # how many lines were seen between them
    longest: int  # the units of the longest of them

    def fits(self, between: Sequence[str]) -> bool:
        """Whether ``between`` can be what churns here (not a paragraph written beside it)."""
        room = SPAN_ROOM * self.longest + SPAN_UNITS
        if len(between) > self.most + 1:
            return False
        return all(units(line) <= room and not _is_prose(line) for line in between)


@dataclass(frozen=True)
class Volatility:
    """The lines of a page that churn (see the module docstring)."""

    numbers: tuple[str, ...] = ()  # templates: the line with a slot for each churning number
    unordered: frozenset[str] = frozenset()  # lines whose order churns
    spans: tuple[Span, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.numbers or self.unordered or self.spans)

    @cached_property
    def _templates(self) -> re.Pattern[str] | None:
        if not self.numbers:
            return None
        alternatives = (
            re.escape(template).replace(re.escape(_SLOT), f"(?:{_SLOT_PATTERN})")
            for template in self.numbers
        )
        return re.compile("|".join(f"(?:{pattern})" for pattern in alternatives))

    def is_volatile(self, line: str) -> bool:
        """True for a line that a number template covers (it churns wherever it is)."""
        templates = self._templates
        return templates is not None and templates.fullmatch(line) is not None

    def apply(self, lines: Sequence[str]) -> list[str]:
        """``lines`` without those that churn (a long line keeps its text, with the
        numbers that churn in it masked), runs of unordered lines in one order."""
        if self.is_empty:
            return list(lines)
        kept = []
        for line in lines:
            if not self.is_volatile(line):
                kept.append(line)
                continue
            masked = self._masked(line)
            # how long a line is, its churning numbers counted as the numbers they are: a
            # line seen again already masked (a stored version's) is judged as it was
            if not _is_counter(masked.replace("#", "0")):
                kept.append(masked)
        for span in self.spans:
            kept = _without_span(kept, span)
        return _ordered(kept, self.unordered) if self.unordered else kept

    def _masked(self, line: str) -> str:
        """A long line a number template covers, its churning numbers as ``#``."""
        for template in self.numbers:
            found = _template_pattern(template).fullmatch(line)
            if found is not None:
                pieces, at = [], 0
                for index in range(1, (found.lastindex or 0) + 1):
                    pieces += [line[at : found.start(index)], "#"]
                    at = found.end(index)
                return "".join(pieces) + line[at:]
        return line

    def apply_text(self, text: str) -> str:
        """:meth:`apply` to the lines of a text."""
        if self.is_empty or not text:
            return text
        return "\n".join(self.apply(text.split("\n")))

    def merged(self, other: Volatility) -> Volatility:
        """What both know (bounded: the oldest templates, lines and spans go first)."""
        numbers = _merged_templates((*self.numbers, *other.numbers))[-MAX_KEPT:]
        unordered = frozenset(sorted(self.unordered | other.unordered)[: 4 * MAX_KEPT])
        spans = tuple(dict.fromkeys((*self.spans, *other.spans)))[-MAX_KEPT:]
        return Volatility(numbers, unordered, spans)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "numbers": [t.replace(_SLOT, "<n>") for t in self.numbers],
            "unordered": sorted(self.unordered),
            "spans": [[s.before, s.after, s.most, s.longest] for s in self.spans],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Volatility:
        if not data:
            return cls()
        return cls(
            numbers=tuple(str(t).replace("<n>", _SLOT) for t in data.get("numbers", ())),
            unordered=frozenset(str(line) for line in data.get("unordered", ())),
            spans=tuple(
                Span(str(b), str(a), int(m), int(n)) for b, a, m, n in data.get("spans", ())
            ),
        )

    def describe(self) -> list[str]:
        """One line per learned item, for `monitor log` and `--explain`."""
        out = [f"number: {t.replace(_SLOT, '<n>')!r}" for t in self.numbers]
        if self.unordered:
            out.append(f"{len(self.unordered)} lines in any order, e.g. {min(self.unordered)!r}")
        out += [
            f"{s.most} line(s) between {s.before[:40] or '(start)'!r} and "
            f"{s.after[:40] or '(end)'!r}"
            for s in self.spans
        ]
        return out


def _is_prose(line: str) -> bool:
    """A sentence, or a line too long to be a label, a teaser or a caption."""
    return units(line) > SHORT_UNITS or is_sentence(line)


def _is_counter(line: str) -> bool:
    """A line short enough, and no sentence, to be dropped whole when its numbers churn."""
    return units(line) <= COUNTER_UNITS and not is_sentence(line)


@lru_cache(maxsize=1024)
def _template_pattern(template: str) -> re.Pattern[str]:
    """A number template as a regex with one group per slot."""
    return re.compile(re.escape(template).replace(re.escape(_SLOT), f"({_SLOT_PATTERN})"))


def learn(first: Sequence[str], second: Sequence[str]) -> Volatility:
    """What churned between two fetches' lines (nothing, if most of them differ)."""
    matcher = difflib.SequenceMatcher(None, list(first), list(second), autojunk=False)
    opcodes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not opcodes:
        return Volatility()
    churned = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in opcodes)
    if churned > MAX_CHURN_SHARE * max(len(first), len(second), 1):
        return Volatility()
    both = set(first) & set(second)
    numbers: list[str] = []
    moved = _shuffled(first, second, opcodes, both)
    spans: list[Span] = []
    for _, i1, i2, j1, j2 in opcodes:
        old = [line for line in first[i1:i2] if line not in both]
        new = [line for line in second[j1:j2] if line not in both]
        if len(old) == len(new):
            templates = [_number_template(a, b) for a, b in zip(old, new, strict=True)]
            if old and all(templates):
                # a number in a sentence that differs between two fetches may be an edit
                # made between them: it is decided on each check (:func:`churned_alike`),
                # never masked for good
                numbers += [
                    t
                    for t, a, b in zip(templates, old, new, strict=True)
                    if t and (not _is_prose(a) or _only_clock_churned(a, b))
                ]
                continue
        if any(_is_prose(line) for line in (*old, *new)):
            continue  # prose that differs: not churn to learn (an edit between the fetches?)
        if old or new:
            before = _stable(first, i1 - 1, both, step=-1)
            after = _stable(first, i2, both, step=1)
            longest = int(max(units(line) for line in (*old, *new)))
            spans.append(Span(before, after, max(len(old), len(new)), longest))
    return Volatility(_merged_templates(numbers), moved, tuple(spans))


def learn_texts(first: str, second: str) -> Volatility:
    """:func:`learn` on two texts."""
    return learn(first.split("\n"), second.split("\n"))


def _shuffled(
    first: Sequence[str],
    second: Sequence[str],
    opcodes: Sequence[tuple[str, int, int, int, int]],
    both: set[str],
) -> frozenset[str]:
    """The lines of the windows whose lines both fetches have in another order: for each
    line that moved, the smallest window around its two places holding the same lines."""
    found: set[str] = set()
    for _, i1, i2, j1, j2 in opcodes:
        for line in (*first[i1:i2], *second[j1:j2]):
            if line not in both or line in found:
                continue
            a, b = first.index(line), second.index(line)
            lo, hi = min(a, b), max(a, b)
            end = min(len(first), len(second))
            while hi < end and sorted(first[lo : hi + 1]) != sorted(second[lo : hi + 1]):
                hi += 1
            if hi < end and hi - lo < MAX_KEPT:
                found |= set(first[lo : hi + 1])
            else:
                found.add(line)
    return frozenset(found)


def _ordered(lines: list[str], unordered: frozenset[str]) -> list[str]:
    """``lines`` with each run of consecutive unordered lines in one (sorted) order."""
    out: list[str] = []
    run: list[str] = []
    for line in lines:
        if line in unordered:
            run.append(line)
            continue
        out += sorted(run)
        run = []
        out.append(line)
    return out + sorted(run)


def _stable(lines: Sequence[str], index: int, both: set[str], *, step: int) -> str:
    """The nearest line from ``index`` on (backwards for ``step=-1``) that both fetches
    have, or ``""`` at the start or end of the text."""
    while 0 <= index < len(lines):
        if lines[index] in both:
            return lines[index]
        index += step
    return ""


def _only_clock_churned(old: str, new: str) -> bool:
    """Whether every number that differs between two lines is part of a time or a date (a
    number written together with another: "refreshed at 10:32:15"), which a page renders
    anew on every request, and no figure ("About 80 firefighters"), which an editor may
    have changed between the two fetches."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    differing = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return bool(differing) and all(
        _joined_number(a, i, 1) is not None or _joined_number(a, i, -1) is not None
        for i in differing
    )


def _number_template(old: str, new: str) -> str | None:
    """The template of two lines that differ only in some of their numbers, else None.

    A churning number takes the numbers it is written together with into the template
    (:func:`_together`): the seconds of a time churn now, its minutes and hours later."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    if len(a) != len(b) or a == b:
        return None
    slots = set()
    for index, (x, y) in enumerate(zip(a, b, strict=True)):
        if x == y:
            continue
        if not (_NUMBER.fullmatch(x) and _NUMBER.fullmatch(y)):
            return None
        slots.add(index)
    tokens = [token.replace(_SLOT, "") for token in a]
    return _joined(tokens, _together(tokens, slots))


def _joined(tokens: Sequence[str], slots: set[int]) -> str:
    return "".join(_SLOT if index in slots else token for index, token in enumerate(tokens))


def _together(tokens: Sequence[str], slots: set[int]) -> set[int]:
    """``slots`` and the numbers written together with them, as the parts of one date, time
    or count are (``2005年8月12日16:12:21``, ``2026-11-30``, ``3 of 12``): joined by one
    separator, nothing else. A number beside a churning one in a sentence (``at 12:40, 3
    people``) is not written together with it and stays literal."""
    found = set(slots)
    todo = list(slots)
    while todo:
        index = todo.pop()
        for step in (1, -1):
            other = _joined_number(tokens, index, step)
            if other is not None and other not in found:
                found.add(other)
                todo.append(other)
    return found


def _joined_number(tokens: Sequence[str], index: int, step: int) -> int | None:
    """The index of the number joined to the one at ``index`` on that side, if any: one
    separator between them, with at most a space on each side of it."""
    at = _past_a_space(tokens, index + step, step)
    if not (0 <= at < len(tokens) and _JOINER.fullmatch(tokens[at])):
        return None
    at = _past_a_space(tokens, at + step, step)
    return at if 0 <= at < len(tokens) and _NUMBER.fullmatch(tokens[at]) else None


def _past_a_space(tokens: Sequence[str], at: int, step: int) -> int:
    """``at``, or the index after it (on ``step``'s side) if it holds a single space."""
    if 0 <= at < len(tokens) and tokens[at].isspace() and len(tokens[at]) == 1:
        return at + step
    return at


def _merged_templates(templates: Iterable[str]) -> tuple[str, ...]:
    """Templates of one line (the same words, the same numbers where no slot is) made one,
    with a slot wherever any of them has one: what is masked in a line never depends on
    which of its numbers churned first."""
    merged: dict[str, tuple[list[str], set[int]]] = {}
    for template in templates:
        tokens = _TOKENS.findall(template)
        key = "".join(_SLOT if _NUMBER.fullmatch(t) else t for t in tokens)
        slots = {index for index, token in enumerate(tokens) if token == _SLOT}
        if key in merged and len(merged[key][0]) == len(tokens):
            merged[key][1].update(slots)
        else:
            merged[key] = (tokens, slots)
    return tuple(_joined(tokens, slots) for tokens, slots in merged.values())


def _without_span(lines: list[str], span: Span) -> list[str]:
    """``lines`` without those between ``span``'s two stable lines, if they fit it."""
    starts = (
        [-1] if span.before == "" else [i for i, line in enumerate(lines) if line == span.before]
    )
    for start in starts:
        end = _next(lines, start + 1, span.after)
        if end is None:
            continue
        between = lines[start + 1 : end]
        if between and span.fits(between):
            return lines[: start + 1] + lines[end:]
    return lines


def _next(lines: list[str], start: int, after: str) -> int | None:
    if after == "":
        return len(lines)
    for index in range(start, len(lines)):
        if lines[index] == after:
            return index
    return None


def volatile_lines(lines: Iterable[str], volatility: Volatility) -> list[str]:
    """Those of ``lines`` that ``volatility`` drops (for ``--explain``)."""
    listed = list(lines)
    kept = volatility.apply(listed)
    remaining = list(kept)
    dropped = []
    for line in listed:
        if remaining and remaining[0] == line:
            remaining.pop(0)
        else:
            dropped.append(line)
    return dropped


def churned_alike(stored: Sequence[str], first: Sequence[str], second: Sequence[str]) -> bool:
    """Whether ``second`` (a fetch made at once after ``first``) differs from the ``stored``
    lines only where it churned between the two fetches: every line of it that is not the
    stored one was also another line in ``first``, and the stored line has that line's words
    wherever the two fetches agree (a rotating teaser sentence, a caption whose words are
    drawn anew on every request), or the line was drawn anew between them: fewer than half
    of its words are the first fetch's (:func:`_redrawn`; a promotion whose words are picked
    on every request, where chance agreements of "on" and "the" would otherwise count).
    Lines are never learned from this (prose is not churn to keep); it decides one
    comparison. An edit, which both fetches show alike, is never such a line; nor is a line
    that came or went."""
    counterpart = _counterparts(first, second)
    matcher = difflib.SequenceMatcher(None, list(stored), list(second), autojunk=False)
    opcodes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not opcodes:
        return False
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "replace" or i2 - i1 != j2 - j1:
            return False
        for old, index in zip(stored[i1:i2], range(j1, j2), strict=True):
            before = counterpart.get(index)
            if before is None or before == second[index]:
                return False
            if _redrawn(before, second[index]) and _same_shape(old, second[index]):
                continue
            if _numbers_churned(before, second[index], old):
                continue
            if _alike(before, second[index]).fullmatch(old) is None:
                return False
    return True


def _numbers_churned(first: str, second: str, stored: str) -> bool:
    """Whether two fetches of a line differ only in numbers, and the stored line is the same
    line with any numbers where those churned and the numbers written together with them
    ("at 12:46 and 19:41" / "at 15:45 and 15:41": the "41" they share by chance churns
    with its hour, and "at 14:45 and 16:45" stored is one more drawing)."""
    template = _number_template(first, second)
    return template is not None and _template_pattern(template).fullmatch(stored) is not None


def _same_shape(stored: str, line: str) -> bool:
    """Whether ``stored`` could be a drawing of the slot that ``line`` is: about as many
    words (within half as many again), so that a sentence the page replaced by a slot drawn
    anew is still a change."""
    a, b = len(_words(stored)), len(_words(line))
    return 2 * min(a, b) >= max(a, b) * 4 / 3


def _words(line: str) -> list[str]:
    """The words of a line (its tokens less spaces and punctuation)."""
    return [token for token in _TOKENS.findall(line) if token[0].isalnum()]


def _redrawn(first: str, second: str) -> bool:
    """Whether fewer than half of the words of ``second`` are ``first``'s, in order: the
    line was drawn anew between two fetches a moment apart (a sentence with a churning
    number keeps nearly all its words)."""
    a, b = _words(first), _words(second)
    if not b:
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return shared * 2 < len(b)


def _counterparts(first: Sequence[str], second: Sequence[str]) -> dict[int, str]:
    """For each line of ``second`` that replaced a line of ``first`` one for one, that line."""
    matcher = difflib.SequenceMatcher(None, list(first), list(second), autojunk=False)
    found: dict[int, str] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            found.update(zip(range(j1, j2), first[i1:i2], strict=True))
    return found


def _alike(first: str, second: str) -> re.Pattern[str]:
    """The words two versions of a line share, literally, with anything where they differ."""
    a, b = _TOKENS.findall(first), _TOKENS.findall(second)
    pattern = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pattern.append(re.escape("".join(a[i1:i2])))
        elif not pattern or pattern[-1] != ".*?":
            pattern.append(".*?")
    return re.compile("".join(pattern), re.DOTALL)
