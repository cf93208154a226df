"""Pages that need a browser: an app shell is recognised (and an article page never is), and
`monitor add` and `monitor extract --explain` say so with the config lines to add; with them,
`monitor add` renders the page in a real browser and adds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import require_chromium
from click.testing import CliRunner, Result
from jssite import PARAGRAPHS, SHELL, JsSite
from server import LocalServer

from monitor import samplesite
from monitor.cli import cli
from monitor.extract.shell import browser_hint, config_lines

NEXT = (
    '<html><head><title>News</title></head><body><div id="__next"></div>'
    '<script id="__NEXT_DATA__" type="application/json">{"props":{}}</script>'
    '<script src="/_next/static/chunks/main-1a2b.js" defer></script></body></html>'
)
ANGULAR = '<html><body><app-root></app-root><script src="main.js" type="module"></script></body>'
HYBRID = (
    "<html><body><nav>" + "<a href='/x'>Section</a> " * 60 + "</nav><div id='app'></div>"
    "<footer>© The Daily Example</footer><script src='/bundle.js'></script></body></html>"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("html", [SHELL, NEXT, ANGULAR])
def test_app_shells_are_recognised(html: str) -> None:
    hint = browser_hint(html)
    assert hint is not None and hint.startswith("an app shell: ")
    assert "a script bundle (" in hint


def test_a_shell_with_server_rendered_navigation_is_one_when_no_article_is_found() -> None:
    assert browser_hint(HYBRID) is None  # over 300 characters of text: maybe an article
    hint = browser_hint(HYBRID, article_text="")
    assert hint is not None and 'an empty <div id="app">' in hint


@pytest.mark.parametrize("name", ["ja", "en"])
def test_article_pages_never_need_a_browser(name: str) -> None:
    page = samplesite.render_page(samplesite.load_article(name))
    assert "<script" in page
    assert browser_hint(page) is None
    assert browser_hint(page, article_text="") is None  # whatever the extractor made of it


def test_scripts_that_are_data_are_no_bundle() -> None:
    page = '<html><body><div id="root"></div><script type="application/ld+json">{}</script>'
    assert browser_hint(page) is None


def test_add_and_explain_print_the_config_lines(workdir: Path, http_server: LocalServer) -> None:
    site = JsSite(http_server)
    added = CliRunner().invoke(cli, ["add", site.url])
    assert added.exit_code == 1
    lines = config_lines(site.url)
    assert lines == f'[[site]]\nmatch = "{http_server.url("/*")}"\nrender = "browser"'
    assert "looks like it needs a browser (an app shell: " in added.output
    assert lines in added.output and f"monitor add {site.url}` again" in added.output
    assert json.loads(run("list", "--json").output) == []  # nothing was added
    explained = run("extract", site.url, "--explain")
    assert "note:     this page looks like it needs a browser (an app shell: " in explained.output
    assert 'render = "browser"' in explained.output
    assert "fetched:  fetched with a plain GET" in explained.output
    data = json.loads(run("extract", site.url, "--explain", "--json").output)
    assert data["explain"]["needs_browser"].startswith("an app shell: ")
    forced = run("add", site.url, "--force")
    assert forced.exit_code == 0 and forced.output.startswith("added watch 1")


def test_with_the_lines_added_add_renders_the_page(workdir: Path, http_server: LocalServer) -> None:
    require_chromium()
    site = JsSite(http_server)
    config = workdir / "config.toml"
    config.write_text(config.read_text() + "\n" + config_lines(site.url) + "\n", encoding="utf-8")
    added = run("add", site.url, "--name", "council")
    assert added.exit_code == 0, added.output
    assert added.output.startswith(f"added watch 1: council ({site.url})")
    assert f"| {PARAGRAPHS[0][:60]}" in added.output
    explained = run("extract", site.url, "--explain")
    assert "fetched:  fetched with a browser" in explained.output
    assert "needs a browser" not in explained.output
    assert PARAGRAPHS[2] in explained.output
