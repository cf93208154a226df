"""Full-text search over every stored version: the FTS5 trigram index (``snapshots_fts``)
for terms of three characters or more, a bounded LIKE scan of the latest versions otherwise.

The trigram tokenizer finds any substring of three or more characters, so Japanese words
without spaces are found (「値上げ」). One- and two-character terms cannot use it; a query
made only of those scans the latest :data:`SCAN_LIMIT` versions with LIKE. Hits come newest
first (FTS5 walks its index by rowid, so a page of a common term costs no more than a rare
one). Snippets are built here, as plain text cut into (text, is_match) segments that the
caller escapes: nothing of the page is ever markup. Control characters (NUL among them,
which FTS5 refuses) are taken out of queries; whenever the scan was used, the result says so
(``scanned``), so the web page, the API and ``monitor search`` can tell that older versions
were not searched (:func:`scan_note` says it in words).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from monitor.store import StoreReader
from monitor.store.read import like_escape

log = logging.getLogger(__name__)

SCAN_LIMIT = 5000  # versions a query of short terms only looks through (the latest ones)
MIN_TRIGRAM = 3
SNIPPET_BEFORE, SNIPPET_AFTER = 60, 160
MAX_TERMS = 8


@dataclass(frozen=True)
class Hit:
    """A version that matches, with a snippet around the first match."""

    watch_id: int
    watch_name: str | None
    watch_url: str
    snapshot_id: int
    version: int
    created_at: str
    title: str
    language: str | None
    segments: tuple[tuple[str, bool], ...]  # the snippet: (text, is a match)

    @property
    def snippet(self) -> str:
        """The snippet as plain text."""
        return "".join(text for text, _ in self.segments)

    def as_dict(self) -> dict[str, Any]:
        """The hit for the JSON API; ``highlights`` are [start, end) offsets in ``snippet``."""
        highlights, at = [], 0
        for text, matched in self.segments:
            if matched:
                highlights.append([at, at + len(text)])
            at += len(text)
        return {
            "watch": {"id": self.watch_id, "name": self.watch_name, "url": self.watch_url},
            "snapshot_id": self.snapshot_id,
            "version": self.version,
            "created_at": self.created_at,
            "title": self.title,
            "snippet": self.snippet,
            "highlights": highlights,
        }


@dataclass(frozen=True)
class Found:
    """A page of hits, and whether they come from the bounded scan of the latest
    SCAN_LIMIT versions (short terms only, or the index failed) rather than the index."""

    hits: list[Hit]
    scanned: bool = False
    short_only: bool = False  # every term has one or two characters


def scan_note(found: Found) -> str | None:
    """What a reader must know about how ``found`` was searched, or None (the index)."""
    if not found.scanned:
        return None
    if found.short_only:
        return (
            f"Words of one or two characters are looked for in the latest {SCAN_LIMIT:,} "
            "versions only; a word of three or more searches them all."
        )
    return (
        f"The full-text index could not be used: only the latest {SCAN_LIMIT:,} versions "
        "were searched."
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_query(query: str) -> str:
    """A query without control characters (NUL breaks FTS5), tabs and newlines as spaces."""
    return _CONTROL.sub("", query).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def search_terms(query: str) -> list[str]:
    """The distinct whitespace-separated terms of a query (at most MAX_TERMS)."""
    terms: list[str] = []
    for term in clean_query(query).split():
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def search(
    store: StoreReader,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    watch_id: int | None = None,
) -> Found:
    """Versions whose title or text contain every term of ``query``, newest first (of one
    watch's versions only, with ``watch_id``)."""
    terms = search_terms(query)
    if not terms:
        return Found([])
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM]
    short_terms = [t for t in terms if len(t) < MIN_TRIGRAM]
    where, params = _like_all(short_terms)
    if watch_id is not None:
        where += " AND s.watch_id = ?"
        params = [*params, watch_id]
    ids = None
    if long_terms:
        ids = _fts_ids(store, long_terms, (where, params), limit, offset)
    if ids is not None:
        return Found(_hits(store, ids, terms))
    ids = _scan_ids(store, terms, watch_id, limit, offset)
    return Found(_hits(store, ids, terms), scanned=True, short_only=not long_terms)


def _fts_ids(
    store: StoreReader,
    long_terms: list[str],
    condition: tuple[str, list[Any]],
    limit: int,
    offset: int,
) -> list[int] | None:
    """Snapshot ids from the trigram index (None if the database has none), where the
    other ``condition`` (an SQL clause starting with AND, and its parameters) holds."""
    match = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
    where, params = condition
    try:
        rows = store.db.execute(
            "SELECT s.id FROM snapshots_fts f JOIN snapshots s ON s.id = f.rowid "
            f"WHERE snapshots_fts MATCH ? {where} ORDER BY f.rowid DESC LIMIT ? OFFSET ?",
            [match, *params, limit, offset],
        ).fetchall()
    except sqlite3.OperationalError as exc:
        log.warning("full-text search failed (%s); scanning instead", exc)
        return None
    return [int(row[0]) for row in rows]


def _scan_ids(
    store: StoreReader, terms: list[str], watch_id: int | None, limit: int, offset: int
) -> list[int]:
    """Snapshot ids from a LIKE scan of the latest SCAN_LIMIT versions (of one watch)."""
    where, params = _like_all(terms)
    scope, scoped = ("WHERE watch_id = ?", [watch_id]) if watch_id is not None else ("", [])
    rows = store.db.execute(
        "SELECT s.id FROM snapshots s WHERE s.id IN "
        f"(SELECT id FROM snapshots {scope} ORDER BY id DESC LIMIT ?) {where} "
        "ORDER BY s.id DESC LIMIT ? OFFSET ?",
        [*scoped, SCAN_LIMIT, *params, limit, offset],
    ).fetchall()
    return [int(row[0]) for row in rows]


def _like_all(terms: list[str]) -> tuple[str, list[Any]]:
    """An SQL condition (starting with AND) that each term is in the title or the text."""
    where, params = "", list[Any]()
    for term in terms:
        pattern = f"%{like_escape(term)}%"
        where += " AND (s.title LIKE ? ESCAPE '\\' OR s.text LIKE ? ESCAPE '\\')"
        params += [pattern, pattern]
    return where, params


def _hits(store: StoreReader, ids: list[int], terms: list[str]) -> list[Hit]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = store.db.query(
        "SELECT s.id, s.watch_id, s.version, s.created_at, s.title, s.text, "
        "json_extract(s.metadata_json, '$.language') AS language, w.name, w.url "
        f"FROM snapshots s JOIN watches w ON w.id = s.watch_id WHERE s.id IN ({marks})",
        ids,
    )
    by_id = {row["id"]: row for row in rows}
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    return [_hit(by_id[i], pattern) for i in ids if i in by_id]


def _hit(row: dict[str, Any], pattern: re.Pattern[str]) -> Hit:
    text = row["text"] if pattern.search(row["text"]) or not row["title"] else row["title"]
    return Hit(
        watch_id=row["watch_id"],
        watch_name=row["name"],
        watch_url=row["url"],
        snapshot_id=row["id"],
        version=row["version"],
        created_at=row["created_at"],
        title=row["title"],
        language=row["language"],
        segments=snippet(text, pattern),
    )


def snippet(text: str, pattern: re.Pattern[str]) -> tuple[tuple[str, bool], ...]:
    """A window of ``text`` around the first match, cut into (text, is a match) segments."""
    first = pattern.search(text)
    centre = first.start() if first else 0
    start = max(centre - SNIPPET_BEFORE, 0)
    end = min(centre + SNIPPET_AFTER, len(text))
    window = " ".join(text[start:end].split())
    segments: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    at = 0
    for match in pattern.finditer(window):
        if match.start() > at:
            segments.append((window[at : match.start()], False))
        segments.append((match.group(), True))
        at = match.end()
    segments.append((window[at:], False))
    if end < len(text):
        segments.append(("…", False))
    return tuple(segment for segment in segments if segment[0])
