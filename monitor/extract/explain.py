"""Why the extractor chose what it chose: the data behind ``monitor extract --explain``.

:func:`monitor.extract.explain_article` runs the same extraction as ``extract_article`` with a
:class:`Trace` that records which rule, pack or method chose the content, where the title came
from and what was removed (per selector or boilerplate reason, with a count and a sample),
and returns it as a frozen :class:`Explanation`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.extract.text import Element, blocks_of, normalize_text

log = logging.getLogger(__name__)

SAMPLE_CHARS = 60
PATH_DEPTH = 4


@dataclass(frozen=True)
class Removal:
    """Elements or lines dropped for one reason: how many, and the text of the first."""

    reason: str
    count: int
    sample: str


@dataclass(frozen=True)
class Explanation:
    """How a page's article was found.

    ``method`` is ``site-rule``, a rule pack's name (``jannah``, ``wordpress``) or
    ``generic``; ``content`` the content selectors that matched, or for ``generic`` the
    CSS-like path of the chosen container; ``title_source`` where the title came from.
    """

    method: str
    content: tuple[str, ...]
    title: str
    title_source: str
    removed: tuple[Removal, ...]
    notes: tuple[str, ...]
    lines: int
    extractor_version: str

    def describe(self) -> str:
        """A few lines for a terminal."""
        out = [
            f"method:   {self.method} (extractor {self.extractor_version})",
            f"content:  {', '.join(self.content) or '(nothing found)'}  -> {self.lines} lines",
            f"title:    {self.title!r} from {self.title_source or 'nowhere'}",
        ]
        out += [f"removed:  {r.count:3d} x {r.reason}  e.g. {r.sample!r}" for r in self.removed]
        out += [f"note:     {note}" for note in self.notes]
        return "\n".join(out)


@dataclass
class Trace:
    """Collects an :class:`Explanation` while an article is extracted."""

    method: str = ""
    content: tuple[str, ...] = ()
    title_source: str = ""
    notes: list[str] = field(default_factory=list)
    _removed: dict[str, tuple[int, str]] = field(default_factory=dict)

    def removed_elements(self, reason: str, elements: Iterable[Element]) -> None:
        """Record dropped elements under ``reason``."""
        self.removed_texts(reason, (sample_of(e) for e in elements))

    def removed_texts(self, reason: str, texts: Iterable[str]) -> None:
        """Record dropped text lines under ``reason``."""
        for text in texts:
            count, sample = self._removed.get(reason, (0, ""))
            self._removed[reason] = (count + 1, sample or text[:SAMPLE_CHARS])

    def explanation(self, title: str, lines: int, version: str) -> Explanation:
        """The frozen result."""
        removed = tuple(Removal(r, n, s) for r, (n, s) in self._removed.items())
        return Explanation(
            self.method,
            self.content,
            title,
            self.title_source,
            removed,
            tuple(self.notes),
            lines,
            version,
        )


def sample_of(element: Element) -> str:
    """The start of an element's text, on one line."""
    return normalize_text(blocks_of([element])).replace("\n", " / ")[:SAMPLE_CHARS]


def css_path(element: Element) -> str:
    """A short CSS-like path to ``element``: up to the nearest id, at most a few steps."""
    steps = []
    for node in (element, *element.iterancestors()):
        steps.append(_step(node))
        if node.get("id") or len(steps) >= PATH_DEPTH or node.tag in ("body", "html"):
            break
    return " > ".join(reversed(steps))


def _step(element: Element) -> str:
    step = str(element.tag)
    ident = (element.get("id") or "").strip()
    if ident and " " not in ident:
        return f"{step}#{ident}"
    classes = (element.get("class") or "").split()
    return step + "".join(f".{c}" for c in classes[:2])
