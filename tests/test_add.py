"""`monitor add`: the page is fetched now, what will be watched is shown, and that fetch is
the watch's first check; a page that cannot be read is not added (unless --force)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner, Result
from server import LocalServer

from monitor import samplesite
from monitor.cli import cli
from monitor.store import Store


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def watches(workdir: Path) -> list[tuple[int, str]]:
    with Store(workdir / "snapshots" / "monitor.db") as store:
        return [(w.id, w.url) for w in store.watches.all(active_only=False)]


def test_add_shows_what_it_will_watch_and_keeps_it_as_version_1(
    workdir: Path, http_server: LocalServer
) -> None:
    article = samplesite.load_article("ja")
    http_server.set("/2026/11/article/", samplesite.render_page(article))
    url = http_server.url("/2026/11/article/")
    added = run("add", url, "--name", "ja")
    assert added.exit_code == 0
    lines = added.output.splitlines()
    assert lines[0] == f"added watch 1: ja ({url})"
    text = samplesite.article_text(article)
    body = text.split("\n", 1)[1].splitlines()
    chars = len("\n".join(body))  # the text, as `monitor log` counts it (not the title)
    assert lines[1].startswith(f"version 1: {chars} characters in {len(body)} lines")
    assert ", chosen by jannah (" in lines[1] and "article#the-post .entry-content" in lines[1]
    assert lines[2] == f"  title: {article.title}"
    assert lines[3] == "  extraction confidence: high, the 'jannah' rule pack's selectors chose it"
    assert lines[4] == f"  | {body[0][:75]}" + ("…" if len(body[0]) > 76 else "")
    assert lines[-1] == f"  | … {len(body) - 3} more lines"
    log = json.loads(run("log", "ja", "--json").output)
    assert [v["version"] for v in log["versions"]] == [1]
    assert [c["status"] for c in log["checks"]] == ["new"]  # add's fetch was the first check
    assert len(http_server.requests) == 2  # the page, and again: what churns on it
    assert run("show", "ja").output.rstrip("\n") == text


def test_a_page_that_cannot_be_read_is_not_added(workdir: Path, http_server: LocalServer) -> None:
    http_server.set("/nope/", "<h1>Not Found</h1>", status=404)
    missing = CliRunner().invoke(cli, ["add", http_server.url("/nope/")])
    assert missing.exit_code == 1
    assert missing.output == (
        f"Error: not added: {http_server.url('/nope/')}: http_error: HTTP 404 Not Found "
        "(--force adds it anyway)\n"
    )
    login = (
        "<html><head><title>Log in</title></head><body><form><p>Please log in to "
        'continue reading.</p><input type="password"></form></body></html>'
    )
    http_server.set("/wall/", login)
    wall = CliRunner().invoke(cli, ["add", http_server.url("/wall/")])
    assert wall.exit_code == 1 and "soft_error" in wall.output
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        refused_url = f"http://127.0.0.1:{unused.getsockname()[1]}/a/"
    refused = CliRunner().invoke(cli, ["add", refused_url])
    assert refused.exit_code == 1 and "network_error" in refused.output
    assert len(refused.output.splitlines()) == 1
    assert not (workdir / "snapshots" / "monitor.db").exists() or watches(workdir) == []
    forced = run("add", http_server.url("/nope/"), "--force")
    assert forced.exit_code == 0
    assert "first check: http_error: HTTP 404 Not Found; the daemon keeps trying" in forced.output
    assert watches(workdir) == [(1, http_server.url("/nope/"))]


def test_the_same_article_under_tracking_parameters_is_the_watch_that_exists(
    workdir: Path, http_server: LocalServer
) -> None:
    http_server.set("/a/", samplesite.render_page(samplesite.load_article("en")))
    url = http_server.url("/a/")
    assert run("add", f"{url}?utm_source=x#top", "--name", "a").exit_code == 0
    assert watches(workdir) == [(1, url)]  # stored without tracking and fragment
    for again in (url, f"{url}?utm_campaign=y&fbclid=z", f"{url}#comments"):
        result = CliRunner().invoke(cli, ["add", again])
        assert result.exit_code == 1
        assert f"is already watched as watch 1 (a): {url}" in result.output
    assert watches(workdir) == [(1, url)]
    assert len(http_server.requests) == 2  # the add's two fetches; the others refused first
    http_server.set("/b/", samplesite.render_page(samplesite.load_article("ja")))
    taken = CliRunner().invoke(cli, ["add", http_server.url("/b/"), "--name", "a"])
    assert taken.exit_code == 1
    assert f"the name 'a' is taken by watch 1 ({url}): give another --name" in taken.output
    assert run("add", f"{url}?p=2", "--name", "page 2").exit_code == 0  # another page


def test_add_says_when_it_is_not_sure_of_the_text(workdir: Path, http_server: LocalServer) -> None:
    http_server.set(
        "/thin/",
        "<html><head><title>Thin</title></head><body><div><p>Opening hours of the town hall "
        "change in winter: the offices close an hour earlier on weekdays.</p></div></body></html>",
    )
    added = run("add", http_server.url("/thin/"))
    assert added.exit_code == 0
    (line,) = [x for x in added.output.splitlines() if "confidence" in x]
    assert line.startswith("  extraction confidence: low, only ")
    assert line.endswith("(uncertain: check the text, or write a [[site]] rule)")
