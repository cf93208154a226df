"""Why the extractor chose what it chose: the data behind ``monitor extract --explain``.

:func:`monitor.extract.explain_article` runs the very extraction ``extract_article`` runs, with
a :class:`Recorder` as its :class:`Trace`: the run reports which rule, pack or method chose
the content, where the title came from and what was removed (per selector or boilerplate
reason, with a count and a sample), and the recorder returns it as a frozen
:class:`Explanation` holding the article of that same run. Without a recorder the run reports
to :data:`NO_TRACE`, which does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.extract.blocks import blocks_of
from monitor.extract.css import Document
from monitor.extract.text import Element, normalize_text
from monitor.models import Article, Confidence

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
    article: Article = field(default_factory=lambda: Article("", ""), compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (the article is printed beside it)."""
        data = asdict(self)
        del data["article"]
        data["confidence"] = self.confidence.as_dict()
        return data

    @property
    def confidence(self) -> Confidence:
        """How sure the run is that its text is the article."""
        return self.article.confidence

    def describe(self) -> str:
        """A few lines for a terminal."""
        out = [
            f"method:   {self.method} (extractor {self.extractor_version})",
            f"confidence: {self.confidence.describe()}",
            f"content:  {', '.join(self.content) or '(nothing found)'}  -> {self.lines} lines",
            f"title:    {self.title!r} from {self.title_source or 'nowhere'}",
        ]
        out += [f"removed:  {r.count:3d} x {r.reason}  e.g. {r.sample!r}" for r in self.removed]
        out += [f"note:     {note}" for note in self.notes]
        return "\n".join(out)


class Trace:
    """What an extraction reports about itself, to nobody: every method does nothing, so a
    normal extraction pays nothing for being explainable. :class:`Recorder` listens."""

    def chose(self, method: str, content: tuple[str, ...] = ()) -> None:
        """The rule, pack or method that chose the content, and its selectors or path."""

    def note(self, note: str) -> None:
        """Something the user should know about this page's extraction."""

    def titled(self, source: str) -> None:
        """Where the title came from."""

    def removed_elements(
        self, reason: str, selectors: tuple[str, ...], elements: list[Element], doc: Document
    ) -> None:
        """Elements about to be dropped for matching ``selectors`` (called before)."""

    def removed_texts(self, reason: str, texts: Iterable[str]) -> None:
        """Text lines dropped under ``reason``."""

    @property
    def recording(self) -> bool:
        return False


#: The trace of every extraction nobody asked to explain.
NO_TRACE = Trace()


@dataclass
class Recorder(Trace):
    """Collects an :class:`Explanation` while an article is extracted."""

    method: str = ""
    content: tuple[str, ...] = ()
    title_source: str = ""
    notes: list[str] = field(default_factory=list)
    _removed: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def recording(self) -> bool:
        return True

    def chose(self, method: str, content: tuple[str, ...] = ()) -> None:
        self.method, self.content = method, content

    def note(self, note: str) -> None:
        self.notes.append(note)

    def titled(self, source: str) -> None:
        self.title_source = source

    def removed_elements(
        self, reason: str, selectors: tuple[str, ...], elements: list[Element], doc: Document
    ) -> None:
        """Each element under the first of ``selectors`` that matches it."""
        matched = [set(doc.select((selector,))) for selector in selectors]
        for element in elements:
            pairs = zip(selectors, matched, strict=True)
            selector = next((s for s, found in pairs if element in found), "")
            self.removed_texts(f"{reason} {selector!r}", [sample_of(element)])

    def removed_texts(self, reason: str, texts: Iterable[str]) -> None:
        for text in texts:
            count, sample = self._removed.get(reason, (0, ""))
            self._removed[reason] = (count + 1, sample or text[:SAMPLE_CHARS])

    def explanation(self, article: Article, version: str) -> Explanation:
        """The frozen result."""
        removed = tuple(Removal(r, n, s) for r, (n, s) in self._removed.items())
        return Explanation(
            self.method,
            self.content,
            article.title,
            self.title_source,
            removed,
            tuple(self.notes),
            len(article.text.splitlines()),
            version,
            article,
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
