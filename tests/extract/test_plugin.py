"""Site plugins: a few lines of Python beside config.toml extract a page that no selector can
(the article in a JSON blob), through the same rules and checks as any page; a plugin that
raises, or finds nothing, is a failed check that leaves the baseline as it was."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from harness import Harness
from server import LocalServer, Response

from monitor.config import Rules, load_config
from monitor.errors import ExtractError
from monitor.extract import explain_article, extract_article
from monitor.models import CheckStatus
from monitor.store import Store

PLUGIN = '''
import json


def article(soup, url):
    """The story is a JSON blob; the page shows only its first line."""
    blob = soup.find("script", id="story")
    story = json.loads(blob.string)
    return "\\n".join(story["paragraphs"])


def elements(soup, url):
    return soup.select("div.story-part")


def nothing(soup, url):
    return None
'''
PARAGRAPHS = [
    "The harbour authority said on Monday that the new pier would open in the spring.",
    "Ferries to the islands will leave from the new pier from April, the authority said.",
    "Advertisement",
    "The old pier, built in 1923, will be turned into a public garden by the city.",
]


def page(paragraphs: list[str] | None) -> str:
    blob = (
        f'<script type="application/json" id="story">{json.dumps({"paragraphs": paragraphs})}'
        "</script>"
        if paragraphs is not None
        else ""
    )
    return (
        "<html><head><title>New pier to open in spring | Harbour News</title>"
        '<meta property="og:site_name" content="Harbour News"></head><body>'
        f"<header><a href='/'>Harbour News</a></header><div id='app'><p>{PARAGRAPHS[0]}</p>"
        f"</div>{blob}<footer>© Harbour News</footer></body></html>"
    )


def plugin_config(tmp_path: Path, server: LocalServer, function: str = "article") -> Path:
    module = f"harbour_{uuid.uuid4().hex[:8]}"  # a module of its own for each test
    (tmp_path / f"{module}.py").write_text(PLUGIN, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "m.db"\nretries = 0\n\n[[site]]\nmatch = "{server.url("/*")}"\n'
        f'plugin = "{module}:{function}"\nignore = ["^Advertisement$"]\n',
        encoding="utf-8",
    )
    return config


def test_a_plugin_extracts_what_no_selector_can_and_a_failing_one_keeps_the_baseline(
    tmp_path: Path, http_server: LocalServer
) -> None:
    config = load_config(plugin_config(tmp_path, http_server))
    paragraphs = list(PARAGRAPHS)
    http_server.route("/pier", lambda request: _answer(page(paragraphs)))
    with Store(config.settings.database) as store:
        harness = Harness(store, config)
        watch = store.watches.add(http_server.url("/pier"))
        first = harness.check(watch)
        assert first.status is CheckStatus.NEW, first.error
        baseline = store.versions.current(store.watches.get(watch.id))
        assert baseline is not None and baseline.extractor == "plugin"
        assert baseline.title == "New pier to open in spring"
        assert baseline.text.splitlines() == [PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[3]]
        blob = paragraphs
        paragraphs = None  # type: ignore[assignment]  # the blob is gone: the plugin raises
        failed = harness.check(watch)
        assert failed.status is CheckStatus.SOFT_ERROR
        assert failed.error is not None and ":article raised AttributeError" in failed.error
        after = store.watches.get(watch.id)
        assert after.current_snapshot_id == baseline.id
        paragraphs = [*blob[:3], blob[3].replace("1923", "1932")]
        changed = harness.check(watch)
        assert changed.status is CheckStatus.CHANGED and changed.report is not None
        assert changed.report.old is not None and changed.report.old.version == 1
        ops = [(op.op, op.text) for op in changed.report.diff.ops if op.op]
        assert ops == [(-1, "1923"), (1, "1932")]
        assert store.db.execute("SELECT count(*) FROM changes").fetchone()[0] == 1


def _answer(body: str) -> Response:
    return Response(200, {"Content-Type": "text/html; charset=utf-8"}, body.encode())


def test_a_plugin_s_elements_go_through_remove_live_elements_and_explain(
    tmp_path: Path, http_server: LocalServer
) -> None:
    config = load_config(plugin_config(tmp_path, http_server, "elements"))
    rules = config.rules_for(http_server.url("/x"))
    rules = Rules(**{**rules.__dict__, "remove": (".ad",)})
    html = (
        "<html><body><h1>Parts</h1><div class='story-part'><p>First part of the story."
        "<span class='ad'>BUY NOW</span></p></div><aside>Most read</aside>"
        "<div class='story-part'><p>Second part.</p><div aria-live='polite'>3 readers</div>"
        "<p style='display:none'>hidden</p></div></body></html>"
    )
    how = explain_article(html, http_server.url("/x"), rules)
    assert how.article.text.splitlines() == ["First part of the story.", "Second part."]
    assert how.method == "plugin" and how.content == (rules.plugin,)
    reasons = {removal.reason for removal in how.removed}
    assert "plugin remove '.ad'" in reasons and "live element: live region" in reasons
    assert how.confidence.level == "high"


def test_a_plugin_that_finds_nothing_or_cannot_be_imported_is_an_extraction_error(
    tmp_path: Path, http_server: LocalServer
) -> None:
    config = load_config(plugin_config(tmp_path, http_server, "nothing"))
    rules = config.rules_for(http_server.url("/x"))
    with pytest.raises(ExtractError, match=r":nothing found no article on the page"):
        extract_article(page(PARAGRAPHS), http_server.url("/x"), rules)
    missing = Rules(
        plugin=rules.plugin.replace(":nothing", ":absent"), plugin_path=rules.plugin_path
    )
    with pytest.raises(ExtractError, match=r"has no function 'absent'"):
        extract_article(page(PARAGRAPHS), http_server.url("/x"), missing)
    unknown = Rules(plugin="no_such_module_here:f")
    with pytest.raises(ExtractError, match=r"cannot import no_such_module_here"):
        extract_article(page(PARAGRAPHS), http_server.url("/x"), unknown)
