"""The JSON API under /api/: the same objects as the CLI's --json outputs, errors as JSON,
paging, search, and an OpenAPI document that covers every route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.routing import Route
from webdb import HOST, HOSTILE_FEED, Built, Followed, build_database, build_followed, fetch, get

from monitor.cli import cli
from monitor.config import Settings
from monitor.web import create_app


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_database(tmp_path_factory.mktemp("api") / "monitor.db")


@pytest.fixture
def app(built: Built) -> Iterator[Starlette]:
    app = create_app(built.path, allowed_hosts=[HOST])
    yield app
    app.state.pool.close()


def cli_json(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def api(app: Starlette, url: str, status: int = 200) -> Any:
    response = get(app, url)
    assert response.status_code == status, (url, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_same_objects_as_the_cli(app: Starlette, built: Built, monkeypatch: Any) -> None:
    monkeypatch.chdir(built.path.parent)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    listed = cli_json(built.path, "list", "--json")
    # `list --json` objects, plus the feed that found the watch and its pace (`status`)
    watches = sorted(api(app, "/api/watches")["watches"], key=lambda w: w["id"])
    assert [{k: w[k] for k in listed[0]} for w in watches] == listed
    assert all(w["feed"] is None and w["schedule"]["reason"] for w in watches)
    one = api(app, f"/api/watches/{built.ja}")
    assert one == watches[built.ja - 1] | {"feed_changes": [], "learned": one["learned"]}
    assert one["learned"] is not None and one["learned"]["region"]
    statuses = cli_json(built.path, "status", "--json")
    paced = create_app(built.path, allowed_hosts=[HOST], default_interval=Settings().interval)
    try:
        schedules = {w["id"]: w["schedule"] for w in api(paced, "/api/watches")["watches"]}
    finally:
        paced.state.pool.close()
    assert schedules == {w["id"]: w["schedule"] for w in statuses}
    log = cli_json(built.path, "log", "ja-article", "--json", "--limit", "100")
    assert log["learned"] == one["learned"]  # what it learned, the same object
    assert api(app, f"/api/watches/{built.ja}/versions")["versions"] == log["versions"]
    assert api(app, f"/api/watches/{built.ja}/checks")["checks"] == log["checks"]
    changes = api(app, f"/api/watches/{built.ja}/changes")["changes"]
    assert [{k: c[k] for k in log["changes"][0]} for c in changes] == log["changes"][::-1]
    assert (changes[0]["old_version"], changes[0]["new_version"]) == (1, 2)
    shown = cli_json(built.path, "show", "ja-article", "--version", "2", "--json")
    assert api(app, f"/api/watches/{built.ja}/versions/2") == shown
    latest = cli_json(built.path, "diff", "ja-article", "--format", "json")
    assert api(app, f"/api/changes/{latest['change_id']}") == latest
    chosen = cli_json(built.path, "diff", "en-article", "1", "2", "--format", "json")
    assert api(app, f"/api/watches/{built.en}/diff/1/2?format=json") == chosen
    assert api(app, f"/api/watches/{built.en}/diff/1/2") == chosen


def test_diff_formats(app: Starlette, built: Built) -> None:
    text = get(app, f"/api/watches/{built.ja}/diff/1/2?format=text")
    assert text.headers["content-type"].startswith("text/plain")
    assert "1万{+2000+}人" in text.text
    markdown = get(app, f"/api/watches/{built.ja}/diff/1/2?format=markdown")
    assert "**2000**" in markdown.text
    html = get(app, f"/api/watches/{built.ja}/diff/1/2?format=html")
    assert html.headers["content-type"].startswith("text/html")
    assert "<ins>2000</ins>" in html.text
    csp = html.headers["content-security-policy"]
    assert "style-src 'self' 'sha256-" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_errors(app: Starlette, built: Built) -> None:
    for url in (
        "/api/watches/999",
        "/api/watches/999/versions",
        "/api/watches/999/checks",
        "/api/watches/999/changes",
        f"/api/watches/{built.ja}/versions/9",
        f"/api/watches/{built.ja}/diff/1/9",
        "/api/changes/999",
        "/api/nothing-here",
    ):
        assert "error" in api(app, url, 404), url
    for url in (
        "/api/watches?limit=0",
        "/api/watches?limit=5000",
        "/api/watches?offset=-1",
        "/api/watches?sort=colour",
        "/api/changes?before=x",
        f"/api/watches/{built.ja}/diff/1/2?format=pdf",
        f"/api/watches/{built.ja}/versions?order=sideways",
        "/api/search?q=" + "y" * 300,
    ):
        body = api(app, url, 400)
        assert isinstance(body["error"], str) and body["error"], url
    assert get(app, "/api/watches/abc").status_code == 404


def test_paging(app: Starlette, built: Built) -> None:
    first = api(app, "/api/watches?limit=1")
    assert len(first["watches"]) == 1 and first["next"]
    second = api(app, first["next"].replace("http://monitor.test", ""))
    assert second["watches"][0]["id"] != first["watches"][0]["id"]
    assert get(app, "/api/watches?limit=1").headers["x-total-count"] == "4"
    assert api(app, "/api/watches?limit=10")["next"] is None
    changes = api(app, "/api/changes?limit=2")
    assert [c["id"] for c in changes["changes"]] == [3, 2]
    assert "before=2" in changes["next"]
    rest = api(app, changes["next"].replace("http://monitor.test", ""))
    assert [c["id"] for c in rest["changes"]] == [1] and rest["next"] is None
    assert rest["changes"][0]["watch_name"] == "ja-article"
    checks = api(app, f"/api/watches/{built.failing}/checks?limit=1")
    assert checks["checks"][0]["status"] == "http_error" and checks["next"]
    newest = api(app, f"/api/watches/{built.ja}/versions?order=desc&limit=1")
    assert [v["version"] for v in newest["versions"]] == [2]
    filtered = api(app, "/api/watches?status=failing")
    assert [w["id"] for w in filtered["watches"]] == [built.failing]


def test_search(app: Starlette, built: Built) -> None:
    found = api(app, "/api/search?q=値上げ")
    assert found["query"] == "値上げ"
    (hit,) = found["hits"]
    assert (hit["watch"]["id"], hit["version"]) == (built.ja, 2)
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "値上げ"
    short = api(app, "/api/search?q=値上")
    assert [h["version"] for h in short["hits"]] == [2]
    many = api(app, "/api/search?q=北朝鮮&limit=1")
    assert len(many["hits"]) == 1 and many["next"]
    both = api(app, "/api/search?q=北朝鮮 2000")  # every word must be in the version
    assert [h["version"] for h in both["hits"]] == [2]
    assert api(app, "/api/search?q=")["hits"] == []


def test_openapi_covers_every_route(app: Starlette) -> None:
    document = api(app, "/openapi.json")
    assert document["openapi"].startswith("3.1")
    api_paths = {
        route.path.replace(":int", "")
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
    }
    assert api_paths == set(document["paths"])
    for path, item in document["paths"].items():
        operation = item["get"]
        names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert names == set(part[1:-1] for part in path.split("/") if part.startswith("{"))
        assert "200" in operation["responses"] and "401" in operation["responses"]
    schemas = document["components"]["schemas"]
    listed = api(app, "/api/watches")["watches"][0]
    assert set(listed) == set(schemas["Watch"]["properties"])
    version = api(app, "/api/watches/1/versions")["versions"][0]
    assert set(version) == set(schemas["Version"]["properties"])
    change = api(app, "/api/changes")["changes"][0]
    assert set(change) == set(schemas["Change"]["properties"])
    report = api(app, "/api/changes/1")
    assert set(report) == set(schemas["ChangeReport"]["properties"])
    check = api(app, "/api/watches/1/checks")["checks"][0]
    assert set(check) <= set(schemas["Check"]["properties"])
    hit = api(app, "/api/search?q=北朝鮮")["hits"][0]
    assert set(hit) == set(schemas["SearchHit"]["properties"])


def test_api_json_is_one_request_each(app: Starlette, built: Built) -> None:
    urls = [f"/api/watches/{built.xss}/versions/2", f"/api/watches/{built.xss}"]
    for response in fetch(app, *urls):
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
    shown = get(app, f"/api/watches/{built.xss}/versions/2").json()
    assert "<script>alert(1)</script>" in shown["title"]  # data, exactly as stored
    assert get(app, f"/api/watches/{built.xss}").json()["name"] == "xss <b>bold</b>"


# -- followed feeds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> Followed:
    return build_followed(tmp_path_factory.mktemp("api-feeds") / "monitor.db")


@pytest.fixture
def feeds_app(followed: Followed) -> Iterator[Starlette]:
    app = create_app(followed.path, allowed_hosts=[HOST])
    yield app
    app.state.pool.close()


def test_feeds_are_the_objects_of_monitor_feeds_json(
    feeds_app: Starlette, followed: Followed, monkeypatch: Any
) -> None:
    monkeypatch.chdir(followed.path.parent)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    followed_only = cli_json(followed.path, "feeds", "--json")
    everything = cli_json(followed.path, "feeds", "--json", "--all")
    assert [f["id"] for f in everything] == [followed.feed, followed.gone]
    listed = api(feeds_app, "/api/feeds")
    assert listed == {"feeds": followed_only, "limit": 100, "offset": 0, "next": None}
    assert listed["feeds"][0]["name"] == HOSTILE_FEED  # data, exactly as stored
    assert "elsewhere.example" in listed["feeds"][0]["last_warning"]
    assert api(feeds_app, "/api/feeds?all=1")["feeds"] == everything
    assert api(feeds_app, "/api/feeds?all=true")["feeds"] == everything
    one = api(feeds_app, f"/api/feeds/{followed.feed}")
    assert one["feed"] == everything[0] and one["next"] is None
    assert api(feeds_app, f"/api/feeds/{followed.gone}")["feed"] == everything[1]
    watches = {w["id"]: w for w in api(feeds_app, "/api/watches")["watches"]}
    articles = one["articles"]
    assert [a["id"] for a in articles] == [
        followed.short,
        followed.hostile,
        followed.first,
        followed.old,
    ]
    assert articles == [watches[a["id"]] for a in articles]  # the objects of /api/watches
    assert articles[2]["schedule"] == {"interval_s": 900.0, "reason": "age 3h: every 15m"}
    assert articles[0]["duplicate_of"] == followed.first and articles[3]["retired_at"]


def test_feeds_paging_and_errors(feeds_app: Starlette, followed: Followed) -> None:
    first = api(feeds_app, "/api/feeds?all=1&limit=1")
    assert [f["id"] for f in first["feeds"]] == [followed.feed] and first["next"]
    second = api(feeds_app, first["next"].replace("http://monitor.test", ""))
    assert [f["id"] for f in second["feeds"]] == [followed.gone] and second["next"] is None
    assert get(feeds_app, "/api/feeds?all=1&limit=1").headers["x-total-count"] == "2"
    assert get(feeds_app, "/api/feeds").headers["x-total-count"] == "1"
    page1 = api(feeds_app, f"/api/feeds/{followed.feed}?limit=3")
    assert len(page1["articles"]) == 3 and page1["feed"]["id"] == followed.feed
    page2 = api(feeds_app, page1["next"].replace("http://monitor.test", ""))
    assert [a["id"] for a in page2["articles"]] == [followed.old] and page2["next"] is None
    assert page2["offset"] == 3 and page2["feed"] == page1["feed"]
    for url in ("/api/feeds/999", f"/api/feeds/{2**63}", "/api/feeds/99999999999999999999"):
        assert "error" in api(feeds_app, url, 404), url
    for url in (
        "/api/feeds?all=maybe",
        "/api/feeds?limit=0",
        f"/api/feeds/{followed.feed}?offset=-1",
    ):
        assert "error" in api(feeds_app, url, 400), url


def test_openapi_describes_feeds(feeds_app: Starlette, followed: Followed) -> None:
    schemas = api(feeds_app, "/openapi.json")["components"]["schemas"]
    feed = api(feeds_app, "/api/feeds")["feeds"][0]
    assert set(feed) == set(schemas["Feed"]["properties"])
    one = api(feeds_app, f"/api/feeds/{followed.feed}")
    assert set(one["articles"][0]) == set(schemas["Watch"]["properties"])
    assert "/api/feeds/{feed_id}" in get(feeds_app, "/api").text
