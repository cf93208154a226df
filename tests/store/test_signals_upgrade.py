"""Schema 9 stores what a version's page says it is (its signals: gates such as a login form
or a consent manager, og:type) with the version, so judging a later page no longer reads the
stored page back. A database of the release before (schema 8, versions without signals) is
migrated and judged exactly as before: its versions' signals are read from their stored
pages. Real SQLite, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import sqlite_utils
from harness import FAST, Harness
from server import LocalServer, Request, Response

from monitor.config import Config, Settings
from monitor.identity import PageSignals, page_signals
from monitor.models import CheckStatus
from monitor.store import SCHEMA_VERSION, Store
from monitor.store.schema import MIGRATIONS
from monitor.urls import url_key

#: The schema of the release before this one.
RELEASE_SCHEMA = 8

PARAGRAPHS = [
    "The council voted on Tuesday to adopt the budget after a hearing that ran late.",
    "Residents spoke for and against the plan, some of them for the first time.",
    "Most of the increase goes to street repair and to the four branch libraries.",
    "The libraries will open on Sundays again from March, the finance director said.",
    "A vote on water rates follows in December, after a study of the pipes.",
    "Opponents said the city should have waited for the state's own figures.",
    "The mayor called it the most careful budget in a decade of tight money.",
    "It takes effect on July 1, with a first review of its spending in October.",
]


class LoginSite:
    """An article on a site whose every page has a login form in its header: a gate that
    is no evidence, since the stored version shows it too."""

    def __init__(self, server: LocalServer) -> None:
        self.paragraphs = list(PARAGRAPHS)
        server.route("/budget/", self.respond)
        self.url = server.url("/budget/")

    def html(self) -> str:
        body = "".join(f"<p>{p}</p>" for p in self.paragraphs)
        return (
            "<html><head><title>Council adopts the budget</title></head><body><header>"
            '<form action="/login"><input name="user"><input type="password" name="pw">'
            "</form></header><article><h1>Council adopts the budget</h1>"
            f"{body}</article></body></html>"
        )

    def respond(self, request: Request) -> Response:
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, self.html().encode())


def release_database(path: Path, site: LoginSite) -> None:
    """The file the previous release leaves after the first check of ``site``: a version
    with its page and no stored signals."""
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:RELEASE_SCHEMA]:
        migration(db)
    db.execute(f"PRAGMA user_version = {RELEASE_SCHEMA}")
    at = "2026-12-01T09:00:00+00:00"
    db.execute(
        "INSERT INTO watches (id, url, source, created_at, current_snapshot_id, last_check_at, "
        "last_status, url_key) VALUES (1, ?, 'cli', ?, 1, ?, 'new', ?)",
        [site.url, at, at, url_key(site.url)],
    )
    title, text = "Council adopts the budget", "\n".join(PARAGRAPHS)
    db.execute(
        "INSERT INTO snapshots (id, watch_id, version, created_at, title, text, text_sha256, "
        "metadata_json, final_url, extractor, html_gz, html_encoding, origin) "
        "VALUES (1, 1, 1, ?, ?, ?, ?, '{}', ?, 'generic', ?, 'utf-8', 'fetch')",
        [
            at,
            title,
            text,
            hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
            site.url,
            zlib.compress(site.html().encode()),
        ],
    )
    db.execute(
        "INSERT INTO checks (watch_id, checked_at, status, http_status, snapshot_id) "
        "VALUES (1, ?, 'new', 200, 1)",
        [at],
    )
    db.conn.commit()
    db.close()


def test_signals_round_trip_as_stored() -> None:
    signals = PageSignals(refresh_to=None, password_field=True, consent=True, og_type="article")
    assert PageSignals.from_json(signals.as_json()) == signals
    assert PageSignals.from_json(None) is None
    assert PageSignals.from_json("not json") is None
    assert PageSignals.from_json(
        '{"password_field": true, "prompt": false, "later": 1}'
    ) == PageSignals(password_field=True)
    # stored before paywall prompts were read: read again from the stored page
    assert PageSignals.from_json('{"password_field": true}') is None


def test_a_release_database_is_judged_as_before_and_new_versions_keep_their_signals(
    tmp_path: Path, http_server: LocalServer
) -> None:
    site = LoginSite(http_server)
    path = tmp_path / "release.db"
    release_database(path, site)
    config = Config(settings=Settings(database=str(path), fetch=FAST))
    harness = Harness(Store(str(path)), config)
    try:
        assert harness.store.schema_version == SCHEMA_VERSION
        watch = harness.store.watches.get(1)
        old = harness.store.versions.current(watch)
        assert old is not None and old.signals_json is None
        # Paragraphs cut: the text shrinks, and the page shows its login form. The form is
        # no new gate (the stored page has it), so this is an edit, not a login page.
        del site.paragraphs[2:4]
        cut = harness.check(watch)
        assert cut.status is CheckStatus.CHANGED, cut.error
        new = harness.store.versions.current(harness.store.watches.get(1))
        assert new is not None and new.signals_json is not None
        stored = PageSignals.from_json(new.signals_json)
        assert stored == page_signals(site.html(), site.url)
        assert stored is not None and stored.password_field
        # judged against the stored signals from now on
        del site.paragraphs[3:5]
        again = harness.check(harness.store.watches.get(1))
        assert again.status is CheckStatus.CHANGED, again.error
    finally:
        harness.store.close()
