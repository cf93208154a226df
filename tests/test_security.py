"""Page text is untrusted everywhere it is shown: HTML reports, terminal output, Markdown,
notifications. An article about XSS, with live markup and terminal escapes, stays inert."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
from click.testing import CliRunner
from harness import Harness
from server import LocalServer

from monitor.cli import cli
from monitor.models import Event
from monitor.notify import event_html, event_payload, event_subject, event_text
from monitor.outbox import write_reports
from monitor.report import render

HOSTILE = """<!DOCTYPE html><html><head><title>XSS &lt;script&gt;alert(1)&lt;/script&gt;</title>
</head><body><article><h1>How &lt;script&gt;alert(1)&lt;/script&gt; works \x1b]0;pwned\x07</h1>
<p>Code: &lt;img src=x onerror=alert(1)&gt; and &lt;a href="javascript:alert(1)"&gt;.</p>
<p>Live: <img src=x onerror=alert(2)><a href="javascript:alert(3)">a link</a>
<script>alert(4)</script> and an escape \x1b[2J{edit}.</p></article></body></html>"""


def test_hostile_article_stays_inert_everywhere(
    harness: Harness, http_server: LocalServer, tmp_path: Path
) -> None:
    http_server.set("/xss", HOSTILE.format(edit=""))
    watch = harness.store.watches.add(http_server.url("/xss"), name="xss")
    harness.check(watch)
    http_server.set("/xss", HOSTILE.format(edit=" edited <script>alert(5)</script>"))
    result = harness.check(watch)
    assert result.report is not None
    report = result.report
    document = harness.store.versions.current(harness.store.watches.get(watch.id))
    assert document is not None
    assert "<script>alert(1)</script>" in document.document  # the article's text, kept as text
    assert "alert(4)" not in document.document and "alert(5)" not in document.document

    html = render(report, "html")
    for page in (
        html,
        event_html(Event("change", 1, "xss", watch.url, "now", "changed", report=report)),
    ):
        assert "<script" not in page.lower()
        assert "onerror=" not in page.lower().replace("onerror=alert(1)&gt;", "")
        assert 'href="javascript:' not in page.lower()
        assert "&lt;script&gt;" in page
    for fmt in ("terminal", "text", "markdown"):
        assert "\x1b]" not in render(report, fmt, color=False)
        assert "\x07" not in render(report, fmt)
    event = Event("change", 1, "xss\x1b[31m", watch.url, "now", "changed", report=report)
    assert "\x1b" not in event_subject(event) and "\n" not in event_subject(event)
    assert "\x1b" not in event_text(event)
    payload = json.dumps(event_payload(event))
    assert "\x1b" not in payload  # JSON escapes it; the webhook receiver decides what to show
    (html_file, md_file) = write_reports(tmp_path, report)
    assert_inert(html_file.read_text(encoding="utf-8"))
    assert "\x1b" not in md_file.read_text(encoding="utf-8")


def assert_inert(page: str) -> None:
    """No script, no event-handler attribute, no javascript: link in an HTML document."""
    root = lxml.html.document_fromstring(page)
    assert root.xpath("//script") == []
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert not value.strip().lower().startswith("javascript:"), (name, value)


def test_cli_output_has_no_terminal_escapes(tmp_path: Path, http_server: LocalServer) -> None:
    http_server.set("/xss", HOSTILE.format(edit=""))
    db = str(tmp_path / "m.db")
    runner = CliRunner()
    runner.invoke(cli, ["--db", db, "add", http_server.url("/xss"), "--name", "xss"])
    runner.invoke(cli, ["--db", db, "check", "--no-notify"])
    http_server.set("/xss", HOSTILE.format(edit=" edited"))
    outputs = [runner.invoke(cli, ["--db", db, "check", "--diff", "--no-notify"]).output]
    for args in (["show", "xss"], ["log", "xss"], ["diff", "xss"], ["list"], ["status"]):
        outputs.append(runner.invoke(cli, ["--db", db, *args]).output)
    outputs.append(runner.invoke(cli, ["extract", "-"], input=HOSTILE.format(edit="")).output)
    for output in outputs:
        assert "\x1b]" not in output and "\x07" not in output and "\x1b[2J" not in output
