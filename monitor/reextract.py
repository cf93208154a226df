"""Re-extraction (`monitor reextract`): today's extractor and rules over the stored page of
each watch's current version. A text that comes out different becomes the new baseline, a
version marked as a re-extraction: not a change, so nothing is reported or notified, and an
upgrade of monitor or an edited site rule raises no alerts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitor.analyse import text_sha256
from monitor.classify import classify_article
from monitor.config import Config
from monitor.errors import ExtractError, StaleBaselineError
from monitor.extract import EXTRACTOR_VERSION
from monitor.fetch import decode_html
from monitor.identity import page_signals
from monitor.models import FetchOutcome, FetchResult
from monitor.store import Store, Watch, utcnow
from monitor.store.records import new_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reextracted:
    """What `monitor reextract` did with one watch."""

    watch: Watch
    old_version: int | None
    new_version: int | None = None  # the new baseline, when the text changed
    note: str = ""

    @property
    def changed(self) -> bool:
        """True when the current extractor gives another text than the stored one."""
        return self.new_version is not None or self.note == "would change"


def reextract_watch(
    store: Store, config: Config, watch: Watch, *, dry_run: bool = False
) -> Reextracted:
    """Run today's extractor over the stored page of the current version; store a different
    text as the new baseline (not a change: nothing is reported or notified), or record that
    today's extractor gives the same text (and how sure it is). The extractor is imported
    here: a checker that re-baselines no watch never imports it."""
    from monitor.extract.article import extract_article

    current = store.versions.current(watch)
    if current is None:
        return Reextracted(watch, None, note="no version yet")
    raw, encoding = store.versions.page(current.id)
    if not raw:
        return Reextracted(watch, current.version, note="no stored page")
    content_type = f"text/html; charset={encoding}" if encoding else None
    html, _ = decode_html(raw, content_type)
    rules = config.rules_for(watch.url, watch.rules)
    try:
        article = extract_article(html, current.final_url or watch.url, rules)
    except ExtractError as exc:  # a site plugin that fails: the baseline stays as it was
        return Reextracted(watch, current.version, note=f"kept: {exc}")
    sha = text_sha256(article.document)
    if sha == current.text_sha256:
        if not dry_run:
            store.mark_extracted(current.id, EXTRACTOR_VERSION, article.confidence)
        return Reextracted(watch, current.version, note="same text")
    verdict = classify_article(article)
    if verdict.status is not None:
        if not dry_run:  # today's extractor has looked at it: the next check compares as usual
            store.mark_extracted(current.id, EXTRACTOR_VERSION, current.confidence)
        return Reextracted(watch, current.version, note=f"kept: {verdict.error}")
    if dry_run:
        return Reextracted(watch, current.version, note="would change")
    fetched = FetchResult(
        url=watch.url,
        outcome=FetchOutcome.OK,
        final_url=current.final_url,
        content=raw,
        encoding=encoding,
    )
    try:
        version = store.add_baseline(
            watch.id,
            new_snapshot(
                article,
                sha,
                fetched,
                extractor_version=EXTRACTOR_VERSION,
                signals_json=page_signals(html, current.final_url or watch.url).as_json(),
            ),
            utcnow(),
            expected_current=current.id,
        )
    except StaleBaselineError:
        return Reextracted(watch, current.version, note="a check stored a new version meanwhile")
    log.info("re-extracted watch=%s v%d -> v%d", watch.label, current.version, version)
    return Reextracted(watch, current.version, version)
