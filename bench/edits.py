"""Edit detection end to end, on pages nobody tuned monitor on: the snippet set.

    python bench/edits.py                # every page of the snippet set
    python bench/edits.py --limit 100    # the first 100

The pages of ``../shared/corpus/extraction-snippets/trafilatura-eval`` (third-party pages,
never copied into this repository; without them the benchmark says so and exits 0) are
served on 127.0.0.1, decoded as monitor decodes them and sent as UTF-8, each with an HTML
comment that changes on every request: a check never finds identical bytes, so it replays
what the watch learned. The real ``monitor check`` runs three passes over them:

1. the first check of every page: what monitor refuses to watch is listed, with the reason;
2. nothing changed: every page must be unchanged, and the count of those a replay found
   unchanged (without a full analysis) is printed;
3. one word changed inside one must-have snippet of each page, where monitor's own
   extraction of the page holds the snippet and the changed word reaches its text: every
   edited page must be changed, every other page unchanged.

It prints the counts of each pass, and each refused page, false alert and missed edit.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.extract import extract_article  # noqa: E402
from monitor.fetch import decode_html  # noqa: E402

SNIPPETS = ROOT.parent / "shared" / "corpus" / "extraction-snippets" / "trafilatura-eval"
_WORD = re.compile(r"[^\W\d_]{4,}")


class Pages:
    """The served pages by id (UTF-8 text), with a comment that changes on every request."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.served = 0
        self.lock = threading.Lock()

    def body(self, page: str) -> bytes | None:
        with self.lock:
            self.served += 1
            text = self.texts.get(page)
            return None if text is None else f"{text}<!-- request {self.served} -->".encode()


def serve(pages: Pages) -> ThreadingHTTPServer:
    """The pages on 127.0.0.1 (a free port), ``/p/<id>``, in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.body(self.path.rsplit("/", 1)[-1])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def check(config: Path) -> dict[str, dict[str, Any]]:
    """One ``monitor check`` pass: each page's JSON result by page id."""
    command = [sys.executable, "-m", "monitor", "--config", str(config), "check", "--json"]
    done = subprocess.run([*command, "--no-notify"], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"monitor check failed ({done.returncode}):\n{done.stderr[-2000:]}")
    results = (json.loads(line) for line in done.stdout.splitlines())
    return {result["url"].rsplit("/", 1)[-1]: result for result in results}


def edited(text: str, url: str, snippets: list[str], rng: random.Random) -> str | None:
    """The page with one word changed inside one of ``snippets`` that its article holds,
    where the change reaches the article's text; None if no snippet allows it."""
    before = extract_article(text, url)
    found = [s for s in snippets if s in before.text]
    rng.shuffle(found)
    for snippet in found:
        words = list(_WORD.finditer(snippet))
        if not words or snippet not in text:
            continue
        word = words[len(words) // 2]
        changed = f"{snippet[: word.start()]}Zq{word.group()[1:]}{snippet[word.end() :]}"
        page = text.replace(snippet, changed)
        if extract_article(page, url).document != before.document:
            return page
    return None


def statuses(results: dict[str, dict[str, Any]], pages: list[str]) -> Counter[str]:
    return Counter(results[p]["status"] for p in pages if p in results)


def bench(limit: int | None) -> None:
    manifest = json.loads((SNIPPETS / "manifest.json").read_text(encoding="utf-8"))["pages"]
    chosen = [page for page in manifest if page["with"]][:limit]
    texts = {
        page["id"]: decode_html((SNIPPETS / "pages" / f"{page['id']}.html").read_bytes(), None)[0]
        for page in chosen
    }
    must_haves = {page["id"]: list(page["with"]) for page in chosen}
    pages = Pages(texts)
    server = serve(pages)
    url = f"http://127.0.0.1:{server.server_address[1]}/p/"
    with tempfile.TemporaryDirectory(prefix="monitor-edits-") as folder:
        config = Path(folder) / "config.toml"
        lines = ["[monitor]", f'database = "{Path(folder) / "m.db"}"', "retries = 0"]
        lines += ['second_fetch = "0s"', "concurrency = 10", "per_host_concurrency = 10"]
        for page in texts:
            lines += ["[[watch]]", f'url = "{url}{page}"', f'name = "p{page}"']
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"edits: {len(texts)} pages of {SNIPPETS.name} with must-have snippets")

        first = check(config)
        watched = [p for p in texts if first.get(p, {}).get("status") == "new"]
        refused = [p for p in texts if p not in watched]
        print(f"pass 1, first checks: {len(watched)} watched, {len(refused)} refused")
        for page in refused:
            result = first.get(page, {})
            print(f"   refused {page}: {result.get('status')}: {result.get('error')}")

        second = check(config)
        unchanged = [p for p in watched if second[p]["status"] == "unchanged"]
        replayed = sum(bool(second[p].get("replayed")) for p in unchanged)
        print(
            f"pass 2, nothing changed: {len(unchanged)} of {len(watched)} unchanged "
            f"({replayed} by a replay); {dict(statuses(second, watched))}"
        )

        rng = random.Random(7)
        edits = set()
        for page in watched:
            changed = edited(texts[page], f"{url}{page}", must_haves[page], rng)
            if changed is not None:
                texts[page] = changed
                edits.add(page)
        third = check(config)
        detected = [p for p in edits if third[p]["status"] == "changed"]
        others = [p for p in watched if p not in edits]
        false = [p for p in others if third[p]["status"] != "unchanged"]
        print(
            f"pass 3, {len(edits)} pages edited: {len(detected)} detected, "
            f"{len(edits) - len(detected)} missed; {len(others)} not edited: "
            f"{len(false)} false alerts"
        )
        for page in sorted(edits - set(detected)):
            print(
                f"   missed {page}: {third[page]['status']}, replayed {third[page].get('replayed')}"
            )
        for page in false:
            print(f"   false alert {page}: {third[page]['status']}: {third[page].get('error')}")
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    args = parser.parse_args()
    if not (SNIPPETS / "manifest.json").exists():
        print(f"edits: {SNIPPETS} is not there; nothing to measure")
        return
    bench(args.limit)


if __name__ == "__main__":
    main()
