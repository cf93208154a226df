"""Tests for monitor.report: every format, escaping of untrusted page text, the JSON schema."""

from __future__ import annotations

import json
import re

import pytest
from reports import NEW, OLD, URL, make_report

from monitor.report import FORMATS, SCHEMA, render, report_to_dict

ANSI_SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_watch_versions_and_stats(fmt: str) -> None:
    out = render(make_report(), fmt, color=False)
    for expected in ("NHK 経済", URL, "2024-05-01T08:00:00+00:00", "2024-05-01T09:00:00+00:00"):
        assert expected in out
    if fmt != "json":
        assert "version 3" in out
        assert "+11 / −6 characters" in out
        assert "of the text changed" in out


def test_text_uses_wdiff_markers_line_numbers_and_gaps() -> None:
    out = render(make_report(), "text")
    assert "version 2 (2024-05-01T08:00:00+00:00) → version 3" in out
    assert "2 2 │ 死者は1万{+2000+}人に上った。" in out
    assert "3 3 │ [-違-]{+不+}法な取引が行われた。" in out
    assert "4 4 │ The [-quick-]{+slow+} brown fox." in out
    assert "8 8 │ 最後の段落{+です+}。" in out
    assert "\n…\n" in out  # lines 5-6 are not shown
    assert "同じ段落2" not in out


def test_terminal_colours() -> None:
    out = render(make_report(), "terminal", color=True)
    assert "\x1b[32m2000\x1b[0m" in out
    assert "\x1b[9;31m違\x1b[0m\x1b[32m不\x1b[0m" in out
    assert out.startswith("\x1b[1mNHK 経済\x1b[0m\n")
    assert "死者は1万2000人に上った。" in ANSI_SGR.sub("", out)


def test_terminal_without_colour_has_no_escapes() -> None:
    out = render(make_report(), "terminal", color=False)
    assert "\x1b" not in out
    assert "[-違-]{+不+}" in out


def test_markdown() -> None:
    out = render(make_report(), "markdown")
    assert out.startswith("## NHK 経済\n")
    assert f"<{URL}>" in out
    assert "- `2 2` 死者は1万**2000**人に上った。" in out
    assert "- `3 3` ~~違~~**不**法な取引が行われた。" in out
    assert "The ~~quick~~**slow** brown fox." in out
    assert "\n…\n" in out


def test_markdown_delimiters_next_to_cjk_punctuation_still_open_and_close() -> None:
    out = render(make_report("東京。大阪", "東京、大阪"), "markdown")
    assert "東京\u200a~~。~~**、**\u200a大阪" in out


def test_markdown_escapes_page_text() -> None:
    page = "A *bold* [link](javascript:alert(1)) <b>tag</b> _x_ `code`"
    out = render(make_report("Intro", "Intro\n" + page), "markdown")
    assert r"\*bold\*" in out
    assert r"\[link\]" in out
    assert r"\<b\>tag\</b\>" in out
    assert r"\_x\_" in out
    assert r"\`code\`" in out
    assert "<b>" not in out


def test_html_is_a_self_contained_document() -> None:
    out = render(make_report(), "html")
    assert out.startswith("<!DOCTYPE html>\n<html lang=")
    assert '<meta charset="utf-8">' in out
    assert "<style>" in out and "Hiragino" in out and "Noto Sans JP" in out
    assert not re.search(r"(src|href)=\"(?!https://www3\.nhk)", out)  # no external assets
    assert f'<a href="{URL}"' in out
    assert '<section class="hunks" lang="ja">' in out
    assert "死者は1万<ins>2000</ins>人に上った。" in out
    assert "<del>違</del><ins>不</ins>法" in out
    assert '<p class="gap">…</p>' in out


def test_html_escapes_page_text_and_metadata() -> None:
    hostile = "<script>alert(1)</script> and <img src=x onerror=alert(1)>"
    report = make_report(
        "Intro",
        "Intro\n" + hostile,
        url="javascript:alert(document.cookie)",
        name="<b>watch</b>",
        title='"><script>alert(2)</script>',
    )
    out = render(report, "html")
    assert "<script" not in out
    assert "<img" not in out
    assert "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "&lt;b&gt;watch&lt;/b&gt;" in out
    assert "&quot;&gt;&lt;script&gt;alert(2)" in out
    assert "javascript:alert(document.cookie)" in out  # shown as text ...
    assert "<a " not in out  # ... but never as a link
    assert "href" not in out


def test_json_round_trips_with_the_documented_schema() -> None:
    report = make_report()
    data = json.loads(render(report, "json"))
    assert data == report_to_dict(report)
    assert set(data) == {
        "schema",
        "change_id",
        "detected_at",
        "watch",
        "old",
        "new",
        "reverted_to",
        "kind",
        "silent_edit",
        "stats",
        "ops",
        "hunks",
    }
    assert data["schema"] == SCHEMA == "monitor.change/1"
    assert data["watch"] == {"id": 3, "name": "NHK 経済", "url": URL}
    assert set(data["old"]) == {"snapshot_id", "version", "created_at", "title", "modified_at"}
    assert data["new"]["version"] == 3
    assert data["stats"] == {
        "chars_added": 11,
        "chars_removed": 6,
        "share_changed": report.diff.share_changed,
        "granularity": "token",
    }
    assert "".join(text for op, text in data["ops"] if op <= 0) == OLD
    assert "".join(text for op, text in data["ops"] if op >= 0) == NEW
    line = data["hunks"][0]["lines"][1]
    assert line == {
        "old_lineno": 2,
        "new_lineno": 2,
        "ops": [[0, "死者は1万"], [1, "2000"], [0, "人に上った。"]],
    }
    assert "死者は" in render(report, "json")  # not \u-escaped


def test_json_keeps_control_characters_escaped() -> None:
    report = make_report("Intro", "Intro\nbad \x1b[2J \x9b31m text")
    out = render(report, "json")
    assert "\x1b" not in out and "\x9b" not in out
    assert "\\u001b[2J" in out and "\\u009b31m" in out
    assert json.loads(out)["ops"][-1] == [1, "\nbad \x1b[2J \x9b31m text"]


def test_first_version() -> None:
    report = make_report(None, "見出し\n本文。")
    assert "First version 3" in render(report, "text")
    assert "None 1" not in render(report, "text")
    assert "{+本文。+}" in render(report, "text")
    assert json.loads(render(report, "json"))["old"] is None
    for fmt in ("markdown", "html"):
        assert "no earlier version" in render(report, fmt)


def test_reverted_and_silent_edit_notes() -> None:
    report = make_report(reverted_to=1, silent_edit=True)
    for fmt in ("terminal", "text", "markdown", "html"):
        out = render(report, fmt, color=False)
        assert "Reverted to version 1" in out
        assert "Silent edit" in out
    data = report_to_dict(report)
    assert (data["reverted_to"], data["silent_edit"]) == (1, True)


def test_no_changes() -> None:
    report = make_report(OLD, OLD)
    assert "No text changes." in render(report, "text")
    assert report_to_dict(report)["hunks"] == []


@pytest.mark.parametrize("fmt", ["terminal", "text", "markdown", "html"])
def test_escape_sequences_in_page_text_are_neutralised(fmt: str) -> None:
    hostile = "clear\x1b[2J\x1b[H title\x1b]0;pwned\x07 bell\x07 csi\x9b31m nul\x00 bs\x08 end"
    report = make_report("Intro", f"Intro\n{hostile}", title="T\x1b[31mred", name="w\x1bc")
    out = ANSI_SGR.sub("", render(report, fmt, color=True))  # our own colours only
    for control in ("\x1b", "\x9b", "\x07", "\x00", "\x08"):
        assert control not in out
    assert "[2J" not in out and "pwned" not in out and "31m" not in out
    assert "clear" in out and "end" in out


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed: terminal, text, markdown, html, json"):
        render(make_report(), "pdf")


def test_a_line_broken_in_two_is_numbered_once_on_each_side() -> None:
    old = "Keep.\nAlpha beta gamma delta epsilon zeta.\nEnd."
    new = "Keep.\nAlpha beta gamma\ndelta epsilon zeta.\nEnd."
    gutters = [
        line.split("│")[0].split()
        for line in render(make_report(old, new), "text").splitlines()
        if "│" in line
    ]
    assert gutters == [["1", "1"], ["2", "2"], ["3"]]  # old line 2 goes on: not "2 3"
    html_out = render(make_report(old, new), "html")
    assert html_out.count('<span class="no">2</span>') == 2
