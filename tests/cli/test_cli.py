"""The CLI contract of design.md: commands, --json shapes, exit statuses 0/1/2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner, Result
from harness import FAST_CONFIG
from server import LocalServer

from monitor import samplesite
from monitor.cli import cli
from monitor.cli.check import due
from monitor.store import Store

CASES = Path(__file__).parents[1] / "data" / "extract"


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def serve_article(server: LocalServer, name: str = "ja", **edits: str) -> str:
    article = samplesite.load_article(name)
    for old, new in edits.items():
        article = samplesite.replace_text(article, old, new)
    server.set(f"/{name}/", samplesite.render_page(article))
    return server.url(f"/{name}/")


def test_every_command_has_help() -> None:
    names = cli.list_commands(click.Context(cli))
    assert {"check", "run", "serve", "add", "log"} <= set(names)
    for name in names:
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage:" in result.output
    assert "Watch published articles" in run("--help").output


def test_the_commands_are_imported_only_when_one_is_looked_up() -> None:
    """The console script imports monitor.cli: `--help` and each command need none of
    what the other commands import."""
    heavy = ("monitor.cli.", "monitor.store", "httpx", "sqlite_utils", "apscheduler", "lxml")
    code = f"import sys, monitor.cli; print([m for m in sys.modules if m.startswith({heavy})])"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "[]"


def test_a_run_of_checks_imports_no_html_parser() -> None:
    """The checker hands every page to its extraction workers and keeps, compares and
    stores what they return: `monitor check`, the daemon's wiring and the pipeline import
    neither lxml nor the extractor (about 6 MB of the checking process), and neither do the
    modules of what a worker returns."""
    heavy = ("lxml", "cssselect", "monitor.extract.article", "monitor.extract.replay")
    code = (
        "import sys, monitor.cli, monitor.cli.check, monitor.wiring, monitor.pipeline, "
        "monitor.analyse, monitor.learn, monitor.extract.learned; "
        f"print([m for m in sys.modules if m.startswith({heavy})])"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "[]"


def test_remove_stops_a_watch_and_keeps_its_history_purge_deletes_it(
    workdir: Path, http_server: LocalServer
) -> None:
    url = serve_article(http_server)
    assert run("add", url, "--name", "ipd").exit_code == 0
    serve_article(http_server, **{"1万人": "1万2000人"})
    assert json.loads(run("check", "--json").output)["status"] == "changed"
    removed = run("remove", url + "?utm_source=rss")  # any form of its URL names it
    assert removed.exit_code == 0, removed.output
    assert removed.output.startswith("removed watch 1 (ipd): checked no more")
    assert "nothing to check" in run("check", "--json").output
    assert "inactive: removed" in run("list", "--all").output
    assert "Versions (2):" in run("log", "ipd").output  # its history is kept
    again = run("add", url, "--name", "ipd")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("added watch 1: ipd")
    assert json.loads(run("list", "--json").output)[0]["versions"] == 2
    purged = run("remove", "ipd", "--purge")
    assert purged.output == ("deleted watch 1 (ipd) with 2 versions, 3 checks and 1 change\n"), (
        purged.output
    )
    assert json.loads(run("list", "--all", "--json").output) == []
    assert run("log", "ipd").exit_code == 1


def test_a_watch_of_the_config_is_removed_in_the_config(workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '[[watch]]\nurl = "https://a.example/x"\n',
        encoding="utf-8",
    )
    assert run("list").exit_code == 0  # the config's watches are in the database
    refused = run("remove", "https://a.example/x")
    assert refused.exit_code == 1
    assert "is a [[watch]] of the config: delete its entry there" in refused.output


def test_add_check_edit_check_diff(workdir: Path, http_server: LocalServer) -> None:
    url = serve_article(http_server)
    added = run("add", url, "--name", "ipd", "--interval", "30m")
    assert added.exit_code == 0
    assert added.output.startswith(f"added watch 1: ipd ({url})\nversion 1: ")
    first = run("check", "--json")
    assert first.exit_code == 0
    (line,) = first.output.splitlines()
    data = json.loads(line)
    assert {"watch", "url", "status", "snapshot_id", "http_status", "error"} <= data.keys()
    assert (data["watch"], data["status"], data["http_status"]) == ("ipd", "unchanged", 200)
    assert data["version"] == 1  # the fetch of `add` was the first check

    serve_article(http_server, **{"1万人": "1万2000人"})
    second = json.loads(run("check", "ipd", "--json").output)
    assert second["status"] == "changed"
    assert second["change"]["chars_added"] == 4
    assert second["change"]["chars_removed"] == 0
    assert isinstance(second["change"]["change_id"], int)

    diff = run("diff", "ipd", "--format", "text")
    assert diff.exit_code == 0
    assert "{+2000+}" in diff.output
    assert "1万{+2000+}人" in diff.output
    as_json = json.loads(run("diff", "ipd", "1", "2", "--format", "json").output)
    assert as_json["stats"]["chars_added"] == 4
    html = run("diff", "ipd", "--format", "html").output
    assert "<ins>2000</ins>" in html
    itself = run("diff", "ipd", "2", "2", "--format", "text").output
    assert "Changed: nothing: the texts are the same" in itself and "Silent edit" not in itself
    same = json.loads(run("diff", "ipd", "2", "2", "--format", "json").output)
    assert same["silent_edit"] is False and same["ops"] == [[0, same["ops"][0][1]]]
    logged = json.loads(run("log", "ipd", "--json").output)["changes"]
    assert [type(change["silent_edit"]) for change in logged] == [bool]  # as in diff --json


def test_list_log_show(workdir: Path, http_server: LocalServer) -> None:
    url = serve_article(http_server, "en")
    run("add", url, "--name", "budget")
    listed = json.loads(run("list", "--json").output)
    assert [(w["name"], w["last_status"], w["versions"]) for w in listed] == [("budget", "new", 1)]
    assert "budget" in run("list").output
    log = json.loads(run("log", "budget", "--json").output)
    assert [v["version"] for v in log["versions"]] == [1]
    assert log["checks"][0]["status"] == "new"
    assert "Versions (1)" in run("log", "budget").output
    shown = run("show", "budget").output
    article = samplesite.load_article("en")
    assert shown.rstrip("\n") == samplesite.article_text(article)
    assert run("show", "budget", "--version", "1").output == shown
    assert run("show", "budget", "--at", "2999-01-01T00:00").output == shown
    assert run("show", "budget", "--at", "2000-01-01").exit_code == 1


def test_check_prints_one_line_per_watch(workdir: Path, http_server: LocalServer) -> None:
    run("add", serve_article(http_server, "ja"), "--name", "ja")
    run("add", serve_article(http_server, "en"), "--name", "en")
    run("add", http_server.url("/missing"), "--name", "missing", "--force")
    result = run("check")
    assert result.exit_code == 0
    lines = sorted(result.output.splitlines())
    assert len(lines) == 3
    assert lines[0].startswith("gone") and "missing" in lines[0] and "404" in lines[0]  # 2nd 404
    assert lines[1].startswith("unchanged") and lines[2].startswith("unchanged")


def test_extract_file_stdin_and_url(workdir: Path, http_server: LocalServer) -> None:
    expected = (CASES / "jannah_ja.txt").read_text(encoding="utf-8")
    from_file = run("extract", str(CASES / "jannah_ja.html"))
    assert from_file.exit_code == 0
    assert from_file.output == expected
    html = (CASES / "jannah_ja.html").read_bytes()
    assert run("extract", "-", input=html).output == expected
    assert run("extract", input=html).output == expected
    body_only = run("extract", "--no-title", str(CASES / "jannah_ja.html")).output
    assert body_only == expected.split("\n", 1)[1]
    http_server.set("/page", html, headers={"Content-Type": "text/html; charset=utf-8"})
    assert run("extract", http_server.url("/page")).output == expected
    data = json.loads(run("extract", "--json", str(CASES / "jannah_ja.html")).output)
    assert data["extractor"] == "jannah" and data["metadata"]["language"] == "ja"


def test_bad_config_is_one_clear_error(workdir: Path) -> None:
    (workdir / "config.toml").write_text("[monitor]\nintervall = '1h'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 1
    assert "config.toml: monitor.intervall: unknown key" in result.output
    assert "Traceback" not in result.output


def test_errors_and_usage(workdir: Path) -> None:
    missing = CliRunner().invoke(cli, ["log", "nope"])
    assert missing.exit_code == 1
    assert "no database at" in missing.output
    assert not (workdir / "snapshots").exists()  # reading never creates a database
    for listing in ("list", "status", "feeds"):  # nor does listing, with nothing configured
        typo = CliRunner().invoke(cli, ["--db", str(workdir / "typo.db"), listing])
        assert typo.exit_code == 1 and f"no database at {workdir / 'typo.db'}" in typo.output
    assert list(workdir.glob("typo.db*")) == []
    run("add", "https://x.test/first", "--force")
    unknown = CliRunner().invoke(cli, ["log", "nope"])
    assert unknown.exit_code == 1
    assert "no watch named 'nope'" in unknown.output
    assert CliRunner().invoke(cli, ["add", "ftp://x"]).exit_code == 2
    assert CliRunner().invoke(cli, ["add", "https://x.test/", "--interval", "500ms"]).exit_code == 2
    assert CliRunner().invoke(cli, ["nonsense"]).exit_code == 2
    assert CliRunner().invoke(cli, ["diff", "x", "--format", "pdf"]).exit_code == 2
    run("add", "https://x.test/a", "--name", "a", "--force")
    duplicate = CliRunner().invoke(cli, ["add", "https://x.test/a"])
    assert duplicate.exit_code == 1 and "already watched" in duplicate.output
    assert CliRunner().invoke(cli, ["diff", "a"]).exit_code == 1  # no changes yet
    assert CliRunner().invoke(cli, ["extract", "no-such-file.html"]).exit_code == 1


def test_check_with_nothing_to_check(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1 and "nothing to check" in result.output


def test_a_pass_skips_a_watch_deactivated_after_it_began(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        kept = store.watches.add("https://x.test/a")
        gone = store.watches.add("https://x.test/b")
        queued = store.watches.queued()  # the pass begins
        assert store.watches.drop_unread_page(gone.url) == gone.id  # then b goes
        assert [due(store, q.id, named=False) for q in queued] == [kept, None]
        assert due(store, gone.id, named=True) == store.watches.get(gone.id)  # named: checked


def test_the_second_extractors_own_log_lines_stay_out_of_sight(tmp_path: Path) -> None:
    """trafilatura logs what it finds on a page as errors ("parsed tree length: 0"): only
    -vv shows them."""
    page = tmp_path / "plain.txt"
    page.write_text("just some plain text\nsecond line\n", encoding="utf-8")
    command = [sys.executable, "-m", "monitor", "--db", str(tmp_path / "m.db"), "extract"]
    quiet = subprocess.run([*command, str(page)], capture_output=True, text=True)
    assert quiet.returncode == 0 and "trafilatura" not in quiet.stderr, quiet.stderr
    verbose = subprocess.run(
        [sys.executable, "-m", "monitor", "-vv", "extract", str(page)],
        capture_output=True,
        text=True,
    )
    assert "trafilatura" in verbose.stderr


def test_extract_explain(workdir: Path) -> None:
    result = run("extract", "--explain", str(CASES / "jannah_ja.html"))
    assert result.exit_code == 0
    assert result.output.startswith("method:   jannah")
    assert "jannah remove '#related-posts'" in result.output
    assert result.output.endswith((CASES / "jannah_ja.txt").read_text(encoding="utf-8"))
    data = json.loads(run("extract", "--json", "--explain", str(CASES / "jannah_ja.html")).output)
    assert data["explain"]["method"] == "jannah"


def test_db_option_and_config_watches(workdir: Path, http_server: LocalServer) -> None:
    url = serve_article(http_server, "en")
    (workdir / "config.toml").write_text(
        FAST_CONFIG + f'\n[[watch]]\nurl = "{url}"\nname = "from-config"\n',
        encoding="utf-8",
    )
    db = workdir / "elsewhere.db"
    result = run("--db", str(db), "check", "--json")
    assert json.loads(result.output)["watch"] == "from-config"
    assert db.exists()
    assert not (workdir / "snapshots").exists()


def test_reextract(workdir: Path, http_server: LocalServer) -> None:
    url = serve_article(http_server, "ja")
    run("add", url, "--name", "ja")
    same = run("reextract")
    assert same.exit_code == 0
    assert "same     ja  same text" in same.output
    assert "0 of 1 watches got a new extraction baseline" in same.output
    (workdir / "config.toml").write_text(
        FAST_CONFIG + f'[[site]]\nmatch = "{url}"\nignore = ["^(動画|画像)提供"]\n',
        encoding="utf-8",
    )
    dry = run("reextract", "ja", "--dry-run")
    assert "1 of 1 watches would get" in dry.output
    done = json.loads(run("reextract", "--json").output)
    assert (done["old_version"], done["new_version"], done["changed"]) == (1, 2, True)
    assert "(re-extracted)" in run("log", "ja").output
    assert json.loads(run("check", "--json").output)["status"] == "unchanged"


def test_check_with_only_feeds_points_to_check_feeds(workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text() + '[[feed]]\nurl = "https://x.test/feed/"\n')
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1 and "`monitor check --feeds`" in result.output


def test_the_diff_hint_after_a_change_can_be_pasted(
    workdir: Path, http_server: LocalServer
) -> None:
    url = serve_article(http_server, "ja")
    run("add", url, "--name", "an article")
    serve_article(http_server, "ja", **{"1万人": "1万2000人"})
    assert "(`monitor diff 'an article'`)" in run("check").output


def test_status_extract_and_check_say_how_sure_extraction_is(
    workdir: Path, http_server: LocalServer
) -> None:
    url = serve_article(http_server, "en")
    http_server.set(
        "/thin/",
        "<html><head><title>Thin</title></head><body><div><p>Opening hours of the town hall "
        "change in winter: the offices close an hour earlier on weekdays.</p></div></body></html>",
    )
    thin = http_server.url("/thin/")
    assert run("add", url, "--name", "story").exit_code == 0
    assert run("add", thin, "--name", "thin").exit_code == 0
    text = samplesite.article_text(samplesite.load_article("en"))
    word = next(w for w in text.split() if w.isalpha() and len(w) > 6 and text.count(w) == 1)
    serve_article(http_server, "en", **{word: "replacement"})
    checked = [json.loads(line) for line in run("check", "story", "--json").output.splitlines()]
    assert checked[0]["status"] == "changed"
    assert checked[0]["confidence"]["level"] in ("high", "medium")
    run("check", "thin")
    status = run("status")
    assert "extraction" in status.output.splitlines()[0]
    assert re.search(r"^uncertain: thin: only \d+ words", status.output, re.MULTILINE)
    rows = {row["name"]: row for row in json.loads(run("status", "--json").output)}
    assert rows["thin"]["confidence"]["level"] == "low"
    assert rows["story"]["confidence"] == checked[0]["confidence"]
    extracted = json.loads(run("extract", url, "--json").output)
    assert extracted["confidence"]["level"] == checked[0]["confidence"]["level"]
    explained = run("extract", url, "--explain").output
    assert "confidence: " in explained.splitlines()[1]


def test_show_says_what_happened_to_a_watch_without_a_version(
    workdir: Path, http_server: LocalServer
) -> None:
    http_server.set("/gone/", "<h1>Not Found</h1>", status=404)
    run("add", http_server.url("/gone/"), "--name", "gone", "--force")
    run("check")
    shown = CliRunner().invoke(cli, ["show", "gone"])
    assert shown.exit_code == 1
    assert "gone has no version yet: its last check (" in shown.output
    assert ") was gone: HTTP 404 Not Found on 2 checks in a row (see `monitor log gone`)" in (
        shown.output
    )
    url = serve_article(http_server, "en")
    run("add", url, "--name", "en")
    http_server.set("/en/", "<h1>Service Unavailable</h1>", status=503)
    run("check", "en")
    failing = CliRunner().invoke(cli, ["show", "en"])
    assert failing.exit_code == 0 and failing.stdout.startswith("Council approves")
    assert "note: its last check (" in failing.stderr and "was http_error" in failing.stderr


def test_list_and_status_are_tables_whose_columns_never_run_together(
    workdir: Path, http_server: LocalServer
) -> None:
    url = serve_article(http_server, "en")
    long_name = "a name much longer than the column that holds the names of watches"
    (workdir / "config.toml").write_text(
        FAST_CONFIG + f'interval = "2m"\n[[watch]]\nurl = "{url}"\n'
        f'name = "{long_name}"\n[[watch]]\nurl = "{http_server.url("/later/")}"\n',
        encoding="utf-8",
    )
    run("check", long_name)
    listed = run("list").output.splitlines()
    assert listed[0].split() == ["id", "name", "status", "versions", "changes", "url"]
    assert "never checked" not in listed[2] and "  never  " in listed[2]
    assert "a name much longer than the…" in listed[1]
    status = run("status").output.splitlines()
    assert status[0].split()[:3] == ["watch", "status", "last"]
    for line in (*listed[1:], *status[1:]):
        assert "  " in line and "…" not in line.split("  ")[-1]
    # the interval the watch is checked on is stored: any config tells the same
    (workdir / "other.toml").write_text("[monitor]\n", encoding="utf-8")
    paced = json.loads(run("--config", str(workdir / "other.toml"), "status", "--json").output)
    assert [w["schedule"]["reason"] for w in paced] == ["every 2m", "every 2m"]


def test_diff_of_two_versions_that_are_a_stored_change_is_that_change(
    workdir: Path, http_server: LocalServer
) -> None:
    url = serve_article(http_server, "ja")
    run("add", url, "--name", "ja")
    serve_article(http_server, "ja", **{"1万人": "1万2000人"})
    change_id = json.loads(run("check", "--json").output)["change"]["change_id"]
    stored = json.loads(run("diff", "ja", "1", "2", "--format", "json").output)
    assert stored["change_id"] == change_id and stored["detected_at"] is not None
    assert json.loads(run("diff", "ja", "2", "1", "--format", "json").output)["change_id"] is None


def test_search_finds_japanese_words_in_every_version(
    workdir: Path, http_server: LocalServer
) -> None:
    run("add", serve_article(http_server, "ja"), "--name", "ja")
    run("add", serve_article(http_server, "en"), "--name", "en")
    serve_article(http_server, "ja", **{"違法な戦争": "不法な戦争"})
    run("check")
    found = run("search", "違法な戦争")
    assert found.exit_code == 0
    lines = found.output.splitlines()
    assert lines[0].startswith("ja  version 1  ") and "**違法な戦争**" in lines[1]
    both = run("search", "な戦争").output
    assert [line.split("  ")[:2] for line in both.splitlines()[::2]] == [
        ["ja", "version 2"],
        ["ja", "version 1"],
    ]
    assert "**不法な戦争**" not in both and "不法**な戦争**" in both
    assert run("search", "な戦争", "--limit", "1").output.count("version") == 1
    assert run("search", "Millbrook", "--watch", "ja").output == "nothing found\n"
    assert "en  version 1" in run("search", "millbrook", "--watch", "en").output
    short = CliRunner().invoke(cli, ["search", "違法"])
    assert short.exit_code == 0 and "ja  version 1" in short.stdout
    assert "note: Words of one or two characters are looked for in the latest" in short.stderr
    data = json.loads(run("search", "違法な戦争", "--json").output)
    assert data["scanned"] is False and data["note"] is None
    (hit,) = data["hits"]
    assert hit["watch"]["name"] == "ja" and hit["version"] == 1
    assert set(hit) == {
        "watch",
        "snapshot_id",
        "version",
        "created_at",
        "title",
        "snippet",
        "highlights",
    }  # the web API's hit objects
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "違法な戦争"
    assert CliRunner().invoke(cli, ["search"]).exit_code == 2


def test_what_a_new_user_hit(workdir: Path, http_server: LocalServer) -> None:
    """Found by a new-user trial: a name of digits, check in an empty folder, an empty page."""
    digits = CliRunner().invoke(cli, ["add", serve_article(http_server, "en"), "--name", "5"])
    assert digits.exit_code == 2 and "a name with a letter in it" in digits.output
    nothing = CliRunner().invoke(cli, ["check"])
    assert nothing.exit_code == 1 and "nothing to check" in nothing.output
    no_feeds = CliRunner().invoke(cli, ["check", "--feeds"])
    assert no_feeds.exit_code == 1 and "no feeds to poll" in no_feeds.output
    assert not (workdir / "snapshots").exists()  # nothing to check: no database made for it
    empty = CliRunner().invoke(cli, ["extract", "-"], input=b"<html><body></body></html>")
    assert empty.exit_code == 0 and "no article text found" in empty.stderr
    (workdir / "config.toml").write_text('[[watch]]\nurl = "https://x.test/"\nname = "7"\n')
    bad = CliRunner().invoke(cli, ["list"])
    assert bad.exit_code == 1 and "watch[0].name" in bad.output
