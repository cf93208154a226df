"""The daemon against every hostile fault of issue 14 at once, for minutes; prints its figures.

    python bench/hostile.py --minutes 10          # both languages: 68 pages, 34 faults each
    python bench/hostile.py --minutes 2 --lang ja

The farm (monitor.samplesite.farm) serves every fault of monitor.samplesite.hostile on its own
page, Japanese and English, through four phases: the good page (until every watch has its
baseline), the fault (70% of the time), the good page again (10%), then the good page with one
real edit (the rest, and until every page's edit is seen or two more minutes passed). Then the
web UI (served by the daemon, ``run --web``) is asked for every page and feed of every watch and
sent a 1 MB query string, a 200 kB header and a bad Host; the daemon is stopped (SIGTERM) and
the database judged (monitor.samplesite.farmrun.judge_run). Faults that are an origin's
behaviour (validators, cookies) hold from the baseline on.

The settings are a real deployment's but for the interval (10 s, so each page is checked ~40
times while faulty), the timeouts (read 5 s, total 20 s, so a trickle ends each check in 20 s)
and per-host concurrency (8: every page is on one host here). Prints PASS or the problems, and
the figures; exits 1 on a problem.

With ``--peers``, urlwatch (from PATH, or installed once into ~/.cache/monitor-bench, as
bench/throughput.py does) goes through the same phases on a fresh farm, given the right
hand-written body selector (``css: .entry-content``) and a 20 s timeout: one run per phase,
three while faulty, without the trickle and hung pages (its timeout is per read, so a
trickle would hold it for hours); it prints the pages urlwatch reported as changed while no
edit was made (false alerts) and the edits it reported.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.samplesite.farm import HostileFarm  # noqa: E402
from monitor.samplesite.farmrun import FarmRun, free_port, judge_run, judge_web  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from throughput import urlwatch_command  # noqa: E402

EDIT_OPS = {"ja": ["2000"], "en": ["7-2", "6-3"]}
SETTINGS = {
    "interval": '"10s"',
    "jitter": '"2s"',
    "read_timeout": '"5s"',
    "total_timeout": '"20s"',
    "per_host_concurrency": "8",
    "shutdown_grace": '"30s"',
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--lang", action="append", choices=["ja", "en"])
    parser.add_argument("--dir", type=Path, help="keep the run's files here")
    parser.add_argument("--peers", action="store_true", help="also run urlwatch")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="monitor-hostile-"))
    directory.mkdir(parents=True, exist_ok=True)
    farm = HostileFarm(langs=tuple(args.lang or ("ja", "en")))
    farm.start()
    run = FarmRun(farm, directory, free_port(), SETTINGS)
    total = args.minutes * 60
    started = time.monotonic()
    try:
        run.start()
        pages = set(farm.pages)
        run.wait_until(lambda: set(run.checks_since("good")) >= pages, 120)
        print(f"baselines after {time.monotonic() - started:.0f} s; faults on", flush=True)
        run.enter("fault")
        time.sleep(max(0.0, started + 0.7 * total - time.monotonic()))
        run.enter("recovered")
        time.sleep(max(0.0, started + 0.8 * total - time.monotonic()))
        run.enter("edited")
        print(f"edit made after {time.monotonic() - started:.0f} s", flush=True)
        time.sleep(max(0.0, started + total - time.monotonic()))
        run.wait_until(lambda: run.changed() >= pages, 120)
        run.load_watch_ids()
        web_problems, web_figures = judge_web(run)
        code = run.stop()
    finally:
        farm.stop()
    verdict = judge_run(run, EDIT_OPS)
    problems = verdict.problems + web_problems + ([f"daemon exit status {code}"] if code else [])
    log = (directory / "daemon.log").read_text(encoding="utf-8", errors="replace")
    if "Traceback" in log:
        problems.append("a traceback in the daemon's log")
    figures = {
        "minutes": round((time.monotonic() - started) / 60, 1),
        **verdict.figures,
        **web_figures,
        "farm requests": farm.requests,
        "edits seen": f"{len(run.changed())}/{len(farm.pages)}",
    }
    print("PASS" if not problems else "FAIL")
    for problem in problems:
        print(f"  problem: {problem}")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    print(f"  files: {directory}")
    if args.peers:
        urlwatch(tuple(args.lang or ("ja", "en")), directory / "urlwatch")
    return 1 if problems else 0


def urlwatch(langs: tuple[str, ...], folder: Path) -> None:
    """urlwatch through the same phases (see the module doc)."""
    folder.mkdir(parents=True, exist_ok=True)
    farm = HostileFarm(langs=langs)
    farm.start()
    try:
        jobs = [
            f"url: {farm.url(path)}\ntimeout: 20\nfilter:\n  - css: .entry-content\n  - html2text\n"
            for path, page in farm.pages.items()
            if page.fault.item != 9  # no whole-request deadline: a trickle would hold it for hours
        ]
        (folder / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
        (folder / "urlwatch.yaml").write_text(
            "report:\n  text:\n    details: false\n  stdout:\n    enabled: true\n"
            "    color: false\n",
            encoding="utf-8",
        )
        started = time.monotonic()
        reported: dict[str, set[str]] = {}
        for phase, runs in (("good", 1), ("fault", 3), ("recovered", 1), ("edited", 1)):
            farm.set_phase(phase)
            for _ in range(runs):
                reported.setdefault(phase, set()).update(_urlwatch_run(folder))
    finally:
        farm.stop()
    paths = {url: path for path, url in farm.urls().items()}
    false = {paths[u] for phase in ("fault", "recovered") for u in reported.get(phase, set())}
    seen = {paths[u] for u in reported.get("edited", set()) if u in paths}
    faults = sorted({farm.pages[p].fault.name for p in false})
    pages = len(jobs)
    print(f"urlwatch ({time.monotonic() - started:.0f} s, {pages} pages; not the slow ones):")
    print(f"  pages with a false alert: {len(false)}/{pages}")
    print(f"  edits reported: {len(seen)}/{pages}")
    print(f"  faults reported as changes: {', '.join(faults)}")


def _urlwatch_run(folder: Path) -> set[str]:
    command = [urlwatch_command(), "--urls", str(folder / "urls.yaml")]
    command += ["--config", str(folder / "urlwatch.yaml"), "--cache", str(folder / "cache.db")]
    out = subprocess.run(command, capture_output=True, text=True, cwd=folder, check=False).stdout
    return set(re.findall(r"CHANGED: (http://\S+/)", out))


if __name__ == "__main__":
    raise SystemExit(main())
