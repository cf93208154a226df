"""Pages and their text: monitor add, extract and reextract."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.cli import App, Column, cli, fit, pass_app, plural, table
from monitor.config import parse_http_url, parse_interval, parse_watch_name
from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.add import AddOutcome, AddRequest


@cli.command()
@click.argument("url")
@click.option("--name", help="A short name to refer to the watch (or feed) by.")
@click.option("--interval", help='How often the daemon checks it (polls the feed), e.g. "30m".')
@click.option(
    "--force",
    is_flag=True,
    help="Add the page even if it cannot be read now (a site down for a moment, a login "
    "wall): the daemon keeps checking it.",
)
@click.option(
    "--follow-feed",
    is_flag=True,
    help="Follow URL's feed instead: URL itself if it is a feed or sitemap, else the feed "
    "its page announces (<link rel=alternate>). Every new article becomes a watch, checked "
    "on a schedule that slows as it ages.",
)
@click.option(
    "--any-host",
    is_flag=True,
    help="With --follow-feed: also watch the feed's articles on other sites than its own "
    "(feeds.feedburner.com, hnrss.org...); again on a feed already followed, turns it on.",
)
@pass_app
def add(
    app: App,
    url: str,
    name: str | None,
    interval: str | None,
    force: bool,
    follow_feed: bool,
    any_host: bool,
) -> None:
    """Watch URL: fetch it now and show what will be watched.

    The page is fetched and read as a check would (same fetcher, timeouts and rules). If it
    shows an article, it is added with that check as its first version, and its title,
    first lines, length and the rule that chose the text are printed. A page that cannot be
    read (network error, HTTP error, an error or login page) is not added, with exit status
    1, unless --force. The same article under tracking parameters (?utm_source=...) or a
    #fragment is the watch that exists. A feed, or a home page that holds no article text
    but announces a feed, is not added: the feed is shown instead. With --follow-feed,
    follows the feed instead of watching the page (config.toml [[feed]] entries work too).
    The watch is stored in the database; config.toml [[watch]] entries work too.
    """
    url, seconds = _add_options(url, interval, any_host and not follow_feed)
    if name is not None and not follow_feed:
        name = _watch_name(name)
    if follow_feed:
        if force:
            raise click.UsageError("--force goes with watching a page, not --follow-feed")
        feed = _probe_feed(app, url)
        _follow(app, feed, (name, seconds, any_host), page=url)
        return
    from monitor.add import AddRequest

    outcome = _add(app, AddRequest(url, name, seconds, force))
    if not outcome.added:
        raise UsageError(_not_added(outcome))
    _print_added(outcome)


def _add(app: App, request: AddRequest) -> AddOutcome:
    from monitor.add import add_page
    from monitor.fetch import Fetcher
    from monitor.wiring import build_checker

    async def run(store: Any) -> AddOutcome:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            checker = build_checker(store, fetcher, app.config, notify=False, clock=app.clock)
            return await add_page(checker, request)

    with app.store() as store:
        app.sync(store)
        return asyncio.run(run(store))


def _not_added(outcome: AddOutcome) -> str:
    """Why nothing was added, with what to do instead."""
    from monitor.extract.shell import config_lines

    url = outcome.url
    if outcome.browser_hint:
        return (
            f"not added: {url} looks like it needs a browser ({outcome.browser_hint}).\n"
            f"To render it in a real browser, add to config.toml:\n\n{config_lines(url)}\n\n"
            f"then run `monitor add {url}` again (Playwright: pip install 'monitor[browser]'; "
            "--force adds the page as it is)"
        )
    if outcome.is_feed:
        return (
            f"{url} is a feed, not an article: to watch every article it lists, "
            f"monitor add {url} --follow-feed"
        )
    if outcome.feeds and outcome.reason == "holds no article text to watch":
        return (
            f"{url} holds no article text to watch; it announces {_feeds_list(outcome.feeds)}"
            f"\nto watch every new article of the site: monitor add {url} --follow-feed"
        )
    return f"not added: {url}: {outcome.reason} (--force adds it anyway)"


def _print_added(outcome: AddOutcome) -> None:
    from monitor.add import is_home
    from monitor.report import clean

    watch, check, preview = outcome.watch, outcome.check, outcome.preview
    assert watch is not None and check is not None
    shown = f"{watch.name} ({watch.url})" if watch.name else watch.url
    click.echo(f"added watch {watch.id}: {clean(shown)}")
    if preview is None:
        error = f": {check.error}" if check.error else ""
        click.echo(f"first check: {check.status.value}{error}; the daemon keeps trying")
    else:
        found = ", ".join(preview.content) or "(nothing found)"
        click.echo(
            f"version {check.version}: {plural(preview.chars, 'character')} in "
            f"{plural(preview.line_count, 'line')}, chosen by {preview.method} ({clean(found)})"
        )
        click.echo(f"  title: {clean(preview.title) or '(none)'}")
        click.echo(f"  {clean(preview.confidence.summary())}")
        for line in preview.lines:
            click.echo(f"  | {clean(fit(line, 76).rstrip())}")
        if preview.line_count > len(preview.lines):
            click.echo(f"  | … {plural(preview.line_count - len(preview.lines), 'more line')}")
    if outcome.feeds and is_home(watch.url):
        click.echo(
            f"this page announces a feed: {outcome.feeds[0]}\n"
            f"to watch every new article of the site: monitor add {watch.url} --follow-feed"
        )


def _add_options(url: str, interval: str | None, stray_any_host: bool) -> tuple[str, float | None]:
    """`monitor add`'s URL and interval, checked."""
    if stray_any_host:
        raise click.UsageError("--any-host goes with --follow-feed")
    try:
        return parse_http_url(url), parse_interval(interval) if interval else None
    except ValueError as exc:
        raise click.BadParameter(f"expected {exc}") from None


def _watch_name(name: str) -> str:
    try:
        return parse_watch_name(name)
    except ValueError as exc:
        raise click.BadParameter(f"expected {exc}", param_hint="--name") from None


def _feeds_list(feeds: tuple[str, ...]) -> str:
    if len(feeds) == 1:
        return f"a feed: {feeds[0]}"
    return "feeds:\n" + "\n".join(f"  {feed}" for feed in feeds)


def _probe_feed(app: App, url: str) -> str:
    """The feed to follow for ``url``: itself if it is a feed or sitemap, else the first
    one its page announces (a UsageError if it cannot be fetched or announces none)."""
    from monitor.errors import FeedError
    from monitor.feeds.parse import feed_links, parse_document

    result = _fetch(app, url)
    if result.outcome.value != "ok":
        raise UsageError(f"cannot fetch {url}: {result.error}")
    try:
        parse_document(result.content, url)
        return url
    except FeedError:
        links = feed_links(result.text, result.final_url or url)
    if not links:
        raise UsageError(
            f"{url} is no feed or sitemap and announces none (<link rel=alternate "
            'type="application/rss+xml">): give the feed\'s URL'
        )
    return links[0]


def _fetch(app: App, url: str) -> Any:
    from monitor.fetch import Fetcher

    async def run() -> Any:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            return await fetcher.fetch(url, options=app.config.request_for(url).over_http())

    return asyncio.run(run())


def _follow(
    app: App, feed_url: str, options: tuple[str | None, float | None, bool], page: str
) -> None:
    from monitor.pace import format_duration

    name, interval, any_host = options
    with app.store() as store:
        app.sync(store)
        feed = store.feeds.add_feed(feed_url, name=name, interval=interval, any_host=any_host)
        dropped = store.watches.drop_unread_page(page)
    anywhere = ", articles on any site" if feed.any_host else ""
    click.echo(
        f"following feed {feed.id}: {feed.label} (polled every "
        f"{format_duration(feed.interval)}{anywhere})"
        "\nnew articles become watches: `monitor check --feeds` polls it now, `monitor run` "
        "keeps following it"
    )
    if dropped is not None:
        click.echo(f"watch {dropped} ({page}) had no version yet: no longer checked")


@cli.command()
@click.argument("watches", nargs=-1, required=True)
@click.option(
    "--purge",
    is_flag=True,
    help="Delete the watches and everything stored of them: versions, checks, changes.",
)
@pass_app
def remove(app: App, watches: tuple[str, ...], purge: bool) -> None:
    """Stop watching WATCHES (added with `monitor add`, or found through a feed).

    Their versions, checks and changes are kept (`monitor list --all` shows them, `log`
    and `diff` read them), and `monitor add` of the URL watches it again with its history.
    With --purge, a watch and everything stored of it are deleted instead. A watch of
    config.toml is removed by deleting its [[watch]] entry there.
    """
    with app.store(existing=True) as store:
        targets = [store.watches.find(ref) for ref in watches]
        for target in targets:
            if target.source == "config":
                raise UsageError(
                    f"{target.label} is a [[watch]] of the config: delete its entry there "
                    "(a watch no longer in config.toml is checked no more, its history kept)"
                )
        for target in targets:
            if purge:
                gone = store.watches.purge(target)
                click.echo(
                    f"deleted watch {target.id} ({_clean_label(target)}) with "
                    f"{plural(gone.get('snapshots', 0), 'version')}, "
                    f"{plural(gone.get('checks', 0), 'check')} and "
                    f"{plural(gone.get('changes', 0), 'change')}"
                )
            else:
                store.watches.remove(target)
                click.echo(
                    f"removed watch {target.id} ({_clean_label(target)}): checked no more; its "
                    "history is kept (`monitor add URL` watches it again, --purge deletes it)"
                )


def _clean_label(watch: Any) -> str:
    from monitor.report import clean

    return clean(watch.label)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per feed.")
@click.option("--all", "show_all", is_flag=True, help="Include feeds no longer followed.")
@pass_app
def feeds(app: App, as_json: bool, show_all: bool) -> None:
    """List followed feeds: last poll, status, articles found and still active (checked)."""
    from monitor.store.read import feed_dict

    with app.listing_store() as store:
        app.sync(store)
        listed = store.feeds.all(active_only=not show_all)
        counts = store.feeds.entry_counts()
    rows = [feed_dict(f, counts.get(f.id, (0, 0))) for f in listed]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no feeds: [[feed]] in config.toml or `monitor add URL --follow-feed`")
        return
    columns = (
        Column("id", 4, right=True),
        Column("name", 20),
        Column("status", 12),
        Column("articles", 8, right=True),
        Column("active", 6, right=True),
        Column("last poll", 25),
        Column("url"),
    )
    click.echo(table(columns, [_feed_cells(row) for row in rows]))


def _feed_cells(row: dict[str, Any]) -> tuple[str, ...]:
    from monitor.report import clean

    error = f"  {row['last_error']}" if row["last_error"] else ""
    if row["last_warning"] and row["last_status"] != "error":
        error = f"  warning: {row['last_warning']}"
    return (
        str(row["id"]),
        clean(row["name"] or "-"),
        row["last_status"] or "never",
        str(row["articles"]),
        str(row["articles_active"]),
        row["last_polled_at"] or "-",
        clean(row["url"] + error),
    )


@cli.command()
@click.argument("source", required=False)
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
@click.option(
    "--watch",
    "watch_ref",
    help="Read the page as this watch does: its rules, the churn it learned (dropped from "
    "the text) and, with --explain, what it learned and whether this page replays it. "
    "SOURCE defaults to the watch's URL.",
)
@pass_app
def extract(
    app: App,
    source: str | None,
    url: str | None,
    as_json: bool,
    no_title: bool,
    explain: bool,
    watch_ref: str | None,
) -> None:
    """Print the article text of a page: SOURCE is a file, a URL, or - for stdin.

    --explain shows how the text was found (site rule, rule pack, site plugin or generic
    extraction, the content selector or container, the title's source) and what was removed,
    with samples: what you need to write a [[site]] rule. A URL is fetched as a check would
    (the config's headers, cookies, proxy and render = "browser"); --explain says how, and
    says when the page looks like it needs a browser, with the lines to add to config.toml.
    With --watch, as that watch reads the page.
    """
    from monitor.extract import explain_article, extract_article
    from monitor.fetch import decode_html
    from monitor.report import clean

    watch = _watch_of(app, watch_ref) if watch_ref else None
    source = source or (watch.url if watch is not None else "-")
    options = None
    if source.startswith(("http://", "https://")):
        options = app.config.request_for(source)
        html, url = _fetch_one(app, source, options), url or source
    else:
        html, _ = decode_html(_read_source(source), None)
    if watch is not None:
        url = url or watch.url
    rules = app.config.rules_for(url or "", watch.rules if watch else None)
    how = explain_article(html, url, rules) if explain else None
    article = how.article if how is not None else extract_article(html, url, rules)
    hint = _hint(html, article.text, options) if explain else None
    learned_lines: list[str] = []
    if watch is not None:
        article, learned_lines = _as_watched(article, html, watch, rules)
    if as_json:
        click.echo(
            json.dumps(_extract_json(article, how, options, hint), ensure_ascii=False, indent=2)
        )
        return
    if how is not None:
        described = [how.describe(), *(f"learned:  {line}" for line in learned_lines)]
        if options is not None:
            described.append(f"fetched:  {options.describe()}")
        if hint is not None:
            described.append(_browser_note(hint, url))
        click.echo(clean("\n".join(described)) + "\n")
    if not article.text:
        click.echo("note: no article text found on this page", err=True)
    click.echo(clean(article.text if no_title else article.document))


def _extract_json(article: Any, how: Any, options: Any, hint: str | None) -> dict[str, Any]:
    """`extract --json`'s object (with --explain: how, how the page was fetched, whether
    it needs a browser)."""
    data: dict[str, Any] = {
        "title": article.title,
        "text": article.text,
        "extractor": article.extractor,
        "metadata": article.metadata.as_dict(),
        "confidence": article.confidence.as_dict(),
    }
    if how is not None:
        data["explain"] = {
            **how.as_dict(),
            "request": options.describe() if options is not None else None,
            "needs_browser": hint,
        }
    return data


def _hint(html: str, text: str, options: Any) -> str | None:
    """Why the page looks like it needs a browser (None once a browser rendered it)."""
    from monitor.extract.shell import browser_hint

    if options is not None and options.uses_browser:
        return None
    return browser_hint(html, text)


def _browser_note(hint: str, url: str | None) -> str:
    from monitor.extract.shell import config_lines

    lines = config_lines(url) if url else 'render = "browser"   # in the page\'s [[site]]'
    indented = "\n".join(f"          {line}" for line in lines.splitlines())
    return (
        f"note:     this page looks like it needs a browser ({hint}); to render it in one, "
        f"add to config.toml:\n{indented}"
    )


def _watch_of(app: App, ref: str) -> Any:
    with app.store(existing=True) as store:
        return store.watches.find(ref)


def _as_watched(article: Any, html: str, watch: Any, rules: Any) -> tuple[Any, list[str]]:
    """The article as ``watch`` compares it (less the churn it learned), and what it
    learned, in words, with whether this page replays it."""
    from monitor.analyse import replay_page, without_churn
    from monitor.learn import learned_for

    learned = learned_for(watch.learned, rules)
    if learned is None:
        return article, ["nothing yet: its next check analyses the page in full"]
    title, text = without_churn(article.title, article.text, learned.article)
    found = replay_page(html, learned.learning, learned.churn, rules)
    verdict = (
        "this page replays it: a check finds it unchanged without a full analysis"
        if found == learned.fingerprint
        else "this page differs from what was learned: a check analyses it in full"
    )
    return dataclasses.replace(article, title=title, text=text), [*learned.describe(), verdict]


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None


def _fetch_one(app: App, url: str, options: Any) -> str:
    """The page at ``url``, fetched as a check would (headers, cookies, proxy, a browser)."""
    from monitor.fetch import Fetcher
    from monitor.models import FetchOutcome

    async def run() -> Any:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            return await fetcher.fetch(url, options=options)

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
    from monitor.reextract import reextract_watch

    with app.store(existing=True) as store:
        app.sync(store)
        selected = [store.watches.find(ref) for ref in watches] if watches else store.watches.all()
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
