"""Throughput benchmark: `monitor check` over a farm of article pages, twice, 10% edited between.

    python bench/throughput.py                 # 1,000 pages
    python bench/throughput.py -n 10000        # 10,000 pages
    python bench/throughput.py --peers         # and urlwatch (installed if missing), same farm
    python bench/throughput.py --farm article --peers --per-host 10
                                               # the independent farm of ../shared/tools

Pass 1 stores every page; then 10% of the pages get an edit; pass 2 must report exactly those.
Prints wall time, checks/s, CPU seconds (the checker and its workers), peak RSS (the sum over
its processes), and detected /
false / missed changes; then a pass where the farm serves fixed bytes with ETags (every check
a 304) for the CPU cost of a not-modified page. Nothing is asserted: it prints its figures.
Pass 2 also says how many checks replayed what the watch learned (no full analysis).

``--farm article`` runs the same passes against ``../shared/tools/article_farm.py`` (an
independent farm: 1,000 WordPress-like pages, noise on every request, edits by /_bump),
skipped cleanly when ../shared is absent. ``--per-host`` sets monitor's per-host
concurrency (urlwatch fetches with its 10 threads).

Both are measured as installed: pip compiles urlwatch's modules when it installs them, and
this benchmark compiles monitor's before the first pass (an editable install run with
PYTHONDONTWRITEBYTECODE set, as on the development machines, would otherwise compile every
module on every `monitor check`: about a second of CPU a run).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from farm import Farm

TIME = "/usr/bin/time"


SHARED_FARM = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "article_farm.py"


class ArticleFarm:
    """../shared/tools/article_farm.py in a child process, with the interface of Farm."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.folder = Path(tempfile.mkdtemp(prefix="article-farm-"))

    def __enter__(self) -> ArticleFarm:
        port_file = self.folder / "port"
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SHARED_FARM),
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--pages",
                str(self.pages),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                sys.exit("article_farm.py did not start")
            time.sleep(0.1)
        self.port = int(port_file.read_text())
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port}/article/{number}"

    def control(self, path: str) -> None:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as got:
            got.read()

    def edit(self, pages: set[int]) -> None:
        """Pages that carry an edit from now on (one bump each; none: back to the start)."""
        if pages:
            self.control("/_bump?ids=" + ",".join(str(p) for p in sorted(pages)))
        else:
            self.control("/_reset")

    def static(self) -> None:
        self.control("/_config?conditional=on")


@dataclass
class Run:
    """One measured pass."""

    name: str
    checks: int
    wall: float
    cpu: float
    rss_mb: float
    detected: int = 0
    false: int = 0
    missed: int = 0
    lag_ms: int | None = None
    replayed: int | None = None

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.checks:>6} checks {self.wall:7.2f} s "
            f"{self.checks / self.wall:7.1f}/s  CPU {self.cpu:6.2f} s "
            f"({self.cpu / self.checks * 1000:5.2f} ms/check)  RSS {self.rss_mb:6.1f} MB  "
            f"changes {self.detected} detected, {self.false} false, {self.missed} missed"
            + (f"  loop lag {self.lag_ms} ms" if self.lag_ms is not None else "")
            + (f"  replayed {self.replayed}" if self.replayed is not None else "")
        )


def timed(command: list[str], cwd: Path) -> tuple[str, float, float, float, str]:
    """Run ``command``: stdout, wall seconds, CPU seconds (its workers included), and the peak
    of the summed RSS of its process tree (sampled every 50 ms), in MB."""
    report = cwd / "time.txt"
    out = cwd / "stdout.txt"
    started = time.monotonic()
    with out.open("w") as handle:
        process = subprocess.Popen(
            [TIME, "-o", str(report), "-f", "%U %S", *command],
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.05)
    wall = time.monotonic() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} failed:\n{process.stderr.read()[-2000:]}")
    user, system = report.read_text().split()[-2:]
    errors = process.stderr.read() if process.stderr else ""
    return out.read_text(), wall, float(user) + float(system), peak / 1024, errors


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in kB."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_tree_rss_kb(int(child)) for child in children)


def write_config(folder: Path, farm: Farm | ArticleFarm, pages: int, per_host: int) -> Path:
    lines = [
        "[monitor]",
        f'database = "{folder / "m.db"}"',
        "retries = 0",
        'read_timeout = "30s"',
        f"concurrency = {max(per_host, 10)}",
        f"per_host_concurrency = {per_host}",
    ]
    for page in range(pages):
        lines += ["[[watch]]", f'url = "{farm.url(page)}"']
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def monitor_pass(name: str, folder: Path, config: Path, edited: set[int], pages: int) -> Run:
    command = [
        sys.executable,
        "-m",
        "monitor",
        "--config",
        str(config),
        "check",
        "--json",
        "--no-notify",
        "--stats",
    ]
    out, wall, cpu, rss, errors = timed(command, folder)
    run = Run(name, pages, wall, cpu, rss)
    lag = re.search(r"max event-loop lag (\d+) ms", errors)
    run.lag_ms = int(lag.group(1)) if lag else None
    run.replayed = 0
    for line in out.splitlines():
        result = json.loads(line)
        run.replayed += bool(result.get("replayed"))
        page = int(result["url"].rsplit("/", 1)[1])
        changed = result["status"] == "changed"
        run.detected += changed and page in edited
        run.false += changed and page not in edited
        run.missed += not changed and page in edited and name.endswith("2")
    return run


def urlwatch_pass(
    name: str, folder: Path, farm: Farm | ArticleFarm, edited: set[int], pages: int
) -> Run:
    urls = folder / "urls.yaml"
    if not urls.exists():
        jobs = [
            f"url: {farm.url(p)}\nfilter:\n  - css: .entry-content\n  - html2text\n"
            for p in range(pages)
        ]
        urls.write_text("---\n".join(jobs), encoding="utf-8")
        (folder / "urlwatch.yaml").write_text(
            "report:\n  text:\n    details: false\n"
            "  stdout:\n    enabled: true\n    color: false\n",
            encoding="utf-8",
        )
    command = [
        urlwatch_command(),
        "--urls",
        str(urls),
        "--config",
        str(folder / "urlwatch.yaml"),
        "--cache",
        str(folder / "cache.db"),
    ]
    out, wall, cpu, rss, _ = timed(command, folder)
    run = Run(name, pages, wall, cpu, rss)
    changed = {int(u.rsplit("/", 1)[1]) for u in _changed_urls(out)}
    run.detected = len(changed & edited)
    run.false = len(changed - edited)
    run.missed = len(edited - changed) if name.endswith("2") else 0
    return run


def urlwatch_command() -> str:
    """urlwatch from PATH, or installed from PyPI into a venv of its own (once)."""
    found = shutil.which("urlwatch")
    if found:
        return found
    venv = Path.home() / ".cache" / "monitor-bench" / "urlwatch-venv"
    binary = venv / "bin" / "urlwatch"
    if not binary.exists():
        print(f"installing urlwatch into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "urlwatch", "cssselect", "lxml"], check=True)
    return str(binary)


def _changed_urls(report: str) -> set[str]:
    """The URLs urlwatch's text report lists as CHANGED."""
    return set(re.findall(r"CHANGED: (http://\S+/(?:page|article)/\d+)", report))


def compile_monitor() -> None:
    """Bytecode for monitor's modules, as an installed package has it."""
    package = Path(__file__).resolve().parent.parent / "monitor"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def bench(pages: int, peers: bool, which: str, per_host: int) -> None:
    compile_monitor()
    rng = random.Random(1)
    edited = set(rng.sample(range(pages), pages // 10))
    if which == "article" and not SHARED_FARM.exists():
        print(f"skipped: {SHARED_FARM} is absent")
        return
    farm: Farm | ArticleFarm = Farm() if which == "own" else ArticleFarm(pages)
    with farm, tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        folder = Path(tmp)
        config = write_config(folder, farm, pages, per_host)
        runs = [monitor_pass("monitor pass 1", folder, config, set(), pages)]
        farm.edit(edited)
        runs.append(monitor_pass("monitor pass 2", folder, config, edited, pages))
        if peers:
            farm.edit(set())
            runs.append(urlwatch_pass("urlwatch pass 1", folder, farm, set(), pages))
            farm.edit(edited)
            runs.append(urlwatch_pass("urlwatch pass 2", folder, farm, edited, pages))
        if isinstance(farm, ArticleFarm):
            farm.static()
        else:
            farm.control("/_static?on=1")
        runs.append(monitor_pass("monitor, static (prime)", folder, config, edited, pages))
        runs.append(monitor_pass("monitor, all 304", folder, config, edited, pages))
        for run in runs:
            print(run.line())
        if peers:
            ours, theirs = runs[1], runs[3]
            print(
                f"\npass 2: monitor {ours.checks / ours.wall:.1f} checks/s, urlwatch "
                f"{theirs.checks / theirs.wall:.1f} checks/s: "
                f"{(ours.checks / ours.wall) / (theirs.checks / theirs.wall):.2f}x; "
                f"peak RSS {ours.rss_mb:.0f} MB vs {theirs.rss_mb:.0f} MB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--pages", type=int, default=1000)
    parser.add_argument("--peers", action="store_true", help="also run urlwatch")
    parser.add_argument("--farm", choices=("own", "article"), default="own")
    parser.add_argument("--per-host", type=int, default=20, help="monitor's per-host concurrency")
    args = parser.parse_args()
    bench(args.pages, args.peers, args.farm, args.per_host)


if __name__ == "__main__":
    main()
