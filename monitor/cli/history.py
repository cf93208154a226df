"""What the database holds: monitor list, log, show, diff and status."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime
from typing import Any

import click

from monitor.cli import App, Column, _render, cli, pass_app, plural, table
from monitor.clock import iso
from monitor.errors import UsageError
from monitor.models import CheckStatus

DIFF_FORMATS = ("terminal", "text", "md", "markdown", "html", "json")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of watches.")
@click.option("--all", "show_all", is_flag=True, help="Include watches no longer in the config.")
@pass_app
def list_(app: App, as_json: bool, show_all: bool) -> None:
    """List the watches with their last status and counts of versions and changes."""
    from monitor.store.read import watch_dict

    with app.listing_store() as store:
        app.sync(store)
        watches = store.watches.all(active_only=not show_all)
        counts = store.watches.counts()
    rows = [watch_dict(w, counts.get(w.id, (0, 0))) for w in watches]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no watches yet: `monitor add URL` or add [[watch]] to config.toml", err=True)
        return
    columns = (
        Column("id", 4, right=True),
        Column("name", 28),
        Column("status", 13),
        Column("versions", 8, right=True),
        Column("changes", 7, right=True),
        Column("url"),
    )
    cells = [
        (
            str(row["id"]),
            _clean(row["name"] or "-"),
            row["last_status"] or "never",
            str(row["versions"]),
            str(row["changes"]),
            _clean(row["url"]) + ("" if row["active"] else f"  ({_inactive_reason(row)})"),
        )
        for row in rows
    ]
    click.echo(table(columns, cells))


def _inactive_reason(row: dict[str, Any]) -> str:
    """Why a watch is checked no more, as `monitor list --all` says it."""
    if row["duplicate_of"]:
        return f"inactive: the same article as watch {row['duplicate_of']}"
    if row["retired_at"]:
        return "retired: past its feed's schedule"
    if row["source"] == "feed":
        return "inactive: its feed is no longer followed"
    if row["source"] == "cli":
        return "inactive: removed, or its site's feed is followed instead"
    return "inactive: no longer in the config"


# -- log / show / diff ----------------------------------------------------------------------


@cli.command("log")
@click.argument("watch")
@click.option("--json", "as_json", is_flag=True, help="Versions, changes and checks as JSON.")
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many recent checks to show.",
)
@pass_app
def log_(app: App, watch: str, as_json: bool, limit: int) -> None:
    """Show the versions, changes and recent checks of one watch."""
    from monitor.feeds.pacer import schedule_dicts
    from monitor.store.read import (
        change_dict,
        learned_dict,
        list_versions,
        version_dict,
        watch_dict,
    )

    with app.store(existing=True) as store:
        target = store.watches.find(watch)
        # metadata only: neither the texts nor the stored pages are read
        versions = list_versions(store, target.id, limit=-1, newest_first=False)
        changes = store.changes.of(target)
        checks = store.versions.checks(target, limit)
        paces = schedule_dicts(store, [target], app.config.settings.interval, app.clock())
        pace = paces[target.id]
        feed_changes = store.feeds.entry_changes(target.id)
    if as_json:
        data = {
            "watch": watch_dict(target, (len(versions), len(changes))),
            "schedule": pace,
            "versions": [version_dict(v.snapshot, v.chars) for v in versions],
            "changes": [change_dict(c) for c in changes],
            "feed_changes": feed_changes,
            "checks": checks,
            "learned": learned_dict(target),
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_log(target, versions, changes, checks)
    _print_feed_side(target, pace, feed_changes)
    _print_learned(target)


def _print_learned(watch: Any) -> None:
    from monitor.extract.learned import Learned

    learned = Learned.from_json(watch.learned)
    if learned is None:
        click.echo("\nLearned: nothing yet (the next check analyses the page in full)")
        return
    click.echo(f"\nLearned ({watch.learned_at}; `monitor relearn` forgets it):")
    for line in learned.describe():
        click.echo(f"  {_clean(line)}")


def _print_feed_side(watch: Any, pace: dict[str, Any], feed_changes: list[Any]) -> None:
    """The schedule, and what the feed that found the article changed in its entry."""
    click.echo(f"\nSchedule: {pace['reason']}; next check {watch.next_check_at or '-'}")
    if watch.feed_id is None:
        return
    if not feed_changes:
        click.echo("\nFeed entry changes: none (the feed has not edited its entry)")
        return
    click.echo(f"\nFeed entry changes ({len(feed_changes)}), metadata, not article changes:")
    for c in feed_changes:
        click.echo(
            f"  {c['detected_at']}  {c['field']}: "
            f"{_clean(c['old'] or '-')} → {_clean(c['new'] or '-')}"
        )


def _print_log(watch: Any, versions: list[Any], changes: list[Any], checks: list[Any]) -> None:
    click.echo(click.style(f"{watch.label}", bold=True) + f"  {watch.url}")
    click.echo(f"\nVersions ({len(versions)}):")
    for row in versions:
        v = row.snapshot
        origin = "  (re-extracted)" if v.origin == "reextract" else ""
        title = _clean(v.title)
        click.echo(f"  v{v.version:<3} {v.created_at}  {row.chars:>6} chars  {title}{origin}")
    click.echo(f"\nChanges ({len(changes)}):")
    by_id = {row.snapshot.id: row.snapshot.version for row in versions}
    for c in changes:
        old = f"v{by_id.get(c['old_snapshot_id'], '?')}"
        new = f"v{by_id.get(c['new_snapshot_id'], '?')}"
        note = {"revert": " (revert)", "flap": " (flapping, not notified)"}.get(c["kind"], "")
        note += " (silent edit)" if c["silent_edit"] else ""
        click.echo(
            f"  #{c['id']:<4} {c['detected_at']}  {old} → {new}  "
            f"+{c['chars_added']} −{c['chars_removed']}{note}"
        )
    click.echo(f"\nLatest checks ({len(checks)}):")
    for c in checks:
        http = c["http_status"] or "-"
        error = f"  {c['error']}" if c["error"] else ""
        click.echo(
            f"  {c['checked_at']}  {c['status']:<13} {http!s:>4} {c['duration_ms']:>6} ms{error}"
        )


@cli.command()
@click.argument("watch")
@click.option("--version", "version", type=int, help="Version number (default: the current one).")
@click.option(
    "--at", "at", help="The version shown at this time (ISO-8601, e.g. 2026-11-27T09:00)."
)
@click.option("--json", "as_json", is_flag=True, help="The version with its metadata as JSON.")
@pass_app
def show(app: App, watch: str, version: int | None, at: str | None, as_json: bool) -> None:
    """Print the text of one stored version of a watch."""
    from monitor.store.read import version_dict

    if version is not None and at is not None:
        raise click.UsageError("give --version or --at, not both")
    with app.store(existing=True) as store:
        target = store.watches.find(watch)
        if version is not None:
            snapshot = store.versions.by_number(target, version)
        elif at is not None:
            snapshot = store.versions.at(target, _utc_iso(at))
        else:
            snapshot = store.versions.current(target)
            if snapshot is None:
                raise UsageError(f"{target.label} has no version yet: {_last_check(target)}")
            if target.last_status in ERROR_STATES:
                click.echo(f"note: {_last_check(target)}; this is the last version seen", err=True)
    if as_json:
        data = version_dict(snapshot) | {"text": snapshot.text}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(_clean(snapshot.document))


ERROR_STATES = frozenset(s.value for s in CheckStatus if s.is_error)


def _last_check(watch: Any) -> str:
    """What the last check of ``watch`` found, for a watch without a version to show."""
    if watch.last_status is None:
        return "it was never checked: run `monitor check`"
    if watch.last_status not in ERROR_STATES:
        return f"its last check ({watch.last_check_at}) was {watch.last_status}"
    error = f": {_clean(watch.last_error)}" if watch.last_error else ""
    streak = ""
    if watch.error_streak > 1 and "in a row" not in error:
        streak = f", {plural(watch.error_streak, 'check')} in a row"
    name = shlex.quote(watch.name or str(watch.id))
    return (
        f"its last check ({watch.last_check_at}) was {watch.last_status}{error}{streak} "
        f"(see `monitor log {name}`)"
    )


def _clean(text: str) -> str:
    """Page text as it may be shown on a terminal: no control characters or escapes."""
    from monitor.report import clean

    return clean(text)


def _utc_iso(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time", param_hint="--at") from None
    return iso(moment)


@cli.command()
@click.argument("watch")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DIFF_FORMATS),
    help="Output format (default: terminal colours on a terminal, else text).",
)
@pass_app
def diff(app: App, watch: str, a: int | None, b: int | None, fmt: str | None) -> None:
    """Show what changed: the latest change, version A against the current one, or A against B.

    A and B are version numbers, as listed by `monitor log WATCH`.
    """
    from monitor.history import build_report, compare_versions

    with app.store(existing=True) as store:
        target = store.watches.find(watch)
        if a is None:
            changes = store.changes.of(target)
            if not changes:
                raise UsageError(f"{target.label} has no changes yet (see `monitor log`)")
            report = build_report(store, changes[-1])
        else:
            old = store.versions.by_number(target, a)
            new = (
                store.versions.by_number(target, b)
                if b is not None
                else store.versions.current(target)
            )
            stored = store.changes.between(target.id, old.id, new.id) if new else None
            report = build_report(store, stored) if stored else compare_versions(target, old, new)
    click.echo(_render(report, fmt), nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per watch.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show each watch's last check, status, next check and consecutive errors."""
    from monitor.feeds.pacer import schedule_dicts
    from monitor.models import Confidence
    from monitor.store.read import confidences, watch_dict

    with app.listing_store() as store:
        app.sync(store)
        watches = store.watches.all()
        counts = store.watches.counts()
        paces = schedule_dicts(store, watches, app.config.settings.interval, app.clock())
        sure = confidences(store)
    rows = [
        watch_dict(w, counts.get(w.id, (0, 0)))
        | {"schedule": paces[w.id], "confidence": sure.get(w.id, Confidence()).as_dict()}
        for w in watches
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    columns = (
        Column("watch", 28),
        Column("status", 13),
        Column("last check", 25),
        Column("next check", 25),
        Column("errors", 6, right=True),
        Column("extraction", 10),
        Column("schedule"),
    )
    cells = [
        (
            _clean(row["name"] or row["url"]),
            row["last_status"] or "never",
            row["last_check_at"] or "-",
            row["next_check_at"] or "-",
            str(row["error_streak"]),
            (row["confidence"] or {}).get("level", "-"),
            row["schedule"]["reason"],
        )
        for row in rows
    ]
    click.echo(table(columns, cells))
    _print_uncertain(rows)


def _print_uncertain(rows: list[dict[str, Any]]) -> None:
    """A line for each watch whose text extraction is not sure of: why, and what to do."""
    uncertain = [r for r in rows if (r["confidence"] or {}).get("level") == "low"]
    if uncertain:
        click.echo("")
    for row in uncertain:
        click.echo(
            f"uncertain: {_clean(row['name'] or row['url'])}: {_clean(row['confidence']['reason'])}"
            " (check `monitor show`; a [[site]] rule makes it sure)"
        )


@cli.command()
@click.argument("watches", nargs=-1, required=True)
@pass_app
def relearn(app: App, watches: tuple[str, ...]) -> None:
    """Forget what WATCHES learned of their pages: where the article is, what churns.

    A check replays what a watch learned and analyses the page in full only when it differs;
    after `relearn`, the next check analyses the page in full and fetches it twice, as a
    first check does, to learn afresh (after a site's redesign, say). Nothing is reported.
    """
    with app.store(existing=True) as store:
        targets = [store.watches.find(ref) for ref in watches]
        for target in targets:
            store.watches.forget_learned(target.id)
    for target in targets:
        click.echo(f"forgot what {_clean(target.label)} learned: its next check learns afresh")


@cli.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--watch", "watch_ref", help="Search the versions of this watch only.")
@click.option("--json", "as_json", is_flag=True, help="The hits as the web API gives them.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@pass_app
def search(
    app: App, words: tuple[str, ...], watch_ref: str | None, as_json: bool, limit: int
) -> None:
    """Find the stored versions whose title or text contain every one of WORDS.

    The same search as the web UI: newest first, through the full-text index, which finds
    any run of three or more characters (Japanese words without spaces too). A query of
    one- and two-character words only looks through the latest versions, and says so.
    Each hit shows its watch, version, time and a snippet with the words marked.
    """
    from monitor.store.search import clean_query, scan_note
    from monitor.store.search import search as find

    query = clean_query(" ".join(words)).strip()
    if not query:
        raise click.UsageError("give words to search for")
    with app.store(existing=True) as store:
        watch_id = store.watches.find(watch_ref).id if watch_ref else None
        found = find(store, query, limit=limit, watch_id=watch_id)
    note = scan_note(found)
    if as_json:
        data = {"query": query, "scanned": found.scanned, "note": note}
        data |= {"hits": [hit.as_dict() for hit in found.hits], "limit": limit}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if note:
        click.echo(f"note: {note}", err=True)
    if not found.hits:
        click.echo("nothing found")
    for hit in found.hits:
        name = _clean(hit.watch_name or hit.watch_url)
        click.echo(click.style(name, bold=True) + f"  version {hit.version}  {hit.created_at}")
        click.echo(f"  {_marked(hit.segments)}")


def _marked(segments: tuple[tuple[str, bool], ...]) -> str:
    """A snippet with its matches in bold on a terminal, else between ** and **."""
    color = sys.stdout.isatty()
    out = []
    for text, matched in segments:
        text = _clean(text)
        if matched:
            text = click.style(text, bold=True, underline=True) if color else f"**{text}**"
        out.append(text)
    return "".join(out)
