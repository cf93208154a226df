"""An upgrade of the extractor raises no alert: a database made by the previous release
(schema 6, extractor 7, built here the way that release wrote it) is re-baselined by
`monitor reextract` and by the daemon (`monitor run`, a real subprocess) without reporting a
change, and the next real edit is reported as exactly that edit. Real SQLite, a real HTTP
server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner
from daemon import Daemon, Hook, count, query, wait_for, write_config
from server import LocalServer, Request, Response

from monitor.cli import cli
from monitor.extract import EXTRACTOR_VERSION
from monitor.store import SCHEMA_VERSION, Store
from monitor.store.schema import MIGRATIONS
from monitor.urls import url_key

PAGE = Path(__file__).parent / "data" / "extract" / "article_header_standfirst.html"
#: The schema and extractor of the release before this one.
RELEASE_SCHEMA = 6
RELEASE_EXTRACTOR = "7"
#: What that release's extractor made of PAGE (the title kept the site name, the standfirst
#: in the article's <header> was lost): run with monitor at 63853d7.
RELEASE_TITLE = "Night trains return to the northern line - Rail Weekly"
RELEASE_TEXT = (
    "The operator said on Monday that it had leased twelve refurbished sleeper coaches and "
    "would run two return services a week between the capital and the northern terminus.\n"
    "Tickets go on sale in April. A berth in a shared compartment will cost about the same as "
    "a hotel room, the company said, and cyclists will be able to bring their bikes.\n"
    "Why now\n"
    "Passenger numbers on the line have grown for four years in a row, and the regional "
    "government agreed last autumn to cover part of the cost of the track access charges."
)
STANDFIRST = "Two sleeper services will run again from May"


class Article:
    """PAGE on the test server, with a counter that changes on every request."""

    def __init__(self, server: LocalServer) -> None:
        self.html = PAGE.read_text(encoding="utf-8")
        self.requests = 0
        server.route("/night-trains/", self.respond)
        self.url = server.url("/night-trains/")

    def respond(self, request: Request) -> Response:
        self.requests += 1
        body = self.html.replace("</footer>", f"<p>{self.requests} readers</p></footer>")
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, body.encode())


def release_database(path: Path, url: str) -> None:
    """The file the previous release leaves after one check of ``url``."""
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:RELEASE_SCHEMA]:
        migration(db)
    db.execute(f"PRAGMA user_version = {RELEASE_SCHEMA}")
    at = "2026-11-27T09:00:00+00:00"
    db.execute(
        "INSERT INTO watches (id, url, name, source, created_at, current_snapshot_id, "
        "content_key, last_check_at, last_status, url_key) "
        "VALUES (1, ?, 'w0', 'config', ?, 1, 'release-key', ?, 'new', ?)",
        [url, at, at, url_key(url)],
    )
    document = f"{RELEASE_TITLE}\n{RELEASE_TEXT}"
    db.execute(
        "INSERT INTO snapshots (id, watch_id, version, created_at, title, text, text_sha256, "
        "metadata_json, final_url, extractor, html_gz, html_encoding, origin) "
        "VALUES (1, 1, 1, ?, ?, ?, ?, '{}', ?, 'generic', ?, 'utf-8', 'fetch')",
        [
            at,
            RELEASE_TITLE,
            RELEASE_TEXT,
            hashlib.sha256(document.encode()).hexdigest(),
            url,
            zlib.compress(PAGE.read_bytes()),
        ],
    )
    db.execute(
        "INSERT INTO checks (watch_id, checked_at, status, http_status, snapshot_id) "
        "VALUES (1, ?, 'new', 200, 1)",
        [at],
    )
    db.conn.commit()
    db.close()


def test_this_release_changes_the_extractor() -> None:
    assert EXTRACTOR_VERSION != RELEASE_EXTRACTOR
    assert SCHEMA_VERSION > RELEASE_SCHEMA


def test_reextract_rebaselines_a_release_database_and_checks_stay_quiet(
    tmp_path: Path, http_server: LocalServer
) -> None:
    page = Article(http_server)
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [page.url])
    release_database(db, page.url)
    runner = CliRunner()
    done = runner.invoke(cli, ["--config", str(config), "reextract", "--json"])
    assert done.exit_code == 0, done.output
    (result,) = [json.loads(line) for line in done.output.splitlines()]
    assert (result["old_version"], result["new_version"]) == (1, 2)
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        current = store.versions.current(store.watches.get(1))
        assert current is not None and current.origin == "reextract"
        assert current.extractor_version == EXTRACTOR_VERSION
        assert STANDFIRST in current.text and current.title == RELEASE_TITLE.split(" - ")[0]
        assert current.confidence.level == "high"
    checked = runner.invoke(cli, ["--config", str(config), "check", "--json", "--no-notify"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["status"] == "unchanged"
    assert count(db, "SELECT count(*) FROM changes") == 0
    assert count(db, "SELECT count(*) FROM outbox") == 0


def test_the_daemon_rebaselines_a_release_database_without_an_alert(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    page, hook = Article(http_server), Hook(http_server)
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [page.url], hook.url)
    release_database(db, page.url)
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'unchanged'") >= 2)
    assert query(db, "SELECT version, origin FROM snapshots ORDER BY version") == [
        (1, "fetch"),
        (2, "reextract"),
    ]
    assert count(db, "SELECT count(*) FROM changes") == 0
    assert hook.events == []
    # The next real edit is reported, as exactly that edit.
    page.html = page.html.replace("twelve refurbished", "fourteen refurbished")
    wait_for(lambda: count(db, "SELECT count(*) FROM changes") == 1)
    ((diff_json,),) = query(db, "SELECT diff_json FROM changes")
    ops = [(op, text) for op, text in json.loads(str(diff_json))["ops"] if op]
    assert ops == [(-1, "twelve"), (1, "fourteen")]
    wait_for(lambda: len(hook.events) == 1)
    assert daemon.stop() == 0
