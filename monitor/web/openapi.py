"""The OpenAPI 3.1 description of the JSON API (/openapi.json), written by hand.

Field names and shapes are those of :mod:`monitor.store.read` (watch, version, change and
feed rows)
and :func:`monitor.report.report_to_dict` (``monitor.change/1``); tests check that every
``/api/`` route is described here.
"""

from __future__ import annotations

from typing import Any

from monitor.store.read import WATCH_FILTERS, WATCH_SORTS

_NULL_STR = {"type": ["string", "null"]}
_NULL_INT = {"type": ["integer", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(properties)
    return schema


WATCH = _object(
    {
        "id": {"type": "integer"},
        "name": _NULL_STR,
        "url": {"type": "string"},
        "source": {"type": "string", "enum": ["config", "cli", "feed"]},
        "active": {"type": "boolean"},
        "interval_s": {"type": ["number", "null"]},
        "last_check_at": _TIME,
        "last_status": _NULL_STR,
        "last_error": _NULL_STR,
        "error_streak": {"type": "integer"},
        "last_change_at": _TIME,
        "next_check_at": _TIME,
        "versions": {"type": "integer", "description": "number of stored versions"},
        "changes": {"type": "integer", "description": "number of changes"},
        "feed_id": {"type": ["integer", "null"], "description": "the feed that found it"},
        "retired_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "checked no more: past its feed schedule, or a duplicate",
        },
        "duplicate_of": {
            "type": ["integer", "null"],
            "description": "the watch of the same article (by canonical URL)",
        },
        "published_at": {
            **_TIME,
            "description": "an article found through a feed: its publication (from the feed; "
            "else when it was found)",
        },
        "feed": {
            "oneOf": [
                {"type": "null"},
                _object({"id": {"type": "integer"}, "name": _NULL_STR, "url": {"type": "string"}}),
            ],
            "description": "the feed that found it (null: a watch of the config or the CLI)",
        },
        "confidence": {
            "type": ["object", "null"],
            "description": "how sure extraction was that the current version's text is the "
            "article (level high, medium or low: uncertain), and why; null: not assessed",
            "properties": {
                "level": {"type": "string", "enum": ["high", "medium", "low"]},
                "reason": {"type": "string"},
            },
        },
        "schedule": _object(
            {
                "interval_s": {
                    "type": ["number", "null"],
                    "description": "seconds between checks now; null: retired, or the "
                    "config's default interval when the server was not given it",
                },
                "reason": {
                    "type": "string",
                    "description": "as `monitor status` says it, e.g. `age 3h: every 15m`",
                },
            }
        ),
    }
)
FEED_CHANGE = _object(
    {
        "id": {"type": "integer"},
        "detected_at": {"type": "string", "format": "date-time"},
        "field": {"type": "string", "description": "title or summary"},
        "old": _NULL_STR,
        "new": _NULL_STR,
    }
)
WATCH_DETAIL = {
    "allOf": [
        _ref("Watch"),
        _object(
            {
                "feed_changes": {
                    "type": "array",
                    "items": _ref("FeedEntryChange"),
                    "description": "the feed's changes to its entry for this article (title, "
                    "summary), newest first (the latest 100): metadata, not article changes",
                },
                "learned": {
                    "type": ["object", "null"],
                    "description": "what full analyses learned of the page (where its article "
                    "is, what churns on it), as `monitor log --json` gives it; null: nothing yet",
                },
            }
        ),
    ]
}
VERSION = _object(
    {
        "version": {"type": "integer"},
        "snapshot_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "title": {"type": "string"},
        "chars": {"type": "integer", "description": "length of the text"},
        "text_sha256": {"type": "string"},
        "extractor": {"type": "string"},
        "origin": {"type": "string", "enum": ["fetch", "reextract"]},
        "confidence": {
            "type": ["object", "null"],
            "description": "how sure extraction was that the text is the article "
            "(null: stored before monitor assessed it)",
            "properties": {
                "level": {"type": "string", "enum": ["high", "medium", "low"]},
                "reason": {"type": "string"},
            },
        },
        "metadata": {
            "type": "object",
            "description": "canonical_url, author, published_at, modified_at, language, "
            "description, site_name (only those the page declares)",
            "additionalProperties": {"type": "string"},
        },
    }
)
VERSION_TEXT = {
    "allOf": [
        _ref("Version"),
        _object(
            {
                "text": {
                    "type": "string",
                    "description": "one block (paragraph, heading, caption) per line",
                }
            }
        ),
    ]
}
CHECK = _object(
    {
        "id": {"type": "integer"},
        "watch_id": {"type": "integer"},
        "checked_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string"},
        "http_status": _NULL_INT,
        "duration_ms": {"type": "integer"},
        "error": _NULL_STR,
        "final_url": _NULL_STR,
        "size": {"type": "integer"},
        "attempts": {"type": "integer"},
        "candidate_sha256": _NULL_STR,
        "snapshot_id": _NULL_INT,
        "version": {**_NULL_INT, "description": "the number of the version the check saw"},
        "change_id": _NULL_INT,
    },
    required=False,
)
CHANGE = _object(
    {
        "id": {"type": "integer"},
        "watch_id": {"type": "integer"},
        "old_snapshot_id": _NULL_INT,
        "new_snapshot_id": {"type": "integer"},
        "detected_at": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": ["changed", "revert", "flap"]},
        "chars_added": {"type": "integer"},
        "chars_removed": {"type": "integer"},
        "share_changed": {"type": "number"},
        "silent_edit": {"type": "boolean"},
        "old_version": _NULL_INT,
        "new_version": {"type": "integer"},
        "title": {**_NULL_STR, "description": "the title of the new version"},
        "watch_name": _NULL_STR,
        "watch_url": {"type": "string"},
    }
)
_OPS = {
    "type": "array",
    "description": "[op, text]: 0 kept, -1 removed, 1 added",
    "items": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]},
}
_VERSION_REF = {
    "type": ["object", "null"],
    "properties": {
        "snapshot_id": {"type": "integer"},
        "version": {"type": "integer"},
        "created_at": {"type": "string"},
        "title": {"type": "string"},
        "modified_at": _NULL_STR,
    },
}
REPORT = _object(
    {
        "schema": {"const": "monitor.change/1"},
        "change_id": _NULL_INT,
        "detected_at": _TIME,
        "watch": _object(
            {"id": {"type": "integer"}, "name": {"type": "string"}, "url": {"type": "string"}}
        ),
        "old": _VERSION_REF,
        "new": _VERSION_REF,
        "reverted_to": _NULL_INT,
        "kind": {"type": "string"},
        "silent_edit": {"type": "boolean"},
        "stats": _object(
            {
                "chars_added": {"type": "integer"},
                "chars_removed": {"type": "integer"},
                "share_changed": {"type": "number"},
                "granularity": {"type": "string", "enum": ["token", "line"]},
            }
        ),
        "ops": _OPS,
        "hunks": {
            "type": "array",
            "items": _object(
                {
                    "lines": {
                        "type": "array",
                        "items": _object(
                            {"old_lineno": _NULL_INT, "new_lineno": _NULL_INT, "ops": _OPS}
                        ),
                    }
                }
            ),
        },
    }
)
HIT = _object(
    {
        "watch": _object({"id": {"type": "integer"}, "name": _NULL_STR, "url": {"type": "string"}}),
        "snapshot_id": {"type": "integer"},
        "version": {"type": "integer"},
        "created_at": {"type": "string"},
        "title": {"type": "string"},
        "snippet": {"type": "string"},
        "highlights": {
            "type": "array",
            "description": "[start, end) offsets of the matches in snippet",
            "items": {"type": "array", "items": {"type": "integer"}},
        },
    }
)
FEED = _object(
    {
        "id": {"type": "integer"},
        "name": _NULL_STR,
        "url": {"type": "string"},
        "source": {"type": "string", "enum": ["config", "cli"]},
        "active": {"type": "boolean", "description": "false: no longer followed"},
        "interval_s": {"type": "number", "description": "seconds between polls"},
        "last_polled_at": _TIME,
        "last_status": {
            "type": ["string", "null"],
            "description": "ok, not_modified or error; null: never polled",
        },
        "last_error": _NULL_STR,
        "last_warning": {
            "type": ["string", "null"],
            "description": "what the last good poll skipped or could not read, e.g. `12 "
            "entries on other sites skipped (feeds.feedburner.com → techcrunch.com): …`",
        },
        "any_host": {"type": "boolean", "description": "articles on other sites are watched"},
        "error_streak": {"type": "integer", "description": "failed polls in a row"},
        "entries": {"type": "integer", "description": "entries the last good poll listed"},
        "articles": {"type": "integer", "description": "watches it found"},
        "articles_active": {
            "type": "integer",
            "description": "of those, still checked (not retired nor unfollowed)",
        },
    }
)
ERROR = _object({"error": {"type": "string"}})
SCHEMAS = {
    "Watch": WATCH,
    "WatchDetail": WATCH_DETAIL,
    "FeedEntryChange": FEED_CHANGE,
    "Version": VERSION,
    "VersionWithText": VERSION_TEXT,
    "Check": CHECK,
    "Change": CHANGE,
    "ChangeReport": REPORT,
    "SearchHit": HIT,
    "Feed": FEED,
    "Error": ERROR,
}


def _param(name: str, where: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": text,
    }


WATCH_ID = _param("watch_id", "path", {"type": "integer"}, "the watch's id")
LIMIT = _param(
    "limit",
    "query",
    {"type": "integer", "minimum": 1, "maximum": 1000},
    "items per page (default 100; search 20)",
)
OFFSET = _param("offset", "query", {"type": "integer", "minimum": 0}, "items to skip")
BEFORE = _param(
    "before",
    "query",
    {"type": "integer", "minimum": 1},
    "keyset paging: only ids below this one (newest first)",
)
SHOW_ALL = _param(
    "all",
    "query",
    {"enum": ["0", "1", "false", "true"]},
    "1: also the feeds no longer followed (as `monitor feeds --all`)",
)
VERSION_N = _param("n", "path", {"type": "integer"}, "the version number (1 = first)")


def _list(key: str, item: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {
        **(extra or {}),
        key: {"type": "array", "items": _ref(item)},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "next": {"type": ["string", "null"], "description": "URL of the next page"},
    }
    return _object(properties)


def _json(schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": schema}}}


def _get(
    summary: str,
    params: list[dict[str, Any]],
    ok: dict[str, Any],
    errors: tuple[int, ...] = (400, 404),
) -> dict[str, Any]:
    responses = {"200": ok}
    texts = {400: "a bad parameter", 404: "no such watch, version, change or feed", 401: ""}
    for status in errors:
        responses[str(status)] = _json(_ref("Error"), texts[status])
    responses["401"] = _json(_ref("Error"), "a token is required: missing, or invalid")
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def paths() -> dict[str, Any]:
    """Every /api/ route: parameters and responses."""
    watch_filters = [
        _param("q", "query", {"type": "string"}, "text in the name or URL"),
        _param("status", "query", {"enum": list(WATCH_FILTERS)}, "which watches (default all)"),
        _param("sort", "query", {"enum": list(WATCH_SORTS)}, "order by (default name)"),
        _param("order", "query", {"enum": ["asc", "desc"]}, "direction"),
    ]
    diff_params = [
        WATCH_ID,
        _param("a", "path", {"type": "integer"}, "the old version number"),
        _param("b", "path", {"type": "integer"}, "the new version number"),
        _param(
            "format",
            "query",
            {"enum": ["json", "text", "markdown", "html"]},
            "json (default, monitor.change/1), text, markdown or a self-contained HTML page",
        ),
    ]
    diff_ok = {
        "description": "the diff (the stored change between the two versions, if any)",
        "content": {
            "application/json": {"schema": _ref("ChangeReport")},
            "text/plain": {"schema": {"type": "string"}},
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }
    return {
        "/api/watches": _get(
            "Watches, as `monitor status --json` (`list --json` plus `schedule`) with `feed` "
            "(header X-Total-Count: all matches)",
            [*watch_filters, LIMIT, OFFSET],
            _json(_list("watches", "Watch"), "a page of watches"),
            (400,),
        ),
        "/api/watches/{watch_id}": _get(
            "One watch, with its feed entry changes",
            [WATCH_ID],
            _json(_ref("WatchDetail"), "the watch"),
        ),
        "/api/watches/{watch_id}/versions": _get(
            "A watch's versions, as `monitor log --json` (without texts)",
            [
                WATCH_ID,
                LIMIT,
                OFFSET,
                _param("order", "query", {"enum": ["asc", "desc"]}, "asc (default): oldest first"),
            ],
            _json(_list("versions", "Version"), "a page of versions"),
        ),
        "/api/watches/{watch_id}/versions/{n}": _get(
            "One version with its text, as `monitor show --json`",
            [WATCH_ID, VERSION_N],
            _json(_ref("VersionWithText"), "the version"),
        ),
        "/api/watches/{watch_id}/checks": _get(
            "A watch's checks, newest first",
            [WATCH_ID, LIMIT, OFFSET, BEFORE],
            _json(_list("checks", "Check"), "a page of checks"),
        ),
        "/api/watches/{watch_id}/changes": _get(
            "A watch's changes, newest first",
            [WATCH_ID, LIMIT, OFFSET, BEFORE],
            _json(_list("changes", "Change"), "a page of changes"),
        ),
        "/api/watches/{watch_id}/diff/{a}/{b}": _get(
            "Version a against version b, as `monitor diff WATCH A B --format …`",
            diff_params,
            diff_ok,
        ),
        "/api/changes": _get(
            "Every watch's changes, newest first",
            [LIMIT, OFFSET, BEFORE],
            _json(_list("changes", "Change"), "a page of changes"),
            (400,),
        ),
        "/api/changes/{change_id}": _get(
            "One change with its diff, as `monitor diff --format json`",
            [_param("change_id", "path", {"type": "integer"}, "the change's id")],
            _json(_ref("ChangeReport"), "the change"),
        ),
        "/api/search": _get(
            "Versions whose title or text contain every word of q (newest first; words of "
            "3+ characters use the trigram index, shorter ones scan the latest versions)",
            [_param("q", "query", {"type": "string"}, "words to find"), LIMIT, OFFSET],
            _json(
                _list(
                    "hits",
                    "SearchHit",
                    {
                        "query": {"type": "string"},
                        "scanned": {
                            "type": "boolean",
                            "description": "true: only the latest 5,000 versions were "
                            "searched (words of 1–2 characters, or the index failed)",
                        },
                    },
                ),
                "a page of hits",
            ),
            (400,),
        ),
        "/api/feeds": _get(
            "Followed feeds, as `monitor feeds --json` (header X-Total-Count: all listed)",
            [SHOW_ALL, LIMIT, OFFSET],
            _json(_list("feeds", "Feed"), "a page of feeds"),
            (400,),
        ),
        "/api/feeds/{feed_id}": _get(
            "One feed (as `monitor feeds --json`) and the articles it found, newest "
            "published first, as /api/watches lists them",
            [_param("feed_id", "path", {"type": "integer"}, "the feed's id"), LIMIT, OFFSET],
            _json(
                _list("articles", "Watch", {"feed": _ref("Feed")}),
                "the feed and a page of its articles",
            ),
        ),
    }


def document(server_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``server_url`` is where the API is served."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "monitor",
            "version": "1",
            "description": "Read-only JSON API over monitor's database: watches, versions, "
            "checks, changes, diffs, full-text search and followed feeds. With a token "
            "configured, send Authorization: Bearer <token>.",
        },
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"token": []}],
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


def endpoints() -> list[dict[str, Any]]:
    """(path, summary, parameters) of every route, for the /api page."""
    return [
        {
            "path": path,
            "summary": item["get"]["summary"],
            "parameters": [
                {"name": p["name"], "in": p["in"], "description": p["description"]}
                for p in item["get"]["parameters"]
            ],
        }
        for path, item in paths().items()
    ]
