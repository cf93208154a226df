"""What the database holds: monitor list, log, show, diff and status."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from monitor.cli import App, _render, cli, fit, pass_app, plural
from monitor.errors import UsageError

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
        watches = store.watches(active_only=not show_all)
        counts = store.counts()
    rows = [watch_dict(w, counts.get(w.id, (0, 0))) for w in watches]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no watches yet: `monitor add URL` or add [[watch]] to config.toml", err=True)
    for row in rows:
        inactive = "" if row["active"] else f"  ({_inactive_reason(row)})"
        counts_text = f"{plural(row['versions'], 'version')}, {plural(row['changes'], 'change')}"
        click.echo(
            f"{row['id']:>4}  {fit(row['name'] or '-', 30)} "
            f"{row['last_status'] or 'never checked':<13} {counts_text:<24} "
            f"{row['url']}{inactive}"
        )


def _inactive_reason(row: dict[str, Any]) -> str:
    """Why a watch is checked no more, as `monitor list --all` says it."""
    if row["duplicate_of"]:
        return f"inactive: the same article as watch {row['duplicate_of']}"
    if row["retired_at"]:
        return "retired: past its feed's schedule"
    if row["source"] == "feed":
        return "inactive: its feed is no longer followed"
    if row["source"] == "cli":
        return "inactive: its site's feed is followed instead"
    return "inactive: no longer in the config"


# -- log / show / diff ----------------------------------------------------------------------


@cli.command("log")
@click.argument("watch")
@click.option("--json", "as_json", is_flag=True, help="Versions, changes and checks as JSON.")
@click.option("--limit", default=20, show_default=True, help="How many recent checks to show.")
@pass_app
def log_(app: App, watch: str, as_json: bool, limit: int) -> None:
    """Show the versions, changes and recent checks of one watch."""
    from monitor.feeds.discover import schedule_dicts
    from monitor.store.feeds import FeedStore
    from monitor.store.read import change_dict, list_versions, version_dict, watch_dict

    with app.store(existing=True) as store:
        target = store.find_watch(watch)
        # metadata only: neither the texts nor the stored pages are read
        versions = list_versions(store, target.id, limit=-1, newest_first=False)
        changes = store.changes(target)
        checks = store.checks(target, limit)
        pace = schedule_dicts(store, [target], app.config.settings.interval)[target.id]
        feed_changes = FeedStore(store).entry_changes(target.id)
    if as_json:
        data = {
            "watch": watch_dict(target, (len(versions), len(changes))),
            "schedule": pace,
            "versions": [version_dict(v.snapshot, v.chars) for v in versions],
            "changes": [change_dict(c) for c in changes],
            "feed_changes": feed_changes,
            "checks": checks,
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_log(target, versions, changes, checks)
    _print_feed_side(target, pace, feed_changes)


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
        target = store.find_watch(watch)
        if version is not None:
            snapshot = store.snapshot_by_version(target, version)
        elif at is not None:
            snapshot = store.snapshot_at(target, _utc_iso(at))
        else:
            snapshot = store.current_snapshot(target)
            if snapshot is None:
                raise UsageError(f"{target.label} has no version yet: run `monitor check`")
    if as_json:
        data = version_dict(snapshot) | {"text": snapshot.text}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(_clean(snapshot.document))


def _clean(text: str) -> str:
    """Page text as it may be shown on a terminal: no control characters or escapes."""
    from monitor.report import clean

    return clean(text)


def _utc_iso(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time", param_hint="--at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


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
    from monitor.pipeline import build_report, compare_versions

    with app.store(existing=True) as store:
        target = store.find_watch(watch)
        if a is None:
            changes = store.changes(target)
            if not changes:
                raise UsageError(f"{target.label} has no changes yet (see `monitor log`)")
            report = build_report(store, changes[-1])
        else:
            old = store.snapshot_by_version(target, a)
            new = (
                store.snapshot_by_version(target, b)
                if b is not None
                else store.current_snapshot(target)
            )
            report = compare_versions(target, old, new)
    click.echo(_render(report, fmt), nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per watch.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show each watch's last check, status, next check and consecutive errors."""
    from monitor.feeds.discover import schedule_dicts
    from monitor.models import Confidence
    from monitor.store.read import confidences, watch_dict

    with app.listing_store() as store:
        app.sync(store)
        watches = store.watches()
        counts = store.counts()
        paces = schedule_dicts(store, watches, app.config.settings.interval)
        sure = confidences(store)
    rows = [
        watch_dict(w, counts.get(w.id, (0, 0)))
        | {"schedule": paces[w.id], "confidence": sure.get(w.id, Confidence()).as_dict()}
        for w in watches
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{'watch':<24} {'status':<13} {'last check':<26} {'next check':<26} errors  "
        "extraction  schedule"
    )
    for row in rows:
        name = fit(row["name"] or row["url"], 24)
        level = (row["confidence"] or {}).get("level", "-")
        click.echo(
            f"{name} {row['last_status'] or '-':<13} {row['last_check_at'] or '-':<26} "
            f"{row['next_check_at'] or '-':<26} {row['error_streak']:>6}  {level:<10}  "
            f"{row['schedule']['reason']}"
        )
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
