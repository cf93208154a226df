"""What a watch learned about its page, as data: where its article is (:class:`Learning`,
from a full extraction) and what churns (:class:`Learned`), stored with the watch as JSON,
and the fingerprint a replay compares (:func:`fingerprint`).

Reading a page to learn or replay is :mod:`.replay`'s job; this module is only the data, so
that the checking process, which keeps and compares what was learned but never parses a page,
needs no HTML parser.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.extract.volatile import Volatility


@dataclass(frozen=True)
class Learning:
    """What a full extraction of a page found out, for replaying it (JSON-ready parts)."""

    region: tuple[str, ...]  # the region's path (see :func:`region_path`)
    lines: tuple[str, ...]  # its normalised lines, less what ``removed`` selects
    titles: str  # the title sources
    outside: str  # the hash of the long paragraphs outside the region
    #: selectors of what extraction removes from the page before it reads anything (the
    #: rules' and rule packs' ``remove``, screen-reader text): never article text, so left
    #: out of the region's lines (a related-posts box inside the region rotates its teasers)
    removed: tuple[str, ...] = ()
    #: the chosen rules' (or rule pack's) title selectors: what they select may be the title
    #: wherever it is on the page, so it is a title source too
    titled: tuple[str, ...] = ()
    #: which ``<noscript>`` copies of the article the page showed (:mod:`.noscript`): the
    #: decision rests on text a replay does not read, so it is compared itself
    copies: str = ""
    #: which of the region's lines are in the same list (:func:`read_region`): where a
    #: closing label's list ends decides what the article keeps
    shape: str = ""

    def fingerprint(self, volatility: Volatility) -> str:
        """The hash a replay compares (:func:`fingerprint`)."""
        return fingerprint(
            self.lines, self.titles, self.outside, volatility, self.copies, self.shape
        )

    def as_dict(self) -> dict[str, Any]:
        data = {
            "region": list(self.region),
            "lines": list(self.lines),
            "titles": self.titles,
            "outside": self.outside,
        }
        if self.removed:
            data["removed"] = list(self.removed)
        if self.titled:
            data["titled"] = list(self.titled)
        if self.copies:
            data["copies"] = self.copies
        if self.shape:
            data["shape"] = self.shape
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Learning:
        return cls(
            tuple(str(s) for s in data.get("region", ())),
            tuple(str(s) for s in data.get("lines", ())),
            str(data.get("titles", "")),
            str(data.get("outside", "")),
            tuple(str(s) for s in data.get("removed", ())),
            tuple(str(s) for s in data.get("titled", ())),
            str(data.get("copies", "")),
            str(data.get("shape", "")),
        )


def fingerprint(
    lines: Sequence[str],
    titles: str,
    outside: str,
    volatility: Volatility,
    copies: str = "",
    shape: str = "",
) -> str:
    """The hash of a page as a replay sees it: the region's lines less those that churn,
    the title sources, the prose outside, what was decided about ``<noscript>`` copies and
    which lines are in the same list."""
    digest = hashlib.sha256(titles.encode("utf-8", "surrogatepass") + b"\x1e")
    digest.update(outside.encode() + b"\x1e")
    if copies:
        digest.update(copies.encode() + b"\x1e")
    if shape:
        digest.update(shape.encode() + b"\x1e")
    for line in volatility.apply(lines):
        digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class Learned:
    """What full analyses of a watch's page learned: where its article is on the page
    (:class:`Learning`, from the last full analysis that agreed with the stored version),
    what churns among the article's lines (``article``: dropped from its text) and among
    the region's other lines (``region``: left out of the fingerprint only), and for which
    extractor and rules. Stored with the watch as JSON."""

    extractor: str
    rules: str  # the key of the rules it was learned under
    learning: Learning
    article: Volatility = field(default_factory=Volatility)
    region: Volatility = field(default_factory=Volatility)
    origin: str = ""  # how it was learned, in words

    @property
    def churn(self) -> Volatility:
        """All that churns in the region (what the fingerprint leaves out)."""
        return self.article.merged(self.region)

    @property
    def fingerprint(self) -> str:
        """The fingerprint a page must have for a replay to say nothing changed."""
        return self.learning.fingerprint(self.churn)

    def to_json(self) -> str:
        return json.dumps(
            {
                "extractor": self.extractor,
                "rules": self.rules,
                "learning": self.learning.as_dict(),
                "article": self.article.as_dict(),
                "region": self.region.as_dict(),
                "origin": self.origin,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | None) -> Learned | None:
        """What a watch's ``learned_json`` holds (None: nothing, or not readable)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                extractor=str(data["extractor"]),
                rules=str(data["rules"]),
                learning=Learning.from_dict(data["learning"]),
                article=Volatility.from_dict(data.get("article")),
                region=Volatility.from_dict(data.get("region")),
                origin=str(data.get("origin", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> list[str]:
        """A few lines for `monitor log` and `extract --explain`."""
        out = [
            f"article region: {' > '.join(self.learning.region)} "
            f"({len(self.learning.lines)} lines; extractor {self.extractor})",
            f"learned from: {self.origin or 'a full analysis'}",
        ]
        if self.learning.removed:
            out.append(
                f"left out of the region: what extraction removes first "
                f"({len(self.learning.removed)} selectors, e.g. {self.learning.removed[-1]})"
            )
        copies = self.learning.copies.removeprefix("copies:")
        if copies == "many":
            out.append("<noscript> copies of the article: too many to be one article's, none read")
        elif copies:
            read = copies.count("1")
            others = " (the page shows the others' text anyway)" if read < len(copies) else ""
            out.append(f"<noscript> copies of the article: {read} of {len(copies)} read{others}")
        churn = self.article.describe()
        out += [f"churn in the article, dropped: {line}" for line in churn] or [
            "churn in the article: none seen"
        ]
        out += [f"churn around it, not compared: {line}" for line in self.region.describe()]
        return out
