"""Comparing a fetched page's article with the stored version: what the check found.

A :class:`Comparer` takes the full analysis of a page and the baseline and decides: an error
(a page that is not the article, a collapse not yet confirmed), unchanged, a version that
awaits confirmation, a revert or flap back to an earlier version, or a new version.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import Any

from monitor.analyse import Analysis
from monitor.classify import Verdict, classify_article, is_collapse
from monitor.config import Config
from monitor.extract import EXTRACTOR_VERSION
from monitor.fetch import decode_html
from monitor.fetch.body import reaches_page_end
from monitor.history import is_silent_edit, version_ref
from monitor.identity import (
    PageSignals,
    Seen,
    first_check_gate,
    judge,
    page_identity,
    page_signals,
    stood_in_for,
)
from monitor.models import CheckStatus, FetchResult, Metadata
from monitor.store import Baseline, CheckRecord, NewChange, Snapshot, Store, Watch
from monitor.store.records import new_snapshot

log = logging.getLogger(__name__)

#: Changes between the same two versions (either way), found by the last FLIP_WINDOW
#: checks, after which their taking turns flaps (an A/B test, a CDN serving two versions:
#: recorded, not reported), when the version returned to was seen by one of those checks.
FLIPS = 2
FLIP_WINDOW = 6


class Comparer:
    """Decides what a check found, against the store's versions and the config."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.signals = StoredSignals(store)

    def compare(
        self,
        watch: Watch,
        held: Baseline,
        fetched: FetchResult,
        analysis: Analysis,
        base: CheckRecord,
        html_gz: bytes | None = None,
    ) -> CheckRecord:
        """What the check found, against ``held`` (read once by the check)."""
        current = held.current
        article, sha = analysis.article, analysis.text_sha256
        verdict = classify_article(article)
        if verdict.status is not None or current is None:
            verdict = _gated(verdict, analysis)
        if verdict.status is None and current is None:
            verdict = _sent_home(watch.url, fetched.final_url)
        if verdict.status is None and current is not None and analysis.diff is not None:
            verdict = self._identity(watch, held, current, fetched, analysis)
        if verdict.status is not None:
            return _with(base, status=verdict.status, error=verdict.error)
        if current is not None and analysis.diff is None:  # (less what is learned to churn)
            return _unchanged(base, current)
        if current is not None and not self._seen_before(watch, held, sha):
            return _with(
                _unchanged(base, current),
                content_key=None,  # the page must be read again next time, to confirm,
                etag=watch.etag,  # and not as a 304 to the new version's validators
                last_modified=watch.last_modified,
                error=f"a new version awaits confirmation ({self.config.confirm_for(watch.url)} "
                "checks in a row)",
            )
        earlier = self.store.versions.by_sha(watch.id, sha)
        if earlier is not None:
            kind = "flap" if self._flapping(watch, held, current, earlier) else "revert"
            change = _change(current, earlier, kind, analysis)
            return _with(
                base,
                status=CheckStatus.CHANGED,
                snapshot_id=earlier.id,
                version=earlier.version,
                change=change,
            )
        snapshot = new_snapshot(
            article,
            sha,
            fetched,
            html_gz,
            extractor_version=EXTRACTOR_VERSION,
            signals_json=analysis.signals.as_json(),
        )
        if current is None:
            return _with(base, status=CheckStatus.NEW, new_snapshot=snapshot)
        change = _change(current, None, "changed", analysis)
        return _with(base, status=CheckStatus.CHANGED, new_snapshot=snapshot, change=change)

    def _flapping(
        self, watch: Watch, held: Baseline, current: Snapshot | None, earlier: Snapshot
    ) -> bool:
        """A return to ``earlier`` flaps (recorded, not reported) when one of the last
        :data:`FLIP_WINDOW` checks saw it and the page already went from one of the two
        versions to the other and back (:data:`FLIPS` changes between them: an A/B test, two
        CDN edges, a rotating sentence): an edit and its first revert are reported, even on
        the next check (a reader of the edit's alert must learn that it was undone), the
        same two texts taking turns after that are not; an edit re-applied after its revert
        held for more checks than that is reported again, and so is its undoing."""
        if current is None:
            return False
        if earlier.id not in held.recent:  # the versions of the last FLIP_WINDOW good checks
            return False
        flips = self.store.changes.flips(watch.id, current.id, earlier.id, FLIP_WINDOW)
        return flips >= FLIPS

    def _seen_before(self, watch: Watch, held: Baseline, sha: str) -> bool:
        """With ``confirm = N``, a new text counts once the N-1 checks before saw it too
        (flapping CDNs and A/B tests never settle, so they are never reported)."""
        needed = self.config.confirm_for(watch.url) - 1
        seen = held.candidates[:needed] if needed else ()
        return len(seen) == needed and all(s == sha for s in seen)

    def _identity(
        self,
        watch: Watch,
        held: Baseline,
        current: Snapshot,
        fetched: FetchResult,
        analysis: Analysis,
    ) -> Verdict:
        """A page that is not this article (:func:`monitor.identity.judge`) is a soft error
        however often it is seen; a page that only its title says is another (a rewrite
        under a new headline) and a collapse of the text are one until seen on enough
        checks, the collapse only if the shrunk text comes from the article."""
        last_final = held.final_url or current.final_url
        baseline = _seen(current.title, current.text, last_final, current.metadata)
        if _may_show_a_gate(analysis.signals):
            baseline = replace(baseline, signals=self.signals.of(current))
        article = analysis.article
        page = _seen(article.title, article.text, fetched.final_url, article.metadata)
        page = replace(page, signals=analysis.signals)
        judgement = judge(baseline, page)
        if judgement.stand_in is not None and not judgement.retitled:
            return self._stand_in(watch, held, current, page, analysis, judgement.stand_in)
        if judgement.stand_in is not None:  # retitled: a rewrite once seen often enough
            held_back = self._unless_confirmed(
                watch, held, analysis.text_sha256, judgement.stand_in
            )
            if held_back.status is not None:
                return held_back
        if self._cut_short(current, fetched, analysis):
            reason = (
                "the page stops before its </html>, where the stored version's reached it, "
                "and the text is shorter: cut short"
            )
            return self._unless_confirmed(watch, held, analysis.text_sha256, reason)
        if not is_collapse(current.document, article.document, self.config.settings.collapse_ratio):
            return Verdict(None)
        reason = (
            f"article text collapsed from {len(current.document)} to "
            f"{len(article.document)} characters"
        )
        if not judgement.contained:
            return Verdict(CheckStatus.SOFT_ERROR, f"{reason}, to text not from the article")
        return self._unless_confirmed(watch, held, analysis.text_sha256, reason)

    def _stand_in(
        self,
        watch: Watch,
        held: Baseline,
        current: Snapshot,
        page: Seen,
        analysis: Analysis,
        reason: str,
    ) -> Verdict:
        """A page that is not the article the stored version is: a soft error, unless the
        stored version is the watch's first and only one and it stood in for this page
        (:func:`monitor.identity.stood_in_for`: a gate page stored as the first version).
        Then the page replaces it once seen on ``collapse_confirm`` checks in a row, as the
        change it is: a first version never judged against anything cannot keep a watch
        from its article for ever."""
        if current.version != 1 or self.store.versions.last_number(watch.id) != 1:
            return Verdict(CheckStatus.SOFT_ERROR, reason)
        first = _seen(current.title, current.text, current.final_url, current.metadata)
        gate = stood_in_for(replace(first, signals=self.signals.of(current)), page)
        if gate is None:
            return Verdict(CheckStatus.SOFT_ERROR, reason)
        why = f"{reason}; the first version looks like {gate} that stood in for the article"
        return self._unless_confirmed(watch, held, analysis.text_sha256, why)

    def _cut_short(self, current: Snapshot, fetched: FetchResult, analysis: Analysis) -> bool:
        """Whether the page was cut short though its body arrived as framed (a Content-Length
        or a chunked body that ended as announced: a server that stopped writing the page,
        a PHP fatal error half way): it stops before ``</html>`` while the stored version's
        page reached it, and its text is shorter. (A body whose end only the connection
        closing told is checked as it is read: :func:`monitor.fetch.body.check_page_end`.)"""
        if reaches_page_end(fetched.content) or not fetched.content.strip():
            return False
        if len(analysis.article.document) >= len(current.document):
            return False
        raw, _encoding = self.store.versions.page(current.id)
        return bool(raw) and reaches_page_end(raw)

    def _unless_confirmed(self, watch: Watch, held: Baseline, sha: str, reason: str) -> Verdict:
        """No verdict if the same text was seen on the last ``collapse_confirm - 1`` checks
        too (it is real, then); else a soft error saying why."""
        confirm = self.config.settings.collapse_confirm
        seen = held.candidates[: confirm - 1]
        if len(seen) == confirm - 1 and all(s == sha for s in seen):
            log.info("watch=%s %s: confirmed on %d checks", watch.label, reason, confirm)
            return Verdict(None)
        return Verdict(
            CheckStatus.SOFT_ERROR,
            f"{reason} (kept as an error until it is seen on {confirm} checks in a row)",
        )


class StoredSignals:
    """The :class:`~monitor.identity.PageSignals` of stored versions' pages: stored with the
    version (schema 9), or for a version stored before, read from its stored page once and
    kept (a bounded number of them)."""

    KEPT = 1024

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: dict[int, PageSignals] = {}

    def of(self, snapshot: Snapshot) -> PageSignals:
        stored = PageSignals.from_json(snapshot.signals_json)
        if stored is not None:
            return stored
        signals = self._kept.get(snapshot.id)
        if signals is None:
            raw, encoding = self.store.versions.page(snapshot.id)
            html = _decoded(raw, encoding)
            signals = page_signals(html, snapshot.final_url) if html else PageSignals()
            if len(self._kept) >= self.KEPT:
                self._kept.pop(next(iter(self._kept)))
            self._kept[snapshot.id] = signals
        return signals


def _may_show_a_gate(signals: PageSignals) -> bool:
    """Whether the baseline's signals can change the judgement of a page with ``signals``:
    only a gate or a paywall prompt this page shows (it counts only if the baseline did
    not show it) or an
    og:type other than article (it counts only if the baseline's was article) look at
    them. Most pages show neither, and reading the baseline's stored page to find its
    signals costs a few milliseconds."""
    return bool(signals.gates()) or signals.prompt or signals.og_type not in (None, "article")


def _seen(title: str, text: str, final_url: str | None, metadata: Metadata) -> Seen:
    return Seen(title, text, final_url, metadata.canonical_url, metadata.language)


def _gated(verdict: Verdict, analysis: Analysis) -> Verdict:
    """A short page showing a gate (a redirect, login, challenge or consent page) says so,
    whatever else was found wrong with it (the first check has no baseline to judge by)."""
    gate = first_check_gate(analysis.signals, analysis.article.text)
    if gate is None:
        return verdict
    reason = f" ({verdict.error})" if verdict.error else ""
    return Verdict(CheckStatus.SOFT_ERROR, f"{gate}, not an article{reason}")


def _sent_home(url: str, final_url: str | None) -> Verdict:
    """Without a baseline: an article's URL redirected to a site's home page (the article
    moved away or was taken down, and the site sends its visitors home) holds no article,
    whatever the home page's teasers look like."""
    if not final_url or _is_home(url):
        return Verdict(None)
    if not _is_home(final_url):
        return Verdict(None)
    return Verdict(CheckStatus.SOFT_ERROR, f"redirected to the home page {final_url[:200]}")


#: A home page's path: the root, a language edition's (/en/, /pt-br/), an index file.
_HOME_PATH = re.compile(
    r"^/(?:[a-z]{2}(?:[-_][a-z]{2})?/?|(?:index|default|home)\.\w{2,5})?$", re.I
)


def _is_home(url: str) -> bool:
    """Whether ``url`` is a site's home page (no query: ``/?p=123`` is an article)."""
    _host, path, query = page_identity(url)
    return not query and _HOME_PATH.match(path) is not None


def _decoded(raw: bytes, encoding: str | None) -> str:
    """A stored page as text (with the encoding it was read with, if it still decodes)."""
    if not raw:
        return ""
    if encoding:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_html(raw, None)[0]


def _with(record: CheckRecord, **changes: Any) -> CheckRecord:
    return replace(record, **changes)


def _unchanged(base: CheckRecord, current: Snapshot) -> CheckRecord:
    return _with(
        base, status=CheckStatus.UNCHANGED, snapshot_id=current.id, version=current.version
    )


def _change(
    current: Snapshot | None, earlier: Snapshot | None, kind: str, analysis: Analysis
) -> NewChange:
    """The change to store, with what its report shows (``earlier``: the version a revert
    returns to; None for a new version)."""
    diff = analysis.diff
    assert diff is not None, "a change always has a diff against the current version"
    return NewChange(
        old_snapshot_id=current.id if current else None,
        new_snapshot_id=earlier.id if earlier else None,
        kind=kind,
        chars_added=diff.chars_added,
        chars_removed=diff.chars_removed,
        share_changed=diff.share_changed,
        silent_edit=is_silent_edit(current, analysis.article),
        diff_json=json.dumps(
            {"granularity": diff.granularity, "ops": [[op.op, op.text] for op in diff.ops]},
            ensure_ascii=False,
        ),
        old=version_ref(current) if current else None,
        returned_to=version_ref(earlier) if earlier else None,
        diff=diff,
    )
