"""Small latency figures: diffing a rewritten article, and `monitor list`/`log` start-up.

    python bench/latency.py

Prints milliseconds; asserts nothing. The 50 kB article is generated (Japanese and English
paragraphs), then rewritten paragraph by paragraph, and diffed with monitor's differ.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.diff import diff_texts
from monitor.samplesite import article_text, load_article

RUNS = 5


def _article(seed: int, size: int) -> str:
    """About ``size`` characters of article text from the sample articles' sentences."""
    rng = random.Random(seed)
    sentences = [
        s
        for name in ("ja", "en")
        for s in article_text(load_article(name))
        .replace("。", "。\n")
        .replace(". ", ".\n")
        .splitlines()
        if len(s) > 20
    ]
    paragraphs, total = [], 0
    while total < size:
        paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
        paragraphs.append(paragraph)
        total += len(paragraph) + 1
    return "\n".join(paragraphs)


def diff_timings() -> None:
    old = _article(1, 50_000)
    cases = {
        "50 kB, fully rewritten": _article(2, 50_000),
        "50 kB, every paragraph edited": "\n".join(
            p.replace("。", "、", 1).replace(" the ", " a ", 1) for p in old.splitlines()
        ),
        "50 kB, one word changed": old.replace(old.split()[40], "changed", 1),
    }
    for name, new in cases.items():
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            diff = diff_texts(old, new)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"diff {name:<32} {statistics.median(times):7.1f} ms (median of {RUNS}), "
            f"granularity {diff.granularity}, +{diff.chars_added} -{diff.chars_removed}"
        )


def cli_timings() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "m.db")
        monitor = [sys.executable, "-m", "monitor", "--db", db]
        for number in range(3):
            url = f"https://example.test/{number}"
            subprocess.run([*monitor, "add", url], check=True, capture_output=True)
        for args in (["list"], ["list", "--json"], ["log", "1"], ["status"], ["--help"]):
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                subprocess.run([*monitor, *args], check=True, capture_output=True)
                times.append((time.perf_counter() - started) * 1000)
            print(f"monitor {' '.join(args):<28} {statistics.median(times):7.1f} ms (median)")


if __name__ == "__main__":
    diff_timings()
    cli_timings()
