"""Pages and their text: monitor add, extract and reextract."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli import App, cli, pass_app
from monitor.config import parse_http_url, parse_interval
from monitor.errors import UsageError


@cli.command()
@click.argument("url")
@click.option("--name", help="A short name to refer to the watch by.")
@click.option("--interval", help='How often the daemon checks it, e.g. "30m", "6h".')
@pass_app
def add(app: App, url: str, name: str | None, interval: str | None) -> None:
    """Watch URL (stored in the database; config.toml [[watch]] entries work too)."""
    try:
        url = parse_http_url(url)
        seconds = parse_interval(interval) if interval else None
    except ValueError as exc:
        raise click.BadParameter(f"expected {exc}") from None
    with app.store() as store:
        app.sync(store)
        watch = store.add_watch(url, name=name, interval=seconds)
    click.echo(f"added watch {watch.id}: {watch.label} ({watch.url})")


@cli.command()
@click.argument("source", required=False, default="-")
@click.option("--url", help="The page's URL, for site rules and links (when SOURCE is a file).")
@click.option(
    "--json", "as_json", is_flag=True, help="Title, text, metadata and extractor as JSON."
)
@click.option("--no-title", is_flag=True, help="Print the body only, without the title line.")
@click.option(
    "--explain",
    is_flag=True,
    help="First say which rule or method chose the content and what was removed.",
)
@pass_app
def extract(
    app: App, source: str, url: str | None, as_json: bool, no_title: bool, explain: bool
) -> None:
    """Print the article text of a page: SOURCE is a file, a URL, or - for stdin.

    --explain shows how the text was found (site rule, rule pack or generic extraction, the
    content selector or container, the title's source) and what was removed, with samples:
    what you need to write a [[site]] rule.
    """
    from monitor.extract import explain_article, extract_article
    from monitor.fetch import decode_html
    from monitor.report import clean

    if source.startswith(("http://", "https://")):
        html, url = _fetch_one(app, source), url or source
    else:
        html, _ = decode_html(_read_source(source), None)
    rules = app.config.rules_for(url or "", None)
    article = extract_article(html, url, rules)
    how = explain_article(html, url, rules) if explain else None
    if as_json:
        data = {
            "title": article.title,
            "text": article.text,
            "extractor": article.extractor,
            "metadata": article.metadata.as_dict(),
        }
        if how is not None:
            data["explain"] = dataclasses.asdict(how)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if how is not None:
        click.echo(clean(how.describe()) + "\n")
    click.echo(clean(article.text if no_title else article.document))


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None


def _fetch_one(app: App, url: str) -> str:
    from monitor.fetch import Fetcher
    from monitor.models import FetchOutcome

    async def run() -> Any:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            return await fetcher.fetch(url)

    result = asyncio.run(run())
    if result.outcome is not FetchOutcome.OK:
        raise UsageError(f"cannot fetch {url}: {result.error}")
    text: str = result.text
    return text


@cli.command()
@click.argument("watches", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Only say which watches would change.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line and watch.")
@pass_app
def reextract(app: App, watches: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Re-run today's extractor over the stored page of each watch's current version.

    A text that comes out different is stored as a new version marked as a re-extraction:
    the new baseline for the next check, not an article change (nothing is reported or
    notified). Run it after upgrading monitor or changing site rules. With no WATCH, all
    active watches.
    """
    from monitor.pipeline import reextract_watch

    with app.store(existing=True) as store:
        app.sync(store)
        selected = [store.find_watch(ref) for ref in watches] if watches else store.watches()
        results = [reextract_watch(store, app.config, w, dry_run=dry_run) for w in selected]
    for result in results:
        if as_json:
            data = {
                "watch": result.watch.label,
                "old_version": result.old_version,
                "new_version": result.new_version,
                "changed": result.changed,
                "note": result.note,
            }
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            what = f"v{result.old_version} → v{result.new_version}" if result.new_version else ""
            click.echo(
                f"{'changed' if result.changed else 'same':<8} {result.watch.label}  "
                f"{what or result.note}".rstrip()
            )
    if not as_json:
        changed = sum(r.changed for r in results)
        verb = "would get" if dry_run else "got"
        click.echo(f"{changed} of {len(results)} watches {verb} a new extraction baseline")
