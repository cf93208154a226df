"""ChangeReports -> an Atom 1.0 feed (feedgen), one entry per change.

Each entry's content is the change rendered as HTML (``content type="html"``: the facts, the
notes and the hunks with ``<del>``/``<ins>``, every piece of page text escaped, see
:func:`monitor.report.render_html_fragment`), so a feed reader shows what changed. The caller
gives the absolute URLs (a feed has no base of its own): the feed's self link, the page it
stands for, and each entry's link. Ids do not depend on the URL the feed was read from (a
feed reader would see every entry again under another host name): a change's entry is
``tag:monitor,2026:change/<id>``, see :func:`tag_uri`.

A feed never fails because of page text: characters XML 1.0 cannot hold (control characters,
U+FFFE, U+FFFF, lone surrogates), which lxml refuses, are removed from every text the feed
carries (:func:`xml_text`).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from monitor.clock import parse_moment
from monitor.excerpt import first_passage
from monitor.models import ChangeReport
from monitor.report import clean, render_html_fragment
from monitor.urls import host_of

log = logging.getLogger(__name__)

TAG_PREFIX = "tag:monitor,2026:"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def tag_uri(kind: str, number: int | None = None) -> str:
    """A stable Atom id (RFC 4151): ``tag:monitor,2026:change/12``, ``…:changes``."""
    return TAG_PREFIX + kind + (f"/{number}" if number is not None else "")


@dataclass(frozen=True)
class FeedInfo:
    """What the feed is: its id and self URL, title, and the page it stands for."""

    title: str
    self_url: str
    alternate_url: str
    author: str = "monitor"
    feed_id: str | None = None  # the feed's Atom id (default: its self URL)


@dataclass(frozen=True)
class FeedEntry:
    """One change and the absolute URL of its diff page (the entry's link)."""

    report: ChangeReport
    url: str

    @property
    def entry_id(self) -> str:
        """The entry's Atom id: the change's tag URI (the URL for a report of no change)."""
        change_id = self.report.change_id
        return tag_uri("change", change_id) if change_id is not None else self.url


def _moment(value: str | None) -> datetime:
    """An ISO-8601 time as an aware datetime (UTC when it has no offset)."""
    return parse_moment(value) if value else datetime.fromtimestamp(0, UTC)


def _one_line(text: str) -> str:
    return " ".join(xml_text(clean(text)).split())


def entry_title(report: ChangeReport) -> str:
    """ "name: version 2 → 3 (+4 −0)", or "… first version" for a change without an old one."""
    name = _one_line(report.watch_name)
    diff = report.diff
    stats = f"(+{diff.chars_added} −{diff.chars_removed})"
    if report.old is None:
        return f"{name}: first version {report.new.version}"
    note = {"revert": " revert", "flap": " flap"}.get(report.kind, "")
    return f"{name}: version {report.old.version} → {report.new.version}{note} {stats}"


def entry_summary(report: ChangeReport) -> str:
    """The article's title and site, and the first changed passage, as escaped HTML: what a
    feed reader's list shows of an entry."""
    title = html.escape(_one_line(report.new.title or report.watch_name))
    head = f"<p><b>{title}</b> · {html.escape(host_of(report.url))}</p>"
    passage = first_passage(report.diff.ops)
    if passage is None:
        return head
    tags = {-1: "del", 1: "ins"}
    pieces = [
        f"<{tags[p.op]}>{html.escape(clean(p.text))}</{tags[p.op]}>"
        if p.op
        else html.escape(clean(p.text))
        for p in passage.pieces
    ]
    more = " (and more)" if passage.more else ""
    return f"{head}<p>{''.join(pieces)}{more}</p>"


def render_atom(feed: FeedInfo, entries: Sequence[FeedEntry]) -> bytes:
    """The feed as UTF-8 Atom XML; entries newest first, as given."""
    generator = FeedGenerator()
    generator.id(xml_text(feed.feed_id or feed.self_url))
    generator.title(_one_line(feed.title) or "monitor")
    generator.author({"name": feed.author})
    generator.link(href=xml_text(feed.alternate_url), rel="alternate", type="text/html")
    generator.link(href=xml_text(feed.self_url), rel="self", type="application/atom+xml")
    generator.generator("monitor")
    times = [_moment(entry.report.detected_at) for entry in entries]
    generator.updated(max(times, default=datetime.fromtimestamp(0, UTC)))
    for entry, when in zip(entries, times, strict=True):
        item = generator.add_entry(order="append")
        item.id(xml_text(entry.entry_id))
        item.title(entry_title(entry.report))
        item.updated(when)
        item.published(when)
        item.link(href=xml_text(entry.url), rel="alternate", type="text/html")
        item.author({"name": _one_line(entry.report.watch_name) or feed.author})
        item.summary(xml_text(entry_summary(entry.report)), type="html")
        item.content(xml_text(render_html_fragment(entry.report)), type="html")
    atom: bytes = generator.atom_str(pretty=True)
    return atom
