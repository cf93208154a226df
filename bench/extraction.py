"""Extraction benchmark: monitor's extractor (and its peers) on pages with reference text.

    python bench/extraction.py                       # ../shared/corpus/extraction, monitor only
    python bench/extraction.py --peers               # + trafilatura and readability-lxml
    python bench/extraction.py --corpus DIR --save-outputs out/ --verify-with TOOL.py

The corpus layout is ``<dataset>/manifest.json`` (pages with ``id``, ``html``, ``txt``,
``url``, optional ``cjk``) and the files it names. The pages are third-party and are never
copied into this repository; without the corpus the benchmark says so and exits 0.

Metric (the one of the corpus README, written here from its description): a page's tokens
are ``\\w+`` runs; on CJK pages every Han, kana or Hangul character is a token of its own.
Shingles are runs of 4 consecutive tokens, counted as a multiset; with tp, fp, fn the
overlaps between reference and output, divided by tp + fp + fn, precision and recall are
averaged over the pages where they are defined and F1 = 2PR / (P + R) of the two means.
"combined" uses CJK tokens on CJK pages and plain ``\\w+`` tokens elsewhere.

To guard against overfitting, the figures are also given for a fixed 2-fold split of the
pages (by a hash of the page id): tune on one fold, read the other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "extraction"

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303c\u3040-\u30ff"
    "\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_WORDS = re.compile(r"\w+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_TOKENS = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")

Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Page:
    """One corpus page and its reference text."""

    dataset: str
    id: str
    html_path: Path
    url: str
    truth: str
    cjk: bool

    @property
    def fold(self) -> int:
        """0 or 1: a fixed 2-fold split by page id."""
        return hashlib.sha256(self.id.encode()).digest()[0] % 2


@dataclass
class Score:
    """Per-page precision and recall, and time."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def add(self, precision: float | None, recall: float | None, ms: float) -> None:
        if precision is not None:
            self.precision.append(precision)
        if recall is not None:
            self.recall.append(recall)
        self.ms.append(ms)

    def summary(self) -> str:
        if not self.ms:
            return "no pages"
        p = statistics.fmean(self.precision) if self.precision else 0.0
        r = statistics.fmean(self.recall) if self.recall else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return (
            f"F1 {f1:.3f}  P {p:.3f}  R {r:.3f}  pages {len(self.ms):3d}  "
            f"{statistics.fmean(self.ms):6.1f} ms/page (median {statistics.median(self.ms):.1f})"
        )


def is_cjk(text: str) -> bool:
    """A reference text is CJK when at least 20 characters and 30% of its word characters are."""
    cjk = len(_CJK_CHAR.findall(text))
    words = sum(len(t) for t in _WORDS.findall(text))
    return cjk >= 20 and cjk >= 0.3 * max(1, words)


def tokens(text: str, cjk: bool) -> list[str]:
    """The metric's tokens: \\w+ runs, and each CJK character on CJK pages."""
    return (_CJK_TOKENS if cjk else _WORDS).findall(text or "")


def shingles(items: Sequence[str], n: int = 4) -> Counter[tuple[str, ...]]:
    """Runs of ``n`` tokens as a multiset (a shorter text gives one short shingle)."""
    return Counter(tuple(items[i : i + n]) for i in range(max(1, len(items) - n + 1)) if items)


def precision_recall(truth: str, output: str, cjk: bool) -> tuple[float | None, float | None]:
    """Shingle precision and recall of one page; None where undefined (an empty output has
    no precision, an empty reference no recall): such pages are left out of that mean."""
    want, got = shingles(tokens(truth, cjk)), shingles(tokens(output, cjk))
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    tp, fp, fn = (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)
    precision = 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))
    recall = 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))
    return (precision if tp + fp > 0 else None), (recall if tp + fn > 0 else None)


def load_pages(corpus: Path) -> list[Page]:
    """Every page of every dataset under ``corpus``."""
    pages = []
    for manifest in sorted(corpus.glob("*/manifest.json")):
        folder = manifest.parent
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["pages"]:
            truth = (folder / entry["txt"]).read_text(encoding="utf-8")
            cjk = entry.get("cjk")
            pages.append(
                Page(
                    dataset=folder.name,
                    id=entry["id"],
                    html_path=folder / entry["html"],
                    url=entry.get("url") or "",
                    truth=truth,
                    cjk=bool(is_cjk(truth) if cjk is None else cjk),
                )
            )
    return pages


def monitor_extractor() -> Extractor:
    """monitor's extractor, body text only (the references have no title)."""
    from monitor.extract import extract_article

    return lambda html, url: extract_article(html, url or None).text


def trafilatura_extractor() -> Extractor:
    """trafilatura 2, comments off (the corpus README's baseline)."""
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url or None, include_comments=False) or ""

    return run


def readability_extractor() -> Extractor:
    """readability-lxml, its HTML summary turned into block text."""
    from readability import Document

    from monitor.extract import parse_html
    from monitor.extract.text import blocks_of

    def run(html: str, url: str) -> str:
        summary = Document(html, url=url or None).summary()
        return "\n".join(blocks_of([parse_html(summary)])) if summary else ""

    return run


def available_extractors(peers: bool) -> dict[str, Extractor]:
    """monitor, and the peers that are installed."""
    found = {"monitor": monitor_extractor()}
    if peers:
        for name, make in (
            ("trafilatura", trafilatura_extractor),
            ("readability", readability_extractor),
        ):
            try:
                found[name] = make()
            except ImportError:
                print(f"({name} is not installed: pip install {name}-lxml / {name})")
    return found


def run_extractor(extract: Extractor, pages: Iterable[Page]) -> dict[str, tuple[str, float]]:
    """Each page's output and milliseconds, by page id."""
    results = {}
    for page in pages:
        html = page.html_path.read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        try:
            output = extract(html, page.url)
        except Exception as exc:  # a benchmark reports failures, it does not stop at them
            print(f"  {page.dataset}/{page.id}: {type(exc).__name__}: {exc}", file=sys.stderr)
            output = ""
        results[page.id] = (output, (time.perf_counter() - started) * 1000)
    return results


def report(name: str, pages: list[Page], results: dict[str, tuple[str, float]]) -> None:
    """Print the scores of one extractor: overall, CJK, non-CJK and per fold."""
    groups: dict[str, Score] = {}
    for page in pages:
        output, ms = results[page.id]
        precision, recall = precision_recall(page.truth, output, page.cjk)
        keys = ["all", "cjk" if page.cjk else "non-cjk", f"fold {page.fold}", page.dataset]
        for key in keys:
            groups.setdefault(key, Score()).add(precision, recall, ms)
    print(f"\n{name}")
    for key in ["all", "cjk", "non-cjk", "fold 0", "fold 1", *sorted({p.dataset for p in pages})]:
        if key in groups:
            print(f"  {key:<32} {groups[key].summary()}")


def save_outputs(directory: Path, results: dict[str, tuple[str, float]]) -> Path:
    """Write outputs as the corpus tool's --predictions JSON."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "predictions.json"
    data = {page_id: {"articleBody": output} for page_id, (output, _) in results.items()}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def verify(tool: Path, corpus: Path, predictions: Path) -> None:
    """Run the corpus's own evaluation tool on the same outputs, for comparison."""
    command = [
        sys.executable,
        str(tool),
        "--predictions",
        str(predictions),
        "--holdout",
        str(corpus),
        "--n-bootstrap",
        "0",
        "-q",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    print("\nthe corpus tool on the same outputs:")
    print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--peers", action="store_true", help="also run trafilatura and readability")
    parser.add_argument("--save-outputs", type=Path, help="write monitor's outputs here")
    parser.add_argument("--verify-with", type=Path, help="the corpus's eval_extraction.py")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: nothing to measure (see bench/README.md)")
        return 0
    pages = load_pages(args.corpus)
    print(f"{len(pages)} pages ({sum(p.cjk for p in pages)} CJK) from {args.corpus}")
    for name, extract in available_extractors(args.peers).items():
        results = run_extractor(extract, pages)
        report(name, pages, results)
        if name == "monitor" and (args.save_outputs or args.verify_with):
            folder = args.save_outputs or Path(tempfile.mkdtemp(prefix="monitor-bench-"))
            predictions = save_outputs(folder, results)
            if args.verify_with:
                verify(args.verify_with, args.corpus, predictions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
