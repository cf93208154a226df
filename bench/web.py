"""Web UI latency: every page and API route of `monitor serve` over a large database.

    python bench/web.py                       # 1,000 watches x 50 versions, 20 requests each
    python bench/web.py --watches 200 --versions 10 --requests 10 --db /tmp/web.db

Builds (once, or reuses with --db) a database of WATCHES watches with VERSIONS versions each
(half Japanese, half English articles made from the sample site's sentences, about 2,000
characters; every version edits one or two paragraphs of the previous one), a change row
per new version whose diff_json is computed by monitor's real differ, three checks per
version (some of them errors) and the FTS5 trigram index the store's triggers maintain.
Then it requests every route through httpx.ASGITransport and prints the median and 95th
percentile in milliseconds. Asserts nothing; the target is < 100 ms for every page.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import random
import statistics
import tempfile
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from monitor.diff import diff_texts
from monitor.samplesite import article_text, load_article
from monitor.store import Store
from monitor.web import create_app

START = 1_767_225_600  # 2026-01-01T00:00:00Z
EXTRA_WORDS = ("値上げ", "専門家", "revised", "correction", "訂正", "update", "2000人", "31,000")


def _sentences(name: str) -> list[str]:
    text = article_text(load_article(name))
    parts = text.replace("。", "。\n").replace(". ", ".\n").splitlines()
    return [part.strip() for part in parts if len(part) > 15]


SENTENCES = {"ja": _sentences("ja"), "en": _sentences("en")}


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))


def article_versions(seed: int, count: int) -> list[tuple[str, str, str]]:
    """(language, title, text) of ``count`` successive versions of one article."""
    rng = random.Random(seed)
    lang = "ja" if seed % 2 else "en"
    pool = SENTENCES[lang]
    glue = "" if lang == "ja" else " "
    paragraphs = [glue.join(rng.sample(pool, 2)) for _ in range(rng.randint(6, 10))]
    title = f"{rng.choice(pool)[:60]} #{seed}"
    versions = []
    for _ in range(count):
        versions.append((lang, title, "\n".join(paragraphs)))
        index = rng.randrange(len(paragraphs))
        word = rng.choice(EXTRA_WORDS)
        paragraphs[index] = (
            paragraphs[index].replace(rng.choice(["の", "the", "、", " a "]), f" {word} ", 1)
            + glue
            + word
        )
        if rng.random() < 0.2:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), rng.choice(pool))
    return versions


def watch_rows(seed: int, count: int) -> dict[str, Any]:
    """Everything stored for one watch: versions with texts, and the diffs between them."""
    versions = article_versions(seed, count)
    diffs = []
    for (_, old_title, old), (_, new_title, new) in itertools.pairwise(versions):
        diff = diff_texts(f"{old_title}\n{old}", f"{new_title}\n{new}")
        diffs.append(
            (
                diff.chars_added,
                diff.chars_removed,
                diff.share_changed,
                json.dumps(
                    {"granularity": diff.granularity, "ops": [[o.op, o.text] for o in diff.ops]},
                    ensure_ascii=False,
                ),
            )
        )
    return {"seed": seed, "versions": versions, "diffs": diffs}


def _generate(watches: int, versions: int) -> Iterator[dict[str, Any]]:
    with ProcessPoolExecutor() as pool:
        yield from pool.map(watch_rows, range(1, watches + 1), [versions] * watches, chunksize=8)


class Builder:
    """Writes generated watches straight into a fresh database (explicit ids, one
    transaction per watch); the store's triggers keep the FTS index up to date."""

    def __init__(self, store: Store) -> None:
        self.conn = store.db.conn
        self.snapshot_id = self.change_id = self.check_id = 0

    def add(self, data: dict[str, Any]) -> None:
        seed, versions, diffs = data["seed"], data["versions"], data["diffs"]
        base = START + seed * 60
        with self.conn:
            ids = [self._snapshot(seed, v, base, row) for v, row in enumerate(versions, 1)]
            change_ids = [None] + [
                self._change(seed, ids[i], ids[i + 1], base + (i + 2) * 3600, diff)
                for i, diff in enumerate(diffs)
            ]
            for version, (snapshot_id, change_id) in enumerate(zip(ids, change_ids, strict=True)):
                self._checks(seed, version + 1, snapshot_id, change_id, base)
            self._watch(seed, ids[-1], base, len(versions))

    def _snapshot(self, seed: int, version: int, base: int, row: tuple[str, str, str]) -> int:
        lang, title, text = row
        self.snapshot_id += 1
        url = f"https://news{seed % 37}.example.com/{lang}/2026/article-{seed}"
        metadata = {
            "canonical_url": url,
            "author": "記者 山田" if lang == "ja" else "Jane Doe",
            "published_at": _iso(base),
            "modified_at": _iso(base + version * 3600),
            "language": lang,
        }
        page = (
            f"<html><body><h1>{title}</h1><p>{text.replace(chr(10), '</p><p>')}</p></body></html>"
        )
        self.conn.execute(
            "INSERT INTO snapshots (id, watch_id, version, created_at, title, text, text_sha256,"
            " metadata_json, final_url, extractor, html_gz, html_encoding, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'generic', ?, 'utf-8', 'fetch')",
            [
                self.snapshot_id,
                seed,
                version,
                _iso(base + version * 3600),
                title,
                text,
                hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
                json.dumps(metadata, ensure_ascii=False),
                url,
                zlib.compress(page.encode(), 6),
            ],
        )
        return self.snapshot_id

    def _change(self, seed: int, old: int, new: int, when: int, diff: tuple[Any, ...]) -> int:
        self.change_id += 1
        added, removed, share, diff_json = diff
        self.conn.execute(
            "INSERT INTO changes (id, watch_id, old_snapshot_id, new_snapshot_id, detected_at,"
            " kind, chars_added, chars_removed, share_changed, silent_edit, diff_json)"
            " VALUES (?, ?, ?, ?, ?, 'changed', ?, ?, ?, ?, ?)",
            [
                self.change_id,
                seed,
                old,
                new,
                _iso(when),
                added,
                removed,
                share,
                int(self.change_id % 7 == 0),
                diff_json,
            ],
        )
        return self.change_id

    def _checks(
        self, seed: int, version: int, snapshot: int, change: int | None, base: int
    ) -> None:
        when = base + version * 3600
        rows = [
            (when, "new" if version == 1 else "changed", 200, None, snapshot, change),
            (when + 1200, "not_modified", 304, None, snapshot, None),
        ]
        if (seed + version) % 5 == 0:
            rows.append(
                (when + 2400, "http_error", 503, "HTTP 503 Service Unavailable", None, None)
            )
        else:
            rows.append((when + 2400, "unchanged", 200, None, snapshot, None))
        for at, status, http, error, snapshot_id, change_id in rows:
            self.check_id += 1
            self.conn.execute(
                "INSERT INTO checks (id, watch_id, checked_at, status, http_status, duration_ms,"
                " error, final_url, size, attempts, snapshot_id, change_id)"
                " VALUES (?, ?, ?, ?, ?, 120, ?, NULL, 40000, 1, ?, ?)",
                [self.check_id, seed, _iso(at), status, http, error, snapshot_id, change_id],
            )

    def _watch(self, seed: int, current: int, base: int, versions: int) -> None:
        failing = seed % 20 == 0
        last = base + versions * 3600 + 2400
        self.conn.execute(
            "INSERT INTO watches (id, url, name, source, active, created_at, current_snapshot_id,"
            " last_check_at, last_status, last_error, error_streak, next_check_at,"
            " last_change_at) VALUES (?, ?, ?, 'config', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                seed,
                f"https://news{seed % 37}.example.com/2026/article-{seed}",
                f"article-{seed:05d}",
                int(seed % 50 != 0),
                _iso(base),
                current,
                _iso(last),
                "http_error" if failing else "unchanged",
                "HTTP 503 Service Unavailable" if failing else None,
                3 if failing else 0,
                _iso(last + 3600),
                _iso(base + versions * 3600),
            ],
        )


def build(path: Path, watches: int, versions: int) -> None:
    """A database of ``watches`` x ``versions`` generated articles."""
    started = time.perf_counter()
    with Store(path) as store:
        store.db.execute("PRAGMA foreign_keys = OFF")  # watches are written after their rows
        builder = Builder(store)
        for done, data in enumerate(_generate(watches, versions), 1):
            builder.add(data)
            if done % 100 == 0:
                print(f"  {done} watches, {builder.snapshot_id} versions", flush=True)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size / 1e6
    print(f"built {path} in {time.perf_counter() - started:.0f} s ({size:.0f} MB)")


def routes(watches: int, versions: int) -> list[str]:
    """The routes to time, on a watch in the middle of the database."""
    w, v, last_change = watches // 2 + 1, versions, watches * (versions - 1) // 2
    return [
        "/",
        "/?sort=last_change",
        "/?q=article-004",
        "/?status=failing&sort=errors",
        f"/watches/{w}",
        f"/watches/{w}?cpage=3",
        f"/watches/{w}/diff/{v - 1}/{v}",
        f"/watches/{w}/diff/{v - 1}/{v}?view=side",
        f"/watches/{w}/diff/1/{v}",
        f"/watches/{w}/versions/{v}",
        f"/watches/{w}/versions/{v}/raw",
        "/changes",
        f"/changes?before={last_change}",
        "/changes/1",
        "/search?q=値上げ",
        "/search?q=専門家",
        "/search?q=値上",
        "/search?q=correction",
        "/search?q=zzzqqq",
        "/feed.atom",
        "/feed.atom?limit=200",
        f"/watches/{w}/feed.atom",
        "/api",
        "/api/watches",
        "/api/watches?limit=1000",
        f"/api/watches/{w}",
        f"/api/watches/{w}/versions",
        f"/api/watches/{w}/versions/{v}",
        f"/api/watches/{w}/checks",
        f"/api/watches/{w}/changes",
        "/api/changes",
        f"/api/changes/{last_change}",
        f"/api/watches/{w}/diff/1/{v}?format=json",
        f"/api/watches/{w}/diff/1/{v}?format=html",
        "/api/search?q=値上げ",
        "/openapi.json",
    ]


async def measure(
    path: Path, urls: list[str], requests: int
) -> list[tuple[str, int, float, float]]:
    """(url, status, median ms, p95 ms) of each URL over ``requests`` requests."""
    app = create_app(path)
    results = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        for url in urls:
            await client.get(url)  # warm up: templates, SQLite's pages, the app's diff cache
            times, status = [], 0
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                status = response.status_code
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            results.append((url, status, statistics.median(times), p95))
    app.state.pool.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=50, help="versions per watch")
    parser.add_argument("--requests", type=int, default=20, help="requests per route")
    parser.add_argument("--db", type=Path, help="database to build or reuse (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "web.db"
        if not path.exists():
            build(path, args.watches, args.versions)
        results = asyncio.run(measure(path, routes(args.watches, args.versions), args.requests))
    width = max(len(url) for url, *_ in results)
    print(f"\n{'route':<{width}}  status  median ms  p95 ms")
    for url, status, median, p95 in results:
        print(f"{url:<{width}}  {status:>6}  {median:>9.1f}  {p95:>6.1f}")
    slow = [url for url, _, median, _ in results if median >= 100]
    print(f"\n{len(results)} routes; median >= 100 ms: {', '.join(slow) or 'none'}")


if __name__ == "__main__":
    main()
