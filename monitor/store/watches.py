"""Watched URLs and their state: the ``watches`` table, and the config.toml entries and
`monitor add` calls that make its rows.

:class:`WatchReader` only reads; :class:`Watches` also writes. Names are unique: a feed
article gets ``title``, else ``title (2)``, ``(3)``... (:class:`Names`); config.toml and
`monitor add` names win over feed titles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from monitor.config import Config, Rules, WatchConfig
from monitor.errors import ConfigError, UsageError
from monitor.models import CheckStatus
from monitor.store.database import Database, is_row_id
from monitor.store.records import (
    CheckRecord,
    FailureState,
    Watch,
    rules_json,
    utcnow,
    watch_from_row,
)
from monitor.urls import canonical_key, url_key

MAX_NAME = 80
#: What a feed article becomes when config.toml or `monitor add` takes its URL: an ordinary
#: watch, checked on its interval (the dispatcher of feed articles no longer sees it).
ADOPTED = {"feed_id": None, "retired_at": None, "duplicate_of": None}


class Requested(NamedTuple):
    """What decides how a watch's page is requested: its URL, and the feed that found it."""

    url: str
    feed_id: int | None


class Queued(NamedTuple):
    """A watch waiting for its check, without its row (read when the check starts)."""

    id: int
    url: str
    feed_id: int | None
    is_new: bool  # no version stored yet: its first check

    @classmethod
    def of(cls, watch: Watch) -> Queued:
        return cls(watch.id, watch.url, watch.feed_id, watch.current_snapshot_id is None)


class Scheduled(NamedTuple):
    """What a daemon's schedule needs of a watch checked on an interval (its row is read
    when its check starts)."""

    id: int
    url: str
    name: str | None
    interval: float | None
    next_check_at: str | None

    @property
    def label(self) -> str:
        return self.name or self.url


class WatchReader:
    """Reads watches."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db

    def get(self, watch_id: int) -> Watch:
        """The watch with this id."""
        row = self.database.row("watches", "id = ?", [watch_id]) if is_row_id(watch_id) else None
        if row is None:
            raise UsageError(f"no watch with id {watch_id}")
        return watch_from_row(row)

    def find(self, ref: str) -> Watch:
        """A watch by name, id or URL."""
        row = self.database.row("watches", "name = ? OR url = ?", [ref, ref])
        if row is None and "://" in ref:  # with ?utm_source=… or a #fragment
            row = self.database.row("watches", "url_key = ? ORDER BY active DESC", [url_key(ref)])
        if row is None and ref.isascii() and ref.isdigit() and is_row_id(int(ref)):
            row = self.database.row("watches", "id = ?", [int(ref)])
        if row is None:
            what = "with id or name" if ref.isdigit() else "named"
            raise UsageError(
                f"no watch {what} {ref!r} (give a name, id or URL; see `monitor list`)"
            )
        return watch_from_row(row)

    def all(self, *, active_only: bool = True) -> list[Watch]:
        """All watches, in id order."""
        where = "WHERE active = 1" if active_only else ""
        rows = self.db.query(f"SELECT * FROM watches {where} ORDER BY id")
        return [watch_from_row(r) for r in rows]

    def queued(self) -> list[Queued]:
        """The active watches in id order, a few columns each: what a pass over all of them
        needs up front (10,000 rows of a few bytes, not 10,000 watches of 9 kB each)."""
        rows = self.db.execute(
            "SELECT id, url, feed_id, current_snapshot_id IS NULL FROM watches "
            "WHERE active = 1 ORDER BY id"
        ).fetchall()
        return [Queued(row[0], row[1], row[2], bool(row[3])) for row in rows]

    def requested(self) -> list[Requested]:
        """The active watches' URLs and feeds, without the rest of their rows (a daemon
        choosing its extraction workers at start: 20 ms at 10,000 watches, not 170)."""
        rows = self.db.query("SELECT url, feed_id FROM watches WHERE active = 1 ORDER BY id")
        return [Requested(row["url"], row["feed_id"]) for row in rows]

    def interval_watches(self) -> list[Scheduled]:
        """The active watches checked on a fixed interval (not found through a feed), a few
        columns each: a daemon reconciles its schedule with them every half minute, and
        10,000 whole rows cost 220-260 ms of its event loop and 66 MB each time (25-34 ms
        and 2 MB so)."""
        rows = self.db.execute(
            "SELECT id, url, name, interval_s, next_check_at FROM watches "
            "WHERE active = 1 AND feed_id IS NULL ORDER BY id"
        ).fetchall()
        return [Scheduled(*row) for row in rows]

    def counts(self) -> dict[int, tuple[int, int]]:
        """Per watch id: (number of versions, number of changes)."""
        rows = self.db.query(
            "SELECT w.id, (SELECT count(*) FROM snapshots s WHERE s.watch_id = w.id) AS v, "
            "(SELECT count(*) FROM changes c WHERE c.watch_id = w.id) AS c FROM watches w"
        )
        return {r["id"]: (r["v"], r["c"]) for r in rows}


class Watches(WatchReader):
    """Reads and writes watches."""

    def add(
        self,
        url: str,
        *,
        name: str | None = None,
        interval: float | None = None,
        rules: Rules | None = None,
        source: str = "cli",
    ) -> Watch:
        """Add a watch. A URL or name that is already watched is a UsageError (see
        :meth:`check_addable`). An article a feed found (the same URL key: ``?utm_source=...``
        and the fragment aside) becomes an ordinary watch of ``url`` (checked on its
        interval, never retired), its history kept; a name a feed article holds is taken
        from it (it gets ``name (2)``)."""
        with self.database.transaction():
            watch_id = self.insert(url, name, interval, rules or Rules(), source)
        return self.get(watch_id)

    def insert(
        self,
        url: str,
        name: str | None,
        interval: float | None,
        rules: Rules,
        source: str,
        *,
        new_only: bool = False,
    ) -> int:
        """:meth:`add` in the caller's transaction; with ``new_only``, an article a feed
        found is refused instead of adopted. The watch's id."""
        existing, holder = self.check_addable(url, name)
        if existing is not None and new_only:
            raise UsageError(f"{url} is an article a feed found: adopt it, do not add it")
        row = {
            "url": url,
            "url_key": url_key(url),
            "name": name,
            "interval_s": interval,
            "rules_json": rules_json(rules),
            "source": source,
            "active": 1,
        }
        if holder is not None and (existing is None or holder["id"] != existing["id"]):
            self._rename_feed_watch(holder["id"], str(name))
        if existing is None:
            return self.database.insert("watches", {**row, "created_at": utcnow()})
        row["name"] = name or existing["name"]
        self.database.update("watches", existing["id"], {**row, **ADOPTED})
        return int(existing["id"])

    def check_addable(
        self, url: str, name: str | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Refuse (UsageError) a URL already watched, under any URL with its URL key (the
        same article with ``?utm_source=...`` or a ``#fragment``), and a name another watch
        has; articles a feed found are adopted, not refused. The row of the feed article
        ``url`` is (or None) and of the feed article holding ``name`` (or None)."""
        existing = self.database.row(
            "watches",
            "url = ? OR url_key = ? ORDER BY feed_id IS NOT NULL, url = ? DESC, id",
            [url, url_key(url), url],
        )
        if existing is not None and existing["feed_id"] is None and not _removed(existing):
            named = f" ({existing['name']})" if existing["name"] else ""
            label = f"watch {existing['id']}{named}"
            raise UsageError(f"{url} is already watched as {label}: {existing['url']}")
        holder = self.database.row("watches", "name = ?", [name]) if name is not None else None
        itself = existing is not None and holder is not None and holder["id"] == existing["id"]
        if holder is not None and holder["source"] != "feed" and not itself:
            raise UsageError(
                f"the name {name!r} is taken by watch {holder['id']} ({holder['url']}): "
                "give another --name"
            )
        return existing, holder

    def remove(self, watch: Watch) -> None:
        """Check ``watch`` no more (`monitor remove`); its versions, checks and changes stay,
        and `monitor add` of its URL watches it again with them."""
        with self.database.transaction():
            # an article a feed found is retired too: its feed taken back into service
            # does not bring it back
            self.db.execute(
                "UPDATE watches SET active = 0, next_check_at = NULL, retired_at = CASE WHEN "
                "feed_id IS NULL THEN retired_at ELSE coalesce(retired_at, ?) END WHERE id = ?",
                [utcnow(), watch.id],
            )

    def purge(self, watch: Watch) -> dict[str, int]:
        """Delete ``watch`` and everything stored of it, in one transaction (`monitor remove
        --purge`); how many rows of each kind went."""
        counts: dict[str, int] = {}
        with self.database.transaction():
            self.db.execute(
                "UPDATE watches SET current_snapshot_id = NULL WHERE id = ?", [watch.id]
            )
            for table in ("outbox", "feed_entry_changes", "checks", "changes", "snapshots"):
                cursor = self.db.execute(f"DELETE FROM {table} WHERE watch_id = ?", [watch.id])
                counts[table] = cursor.rowcount
            self.db.execute(
                "UPDATE watches SET duplicate_of = NULL WHERE duplicate_of = ?", [watch.id]
            )
            self.db.execute("DELETE FROM watches WHERE id = ?", [watch.id])
        return counts

    def drop_unread_page(self, url: str) -> int | None:
        """Deactivate the watch `monitor add` made of ``url`` if it never stored a version
        (its site's feed is followed instead; its checks stay). Its id, or None."""
        row = self.db.execute(
            "SELECT id FROM watches WHERE url = ? AND source = 'cli' AND active = 1 "
            "AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.watch_id = watches.id)",
            [url],
        ).fetchone()
        if row is None:
            return None
        with self.database.transaction():
            self.db.execute("UPDATE watches SET active = 0 WHERE id = ?", [row[0]])
        return int(row[0])

    def set_next_check(self, watch_id: int, when: str | None) -> None:
        """Record when a watch is next due."""
        with self.database.transaction():
            self.database.update("watches", watch_id, {"next_check_at": when})

    def forget_learned(self, watch_id: int) -> None:
        """Forget what the watch learned: its next check analyses the page in full and
        fetches it twice, as a first check does."""
        with self.database.transaction():
            self.db.execute(
                "UPDATE watches SET learned_json = NULL, learned_at = NULL WHERE id = ?",
                [watch_id],
            )

    def set_baseline(self, watch_id: int, snapshot_id: int) -> None:
        """A version that is the watch's new baseline without a check (a re-extraction)."""
        self.db.execute(
            "UPDATE watches SET current_snapshot_id = ?, content_key = NULL WHERE id = ?",
            [snapshot_id, watch_id],
        )

    def update_state(self, record: CheckRecord, snapshot_id: int | None) -> None:
        """The columns of ``watches`` a check updates (in the check's transaction)."""
        sets, params = [], []
        for column, value in _watch_state(record, snapshot_id).items():
            if value is _INCREMENT:
                sets.append(f"{column} = {column} + 1")
            elif isinstance(value, _Kept):
                sets.append(f"{column} = coalesce({column}, ?)")
                params.append(value.value)
            else:
                sets.append(f"{column} = ?")
                params.append(value)
        self.db.execute(
            f"UPDATE watches SET {', '.join(sets)} WHERE id = ?", [*params, record.watch_id]
        )

    # -- config.toml ------------------------------------------------------------------------

    def sync_config(self, config: Config, *, deactivate: bool = True) -> None:
        """Make the watches of config.toml match the file: add, update and (with
        ``deactivate``) deactivate the ones no longer in it. Writes only what differs. An
        entry whose URL is not watched but whose URL key is an article a feed found adopts
        that article (its URL becomes the entry's)."""
        rows = {r["url"]: r for r in self.db.query("SELECT * FROM watches")}
        matched = _matched(config, rows)
        default = config.settings.interval
        wanted = {
            w.url: {**_config_values(w, matched.get(w.url), default), "url": w.url}
            for w in config.watches
        }
        updates = [
            (matched[url]["id"], _keeping_as_added(matched[url], values))
            for url, values in wanted.items()
            if url in matched and any(matched[url][k] != v for k, v in values.items())
        ]
        named = {values["name"] for values in wanted.values() if values["name"]}
        updates += [  # without a config file read (``deactivate`` off), no entry was removed
            (row["id"], as_added)
            for url, row in rows.items()
            if deactivate
            and url not in wanted
            and (as_added := _as_added(row, rows, named)) is not None
        ]
        inserts = [(url, values) for url, values in wanted.items() if url not in matched]
        stale = [
            row["id"]
            for url, row in rows.items()
            if deactivate and row["source"] == "config" and row["active"] and url not in wanted
        ]
        released, renamed = _names_to_release(config, wanted, rows)
        if not (updates or inserts or stale or released or renamed):
            return  # nothing to write: no write lock taken (a read-only file is fine)
        with self.database.transaction():
            for watch_id in released:
                self.db.execute("UPDATE watches SET name = NULL WHERE id = ?", [watch_id])
            names = Names(self.db, {w.name for w in config.watches if w.name})
            for watch_id, name in renamed:
                self._rename_feed_watch(watch_id, name, names)
            for watch_id in stale:
                self.db.execute(  # not checked any more: no next check to show
                    "UPDATE watches SET active = 0, next_check_at = NULL WHERE id = ?", [watch_id]
                )
            for watch_id, values in updates:
                self.database.update("watches", watch_id, values)
            for url, values in inserts:
                row = {"url_key": url_key(url), "created_at": utcnow(), **values}
                self.database.insert("watches", row)

    def _rename_feed_watch(self, watch_id: int, name: str, names: Names | None = None) -> None:
        """Give a feed article whose name config.toml or `monitor add` wants another one
        (from ``names``, which knows the names reserved for others)."""
        free = (names or Names(self.db)).allocate(name)
        self.db.execute("UPDATE watches SET name = ? WHERE id = ?", [free, watch_id])


#: What a config.toml entry sets of a watch added with `monitor add`, kept to be put back.
_AS_ADDED = ("name", "interval_s", "rules_json")


def _keeping_as_added(row: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for a watch an entry now sets, with what a watch added with `monitor add`
    had before the first entry did (``added_json``; an article a feed found that an entry
    names becomes the entry's watch instead)."""
    if row["source"] == "config" or row["added_json"] is not None or values["source"] == "config":
        return values
    return {**values, "added_json": json.dumps({k: row[k] for k in _AS_ADDED})}


def _as_added(
    row: dict[str, Any], rows: dict[str, dict[str, Any]], named: set[str]
) -> dict[str, Any] | None:
    """What puts back a watch whose config.toml entry was removed as it was added (its name
    only if no other watch has it, and config.toml gives it to none: ``named``); None for
    a watch no entry changed."""
    if row["added_json"] is None or row["source"] == "config":
        return None
    added = json.loads(row["added_json"])
    taken = named | {other["name"] for other in rows.values() if other["id"] != row["id"]}
    if added.get("name") in taken:
        added.pop("name")
    return {**{k: v for k, v in added.items() if k in _AS_ADDED}, "added_json": None}


# -- names ----------------------------------------------------------------------------------


def base_name(title: str) -> str:
    """The name a feed article titled ``title`` gets before clash numbering: shortened, and
    never one that reads as a watch id or a URL (``1`` -> ``1 (article)``)."""
    base = " ".join(title.split())[:MAX_NAME].rstrip() or "article"
    if base.isdigit() or "://" in base or base.lower().startswith("www."):
        base = f"{base} (article)"
    return base


class Names:
    """Free watch names for feed articles: ``title``, else ``title (2)``, ``(3)``... One
    indexed query per distinct title; every name given out (and every ``reserved`` one, e.g.
    the names config.toml wants) is taken for the rest, whatever title it came from."""

    def __init__(self, db: Any, reserved: Iterable[str] = ()) -> None:
        self.db = db
        self.allocated: set[str] = set(reserved)
        self._taken: dict[str, set[str]] = {}  # per base: the names in the database
        self._next: dict[str, int] = {}  # per base: every lower number is taken

    def allocate(self, title: str) -> str:
        """A free name for ``title``, taken from now on."""
        base = base_name(title)
        if base not in self._taken:
            self._taken[base] = taken_names(self.db, base)
        taken, number = self._taken[base], self._next.get(base, 1)
        name = base if number == 1 else f"{base} ({number})"
        while name in taken or name in self.allocated:
            number += 1
            name = f"{base} ({number})"
        self.allocated.add(name)
        self._next[base] = number
        return name


def taken_names(db: Any, base: str) -> set[str]:
    """The names in use that are ``base`` or ``base (...)`` (the UNIQUE index on name)."""
    rows = db.execute(
        "SELECT name FROM watches WHERE name = ? OR (name >= ? AND name < ?)",
        [base, f"{base} (", f"{base} )"],
    )
    return {r[0] for r in rows}


def free_name(db: Any, base: str, reserved: Iterable[str] = ()) -> str:
    """``base``, else the first free ``base (n)`` that is not ``reserved`` either."""
    return Names(db, reserved).allocate(base)


# -- config.toml entries --------------------------------------------------------------------


def _matched(config: Config, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The watch each config.toml entry is: the one with its URL, else the oldest article a
    feed found with its URL key (each adopted by one entry at most)."""
    exact = {entry.url for entry in config.watches if entry.url in rows}
    articles: dict[str, dict[str, Any]] = {}
    for row in sorted(rows.values(), key=lambda r: r["id"]):
        if row["feed_id"] is not None and row["url_key"] and row["url"] not in exact:
            articles.setdefault(row["url_key"], row)
    matched: dict[str, dict[str, Any]] = {}
    for entry in config.watches:
        found = rows.get(entry.url) or articles.pop(url_key(entry.url), None)
        if found is not None:
            matched[entry.url] = found
    return matched


def _names_to_release(
    config: Config, wanted: dict[str, dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> tuple[list[int], list[tuple[int, str]]]:
    """Watches whose name config.toml now gives to another URL: they keep their history,
    findable by URL or id (a feed article gets ``name (2)``: config names win over feed
    titles). A name held by a watch added with `monitor add` is an error."""
    holders = {row["name"]: row for row in rows.values() if row["name"]}
    released, renamed = [], []
    for url, values in wanted.items():
        holder = holders.get(values["name"]) if values["name"] else None
        if holder is None or holder["url"] == url:
            continue
        if holder["source"] == "feed" and holder["url"] not in wanted:
            renamed.append((holder["id"], str(values["name"])))
            continue
        if holder["source"] != "config" and holder["active"] and holder["url"] not in wanted:
            raise ConfigError(
                f"the name {values['name']!r} belongs to watch {holder['id']} "
                f"({holder['url']}), added with `monitor add`",
                path=config.path,
                key="watch.name",
            )
        released.append(holder["id"])
    return released, renamed


def _config_values(
    entry: WatchConfig, existing: dict[str, Any] | None, default_interval: float
) -> dict[str, Any]:
    """The columns of ``watches`` that a config.toml entry sets, its interval the one it is
    checked on (its own, else the config's), so what the database says is what the daemon
    does. A watch added with `monitor add` stays one (removing the entry later does not
    deactivate it), and keeps its name unless the entry gives one."""
    values: dict[str, Any] = {
        "name": entry.name,
        "interval_s": entry.interval or default_interval,
        "rules_json": rules_json(entry.rules),
        "source": "config",
        "active": 1,
    }
    if existing is not None and existing["feed_id"] is not None:
        values.update(ADOPTED)  # a feed article config.toml now names: an ordinary watch
        if entry.name is None:
            values["name"] = existing["name"]
    elif existing is not None and existing["source"] != "config":
        values["source"] = existing["source"]
        if entry.name is None:
            values["name"] = existing["name"]
    return values


# -- what a check changes -------------------------------------------------------------------

#: Marks a column update as ``column + 1``.
_INCREMENT = object()


class _Kept(NamedTuple):
    """Marks a column update as ``coalesce(column, value)``: what is stored already stays."""

    value: Any


def _watch_state(record: CheckRecord, snapshot_id: int | None) -> dict[str, Any]:
    """The columns of ``watches`` a check updates."""
    status = record.status
    state: dict[str, Any] = {
        "last_check_at": record.checked_at,
        "last_status": status.value,
        "last_error": record.error,
    }
    if record.next_check_at is not None:
        state["next_check_at"] = record.next_check_at
    if status.is_error:
        state["error_streak"] = _INCREMENT
        gone = status is CheckStatus.GONE or (
            status is CheckStatus.HTTP_ERROR and record.http_status in (404, 410)
        )
        state["gone_streak"] = _INCREMENT if gone else 0
        state["failing_since"] = _Kept(record.checked_at)  # the first failed check
    else:
        state.update(_good_state(record, snapshot_id))
    if record.failure is not None:
        state.update(_failure_state(record.status, record.failure))
    if record.learned is not None:
        state["learned_json"] = record.learned or None
        state["learned_at"] = record.checked_at if record.learned else None
    if record.retired_at is not None:
        state.update(
            active=0,
            retired_at=record.retired_at,
            next_check_at=None,
            duplicate_of=record.duplicate_of,
        )
    return state


def _failure_state(status: CheckStatus, failure: FailureState) -> dict[str, Any]:
    """The failure columns a check sets. A failed check keeps the start and the notice of
    the failure that another process (`monitor check` beside the daemon) may have stored
    since this check read the watch: a stale read never makes a told failure untold (to
    be told again by the next check)."""
    if status.is_error:
        return {"failing_since": _Kept(failure.since), "failing_told_at": _Kept(failure.told_at)}
    return {"recovered_at": failure.recovered_at}


def _good_state(record: CheckRecord, snapshot_id: int | None) -> dict[str, Any]:
    """The columns a check that saw the article updates."""
    state: dict[str, Any] = {
        "error_streak": 0,
        "gone_streak": 0,
        "failing_since": None,  # a good check ends the failure, whoever decided the check
        "failing_told_at": None,
    }
    if snapshot_id is not None:
        state["current_snapshot_id"] = snapshot_id
    if record.status is not CheckStatus.NOT_MODIFIED:
        state.update(
            etag=record.etag, last_modified=record.last_modified, content_key=record.content_key
        )
    if record.change is not None:
        state["last_change_at"] = record.checked_at
    if record.new_snapshot is not None:
        state["canonical_key"] = canonical_key(record.new_snapshot.metadata.canonical_url)
    return state


def _removed(row: dict[str, Any]) -> bool:
    """A watch `monitor remove` (or a followed feed) stopped: `monitor add` of its URL watches
    it again, its history kept."""
    return not row["active"] and row["source"] == "cli"
