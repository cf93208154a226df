"""What a rendered check costs (render = "browser"), on two farms on 127.0.0.1, beside urlwatch's
browser jobs from the same run. Run by hand; prints figures, asserts nothing.

    python bench/render.py                   # both farms, urlwatch beside
    python bench/render.py --checks 40 --watches 50 --concurrency 4 --duration 90

Farms: ``app`` serves app shells whose script fetches the article (the sample site's English
and Japanese articles) from a JSON API, as a JavaScript news site does; ``wordpress`` serves
the throughput farm's server-rendered WordPress pages (40-100 kB, comments, sidebars), here
rendered in the browser all the same. Each farm runs in a child process of its own.

1. One rendered check (``Checker.check`` with ``render = "browser"``, the browser already
   running): wall and CPU time, median and p95, CPU counted over the whole process tree
   (this process, Playwright's driver, Chromium and its renderers; the farm left out).
2. ``monitor run`` with ``--watches`` rendered watches checked back to back at
   ``--concurrency`` renders at once for ``--duration`` seconds: checks done, and the peak
   memory of the daemon's whole process tree (PSS summed: shared pages counted once; RSS
   summed, which counts them in every process, beside it); then SIGTERM, and whether any
   browser process is left.
3. urlwatch 2.29's browser jobs (one Chromium launched per job), the same pages: one job's
   wall and CPU (its whole process, median and p95 of single-job runs), and a run of all
   ``--watches`` jobs (its peak memory). urlwatch and Playwright are installed into
   ``~/.cache/monitor-bench/urlwatch-venv``; its Playwright gets Debian's Chromium through a
   PLAYWRIGHT_BROWSERS_PATH of symlinks (no browser download).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from farm import Farm
from throughput import urlwatch_command

from monitor import samplesite
from monitor.config import Config, Rules, Settings, SiteRule
from monitor.fetch import Fetcher
from monitor.pipeline import Checker
from monitor.request import RequestOptions
from monitor.store import Store

TICK = os.sysconf("SC_CLK_TCK")
SHELL = """<!doctype html><html><head><meta charset="utf-8"><title>News</title>
<script defer src="/app.js"></script></head><body><header><a href="/">News</a></header>
<div id="root"></div><footer>&copy; News</footer></body></html>"""
APP_JS = """fetch('/api/' + location.pathname.split('/').pop()).then(r => r.json()).then(d => {
  const a = document.createElement('article'), h = document.createElement('h1');
  h.textContent = d.title; a.appendChild(h);
  for (const t of d.paragraphs) { const p = document.createElement('p'); p.textContent = t;
    a.appendChild(p); }
  document.getElementById('root').appendChild(a); document.title = d.title + ' | News';
});"""


# --- the app-shell farm ------------------------------------------------------------------


def _articles() -> list[tuple[str, list[str]]]:
    found = []
    for name in samplesite.SAMPLE_NAMES:
        article = samplesite.load_article(name)
        found.append((article.title, [b.text for b in article.blocks if b.kind == "p"]))
    return found


def _serve_app(port: multiprocessing.Queue[int]) -> None:  # type: ignore[type-arg]
    articles = _articles()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/app.js":
                self._send(APP_JS.encode(), "text/javascript")
            elif self.path.startswith("/api/"):
                number = int(self.path.rsplit("/", 1)[1])
                title, paragraphs = articles[number % len(articles)]
                data = {"title": f"{title} {number}", "paragraphs": paragraphs}
                self._send(json.dumps(data, ensure_ascii=False).encode(), "application/json")
            elif self.path.startswith("/app/"):
                self._send(SHELL.encode(), "text/html; charset=utf-8")
            else:
                self._send(b"", "text/plain", 404)

        def _send(self, body: bytes, kind: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.put(int(server.server_address[1]))
    server.serve_forever()


@contextmanager
def app_farm() -> Iterator[tuple[Callable[[int], str], int]]:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[int] = context.Queue()  # type: ignore[type-arg]
    process = context.Process(target=_serve_app, args=(queue,))
    process.start()
    port = queue.get(timeout=30)
    try:
        yield (lambda n: f"http://127.0.0.1:{port}/app/{n}"), process.pid or 0
    finally:
        process.terminate()
        process.join(10)


@contextmanager
def wordpress_farm() -> Iterator[tuple[Callable[[int], str], int]]:
    with Farm() as farm:
        yield farm.url, farm.process.pid or 0


# --- measuring a process tree ------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    return kids


def tree(root: int, skip: int = 0) -> list[int]:
    """``root`` and its descendants, less ``skip``'s subtree."""
    kids, found, stack = _children(), [], [root]
    while stack:
        pid = stack.pop()
        if pid == skip:
            continue
        found.append(pid)
        stack.extend(kids.get(pid, ()))
    return found


def tree_cpu(root: int, skip: int = 0) -> float:
    """CPU seconds of a tree, its reaped descendants included (through their parents'
    cutime and cstime)."""
    total = 0
    for pid in tree(root, skip):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def _rollup(pid: int) -> dict[str, int] | None:
    """A process's /proc smaps_rollup fields (kB), or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    return {x.split(":")[0]: int(x.split()[1]) for x in text.splitlines()[1:]}


def tree_memory(root: int, skip: int = 0) -> tuple[int, int]:
    """PSS and RSS of a tree, summed, in kB."""
    rollups = [r for r in map(_rollup, tree(root, skip)) if r is not None]
    return sum(r.get("Pss", 0) for r in rollups), sum(r.get("Rss", 0) for r in rollups)


def tree_breakdown(root: int) -> list[tuple[str, int, int]]:
    """PSS and its anonymous part (kB) of each process of a tree, named by its kind
    (Chromium's --type, the Playwright driver, monitor and its workers)."""
    found = []
    for pid in tree(root, 0):
        fields = _rollup(pid)
        if fields is not None:
            found.append((_kind(_cmdline(pid)), fields.get("Pss", 0), fields.get("Pss_Anon", 0)))
    return sorted(found, key=lambda item: -item[1])


def _kind(cmdline: str) -> str:
    if "chromium" in cmdline:
        kind = next((a[7:] for a in cmdline.split() if a.startswith("--type=")), "browser")
        service = next((a for a in cmdline.split() if a.startswith("--utility-sub-type=")), "")
        return f"chromium {kind} {service.split('.')[-2] if service else ''}".strip()
    if "playwright" in cmdline or "node" in cmdline.split(" ", 1)[0]:
        return "playwright driver"
    return "monitor worker" if "monitor.worker" in cmdline else cmdline.split(" ", 3)[-1][:40]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def line(name: str, walls: list[float], cpus: list[float]) -> str:
    return (
        f"  {name:<28} wall {statistics.median(walls) * 1000:6.0f} ms median "
        f"{pct(walls, 0.95) * 1000:6.0f} ms p95   CPU {statistics.median(cpus) * 1000:6.0f} ms "
        f"median {pct(cpus, 0.95) * 1000:6.0f} ms p95   ({len(walls)} checks)"
    )


# --- 1: one rendered check ---------------------------------------------------------------


def rendered_checks(url: Callable[[int], str], farm_pid: int, checks: int) -> str:
    folder = Path(tempfile.mkdtemp(prefix="render-bench-"))
    rule = SiteRule("http://127.0.0.1:*", Rules(), request=RequestOptions(render="browser"))
    config = Config(settings=Settings(database=str(folder / "m.db")), sites=(rule,))
    walls: list[float] = []
    cpus: list[float] = []

    async def run(store: Store) -> None:
        async with Fetcher(config.settings.fetch) as fetcher:
            checker = Checker(store, fetcher, config)
            watches = [store.watches.add(url(n)) for n in range(4)]
            for watch in watches:  # the browser starts; versions are stored
                await checker.check(watch)
            for n in range(checks):
                watch = store.watches.get(watches[n % len(watches)].id)
                cpu, wall = tree_cpu(os.getpid(), farm_pid), time.perf_counter()
                result = await checker.check(watch)
                walls.append(time.perf_counter() - wall)
                cpus.append(tree_cpu(os.getpid(), farm_pid) - cpu)
                assert result.status.value == "unchanged", (result.status, result.error)

    with Store(config.settings.database) as store:
        asyncio.run(run(store))
    shutil.rmtree(folder, ignore_errors=True)
    return line("monitor (one browser)", walls, cpus)


# --- 2: the daemon -----------------------------------------------------------------------


def daemon(url: Callable[[int], str], args: argparse.Namespace) -> str:
    folder = Path(tempfile.mkdtemp(prefix="render-daemon-"))
    lines = [
        '[monitor]\ndatabase = "m.db"\ninterval = "5s"\njitter = "0s"\nretries = 0',
        f"render_concurrency = {args.concurrency}\nconcurrency = {max(args.concurrency, 10)}",
        'shutdown_grace = "20s"',
        *args.option,
        "",
        '[[site]]\nmatch = "http://127.0.0.1:*"\nrender = "browser"\n',
    ]
    lines += [f'[[watch]]\nurl = "{url(n)}"\n' for n in range(args.watches)]
    (folder / "config.toml").write_text("\n".join(lines), encoding="utf-8")
    env = {**os.environ, "TMPDIR": str(folder)}
    command = [sys.executable, "-m", "monitor", "--config", str(folder / "config.toml"), "run"]
    command += ["--workers", str(args.workers)] if args.workers is not None else []
    log = (folder / "daemon.log").open("wb")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
    peak_pss = peak_rss = 0
    at_peak: list[tuple[str, int, int]] = []
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline and process.poll() is None:
        pss, rss = tree_memory(process.pid)
        if pss > peak_pss and args.breakdown:
            at_peak = tree_breakdown(process.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.25)
    checks, statuses = _checks(folder / "m.db")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(60)
    stop = time.monotonic() - started
    time.sleep(1)
    left = [p for p in _chromium_processes() if str(folder) in _cmdline(p)]
    text = (folder / "daemon.log").read_text(errors="replace")
    starts = text.count("browser started:")
    shutil.rmtree(folder, ignore_errors=True)
    parts = "".join(
        f"\n    {pss / 1024:6.0f} MB PSS ({anon / 1024:3.0f} anonymous)  {kind}"
        for kind, pss, anon in at_peak
    )
    return (
        f"  monitor run, {args.watches} watches, {args.concurrency} renders at once: "
        f"{checks} checks ({statuses}) in {args.duration:.0f} s ({checks / args.duration:.1f}/s), "
        "peak "
        f"memory of the process tree {peak_pss / 1024:.0f} MB PSS ({peak_rss / 1024:.0f} MB RSS "
        f"summed); browsers started {starts}; stopped in {stop:.1f} s (exit {code}); "
        f"browser processes left: {len(left)}{parts}"
    )


def _checks(db: Path) -> tuple[int, str]:
    """The checks the daemon recorded, and how many of each status."""
    import sqlite3

    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT status, count(*) FROM checks GROUP BY 1 ORDER BY 2 DESC")
        counts = [(str(status), int(n)) for status, n in rows]
    finally:
        conn.close()
    return sum(n for _, n in counts), ", ".join(f"{n} {status}" for status, n in counts)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _chromium_processes() -> list[int]:
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and "chromium" in _cmdline(int(e))]


# --- 3: urlwatch's browser jobs ----------------------------------------------------------


def _urlwatch_env(folder: Path) -> dict[str, str]:
    """urlwatch's Playwright, given Debian's Chromium under the names it looks for."""
    binary = Path(urlwatch_command())
    venv = binary.parent.parent
    python = venv / "bin" / "python"
    if subprocess.run([python, "-c", "import playwright"], capture_output=True).returncode:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "playwright"], check=True)
    browsers = folder / "browsers"
    found = subprocess.run(
        [
            python,
            "-c",
            "import playwright, pathlib; print(pathlib.Path(playwright.__file__).parent)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    manifest = json.loads((Path(found) / "driver/package/browsers.json").read_text())
    revision = {b["name"]: b["revision"] for b in manifest["browsers"]}
    chromium = os.path.realpath(shutil.which("chromium") or "/usr/bin/chromium")
    if Path("/usr/lib/chromium/chromium").exists():
        chromium = "/usr/lib/chromium/chromium"  # the binary, not Debian's wrapper script
    for name, path in (
        (f"chromium-{revision['chromium']}", "chrome-linux64/chrome"),
        (
            f"chromium_headless_shell-{revision['chromium-headless-shell']}",
            "chrome-headless-shell-linux64/chrome-headless-shell",
        ),
    ):
        target = browsers / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(chromium)
        (browsers / name / "INSTALLATION_COMPLETE").touch()
    return {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(browsers)}


def _urlwatch(folder: Path, env: dict[str, str], urls: list[str]) -> tuple[float, float, int]:
    """One urlwatch run over ``urls`` as browser jobs: wall, CPU, peak PSS (kB)."""
    jobs = [f"kind: browser\nnavigate: {u}\nwait_until: networkidle\n" for u in urls]
    (folder / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
    config = folder / "urlwatch.yaml"
    if not config.exists():
        config.write_text("report:\n  stdout:\n    enabled: true\n    color: false\n")
    cache = folder / "cache.db"
    command = [urlwatch_command(), "--urls", str(folder / "urls.yaml"), "--config", str(config)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--cache", str(cache)], env=env, stdout=subprocess.DEVNULL
    )
    peak = 0
    sampler = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not sampler.is_set():
            peak = max(peak, tree_memory(process.pid)[0])
            time.sleep(0.1)

    thread = threading.Thread(target=sample)
    thread.start()
    process.wait(600)
    sampler.set()
    thread.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def urlwatch_peer(url: Callable[[int], str], args: argparse.Namespace) -> list[str]:
    folder = Path(tempfile.mkdtemp(prefix="render-urlwatch-"))
    env = _urlwatch_env(folder)
    walls, cpus = [], []
    _urlwatch(folder, env, [url(0)])  # its first run (cache created)
    for n in range(args.peer_checks):
        wall, cpu, _ = _urlwatch(folder, env, [url(n % 4)])
        walls.append(wall)
        cpus.append(cpu)
    wall, _, peak = _urlwatch(folder, env, [url(n) for n in range(args.watches)])
    shutil.rmtree(folder, ignore_errors=True)
    return [
        line("urlwatch 2.29 (a run per job)", walls, cpus),
        f"  urlwatch 2.29, {args.watches} browser jobs in one run: {wall:.1f} s, peak memory "
        f"of the process tree {peak / 1024:.0f} MB PSS",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checks", type=int, default=40, help="rendered checks measured")
    parser.add_argument("--watches", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4, help="renders at once")
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of monitor run")
    parser.add_argument("--peer-checks", type=int, default=10, help="urlwatch single-job runs")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        help='a line for the daemon\'s [monitor] table, e.g. browser_args = ["--single-process"]',
    )
    parser.add_argument("--workers", type=int, help="monitor run --workers (default: its own)")
    parser.add_argument("--breakdown", action="store_true", help="memory per process at peak")
    parser.add_argument("--skip-checks", action="store_true", help="the daemon's run only")
    parser.add_argument("--farm", choices=("app", "wordpress", "both"), default="both")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("chromium is not installed (apt-get install chromium): nothing to measure")
        return
    farms = {"app": app_farm, "wordpress": wordpress_farm}
    for name in ("app", "wordpress") if args.farm == "both" else (args.farm,):
        with farms[name]() as (url, farm_pid):
            print(f"farm {name}: {url(0)}", flush=True)
            if not args.skip_checks:
                print(rendered_checks(url, farm_pid, args.checks), flush=True)
            if not args.no_peers:
                for text in urlwatch_peer(url, args):
                    print(text, flush=True)
            print(daemon(url, args), flush=True)


if __name__ == "__main__":
    main()
