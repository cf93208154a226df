"""Extraction benchmark: monitor's extractor and its peers on two corpora, per fold.

    python bench/extraction.py                       # monitor only, both corpora
    python bench/extraction.py --peers               # + trafilatura and readability-lxml
    python bench/extraction.py --peers --detail      # + per dataset, CJK / non-CJK
    python bench/extraction.py --worst 15 --fold 0   # the tuning fold's worst pages
    python bench/extraction.py --corpus DIR --save-outputs out/ --verify-with TOOL.py

Two corpora of third-party pages, never copied into this repository (without them the
benchmark says so and exits 0):

- ``../shared/corpus/extraction`` (``--corpus``): pages with reference article text, layout
  ``<dataset>/manifest.json`` (pages with ``id``, ``html``, ``txt``, ``url``, optional
  ``cjk``). Metric (the one of the corpus README, written here from its description): a
  page's tokens are ``\\w+`` runs; on CJK pages every Han, kana or Hangul character is a
  token of its own. Shingles are runs of 4 consecutive tokens, counted as a multiset; with
  tp, fp, fn the overlaps between reference and output, divided by tp + fp + fn, precision
  and recall are averaged over the pages where they are defined and F1 = 2PR / (P + R) of the
  two means. "combined" uses CJK tokens on CJK pages and plain ``\\w+`` tokens elsewhere.
- ``../shared/corpus/extraction-snippets/trafilatura-eval`` (``--snippets``): pages with
  snippets that must be in the text and snippets that must not, scored as trafilatura's own
  evaluation does (``../shared/tools/eval_trafilatura_set.py``): each snippet, whitespace
  collapsed, is looked up as a substring of the output; counts are summed over the pages and
  precision, recall and F1 come from the sums. Every extractor gets the same text, decoded
  from the page's bytes by monitor's decoder (the tool's trafilatura runner gets the bytes;
  its figures differ by a few thousandths).

Rows: ``monitor`` is the extraction every check runs; ``monitor-1`` the same without the
second extractor (only the fast path: what the cross-check changes), then the peers.

Besides F1, each fold says how many pages got an output that is mostly not the article:
shingle recall below 0.5, or fewer than half of the page's must-have snippets found. Those
are the pages a user would watch wrongly.

To guard against overfitting, every figure is given for a fixed 2-fold split of the pages (by
a hash of the page id): tune on fold 0, read fold 1.
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
DEFAULT_SNIPPETS = ROOT.parent / "shared" / "corpus" / "extraction-snippets" / "trafilatura-eval"
#: An output with less than this share of the article is mostly not the article.
MOSTLY_NOT = 0.5

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303c\u3040-\u30ff"
    "\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_WORDS = re.compile(r"\w+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_TOKENS = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")
_SPACE = re.compile(r"\s+")

Extractor = Callable[[str, str], str]


def fold_of(page_id: str) -> int:
    """0 or 1: a fixed 2-fold split by page id."""
    return hashlib.sha256(page_id.encode()).digest()[0] % 2


@dataclass(frozen=True)
class Page:
    """One page of the reference-text corpus."""

    dataset: str
    id: str
    html_path: Path
    url: str
    truth: str
    cjk: bool

    @property
    def fold(self) -> int:
        return fold_of(self.id)

    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8", errors="replace")


@dataclass(frozen=True)
class SnippetPage:
    """One page of the snippet corpus: what must be in its text and what must not."""

    id: str
    html_path: Path
    url: str
    must: tuple[str, ...]
    must_not: tuple[str, ...]

    @property
    def fold(self) -> int:
        return fold_of(self.id)

    def html(self) -> str:
        from monitor.fetch import decode_html

        return decode_html(self.html_path.read_bytes(), None)[0]


@dataclass
class Score:
    """Per-page precision and recall (shingles), and time."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    mostly_not: int = 0

    def add(self, precision: float | None, recall: float | None, ms: float) -> None:
        if precision is not None:
            self.precision.append(precision)
        if recall is not None:
            self.recall.append(recall)
            self.mostly_not += recall < MOSTLY_NOT
        self.ms.append(ms)

    @property
    def f1(self) -> float:
        p = statistics.fmean(self.precision) if self.precision else 0.0
        r = statistics.fmean(self.recall) if self.recall else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> str:
        if not self.ms:
            return "no pages"
        p = statistics.fmean(self.precision) if self.precision else 0.0
        r = statistics.fmean(self.recall) if self.recall else 0.0
        return (
            f"F1 {self.f1:.3f}  P {p:.3f}  R {r:.3f}  pages {len(self.ms):3d}  "
            f"not the article {self.mostly_not}  "
            f"{statistics.fmean(self.ms):6.1f} ms/page (median {statistics.median(self.ms):.1f})"
        )


@dataclass
class SnippetScore:
    """Summed snippet counts (micro), pages mostly not the article, and time."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    mostly_not: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, page: SnippetPage, output: str, ms: float) -> None:
        text = _norm(output)
        found = sum(_norm(s) in text for s in page.must)
        leaked = sum(_norm(s) in text for s in page.must_not)
        self.tp, self.fn = self.tp + found, self.fn + len(page.must) - found
        self.fp, self.tn = self.fp + leaked, self.tn + len(page.must_not) - leaked
        self.mostly_not += bool(page.must) and found < MOSTLY_NOT * len(page.must)
        self.ms.append(ms)

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    def summary(self) -> str:
        if not self.ms:
            return "no pages"
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return (
            f"F1 {self.f1:.3f}  P {p:.3f}  R {r:.3f}  pages {len(self.ms):3d}  "
            f"not the article {self.mostly_not}  "
            f"{statistics.fmean(self.ms):6.1f} ms/page (median {statistics.median(self.ms):.1f})"
        )


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip()


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


def load_snippet_pages(folder: Path) -> list[SnippetPage]:
    """The pages of the snippet corpus (``manifest.json`` and ``pages/<id>.html``)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [
        SnippetPage(
            id=entry["id"],
            html_path=folder / "pages" / f"{entry['id']}.html",
            url=entry.get("url") or "",
            must=tuple(entry.get("with") or ()),
            must_not=tuple(entry.get("without") or ()),
        )
        for entry in manifest["pages"]
    ]


class MonitorExtractor:
    """monitor's extractor, body text only (the references have no title); remembers the
    confidence of its last extraction and whether it took the slow path (asked the second
    extractor). ``second=False``: without the second extractor, the fast path alone."""

    def __init__(self, second: bool = True) -> None:
        from monitor.extract import extract_article
        from monitor.extract.second import no_view, trafilatura_view

        self.extract = extract_article
        self.second = second
        self.view = trafilatura_view if second else (lambda html, url: no_view)
        self.last_level = ""
        self.asked = False

    def __call__(self, html: str, url: str) -> str:
        self.asked = False
        article = self.extract(html, url or None, second_view=self._second_view)
        self.last_level = article.confidence.level
        return article.text

    def _second_view(self, html: str, url: str | None) -> Callable[[], str | None]:
        view = self.view(html, url)

        def asked() -> str | None:
            self.asked = True
            return view()

        return asked


def monitor_extractor() -> Extractor:
    return MonitorExtractor()


def monitor_fast_extractor() -> Extractor:
    return MonitorExtractor(second=False)


def trafilatura_extractor() -> Extractor:
    """trafilatura 2 without comments, with tables (upstream's "standard" runner)."""
    import trafilatura

    def run(html: str, url: str) -> str:
        return (
            trafilatura.extract(html, url=url or None, include_comments=False, include_tables=True)
            or ""
        )

    return run


def readability_extractor() -> Extractor:
    """readability-lxml, its HTML summary turned into block text."""
    from readability import Document

    from monitor.extract import parse_html
    from monitor.extract.blocks import blocks_of

    def run(html: str, url: str) -> str:
        summary = Document(html, url=url or None).summary()
        return "\n".join(blocks_of([parse_html(summary)])) if summary else ""

    return run


def available_extractors(peers: bool) -> dict[str, Extractor]:
    """monitor, and the peers that are installed."""
    found = {"monitor": monitor_extractor(), "monitor-1": monitor_fast_extractor()}
    if peers:
        for name, make in (
            ("trafilatura", trafilatura_extractor),
            ("readability", readability_extractor),
        ):
            try:
                found[name] = make()
            except ImportError:
                print(f"({name} is not installed: pip install -e '.[bench]')")
    return found


def run_extractor(
    extract: Extractor, pages: Iterable[Page | SnippetPage]
) -> dict[str, tuple[str, float]]:
    """Each page's output and milliseconds, by page id."""
    results = {}
    for page in pages:
        html = page.html()
        started = time.perf_counter()
        try:
            output = extract(html, page.url)
        except Exception as exc:  # a benchmark reports failures, it does not stop at them
            print(f"  {page.id}: {type(exc).__name__}: {exc}", file=sys.stderr)
            output = ""
        results[page.id] = (output, (time.perf_counter() - started) * 1000)
        if isinstance(extract, MonitorExtractor) and extract.second:
            LEVELS[page.id] = extract.last_level
            SLOW[page.id] = extract.asked
    return results


#: monitor's confidence in each page's text, by page id.
LEVELS: dict[str, str] = {}
#: Whether monitor took the slow path (asked the second extractor), by page id.
SLOW: dict[str, bool] = {}


def print_confidence(
    pages: Sequence[Page | SnippetPage], results: dict[str, tuple[str, float]]
) -> None:
    """How monitor's confidence matches the pages whose output is mostly not the article."""
    print("\nmonitor's confidence (low = uncertain), per fold:")
    for fold in (0, 1):
        mine = [p for p in pages if p.fold == fold]
        bad = {p.id for p in mine if _mostly_not(p, results[p.id][0])}
        low = {p.id for p in mine if LEVELS.get(p.id) == "low"}
        levels = Counter(LEVELS.get(p.id, "") for p in mine)
        spread = ", ".join(f"{k} {levels[k]}" for k in ("high", "medium", "low"))
        print(
            f"  fold {fold}: {spread}; mostly not the article {len(bad)}, "
            f"of which low {len(bad & low)}"
        )


def print_paths(
    groups: dict[str, Sequence[Page] | Sequence[SnippetPage]],
    results: dict[str, tuple[str, float]],
) -> None:
    """How many pages took the slow path (the second extractor asked), and the median time
    of each path, per corpus."""
    print("\nmonitor's paths: fast (the page's evidence confirms the densest part) / slow")
    for name, pages in groups.items():
        if not pages:
            continue
        slow = [results[p.id][1] for p in pages if SLOW.get(p.id)]
        fast = [results[p.id][1] for p in pages if not SLOW.get(p.id)]
        fast_ms = f"{statistics.median(fast):.1f}" if fast else "-"
        slow_ms = f"{statistics.median(slow):.1f}" if slow else "-"
        print(
            f"  {name}: slow path on {len(slow)} of {len(pages)} pages; median ms/page "
            f"fast {fast_ms}, slow {slow_ms}"
        )


def print_replays(groups: dict[str, Sequence[Page] | Sequence[SnippetPage]]) -> None:
    """The path a routine check takes: once a watch has learned its page (its first check,
    or a change of the page), a check replays what was learned (parse, select, fingerprint:
    ``monitor.analyse.replay_page``) and runs the extraction above only when the fingerprint
    differs. Median ms of a replay of each page, learned from the page itself."""
    from monitor.analyse import replay_page
    from monitor.config import Rules
    from monitor.extract import Volatility, learn_article
    from monitor.extract.second import no_view

    print("\nmonitor's routine check (a replay of what the watch learned; the extraction above")
    print("runs when a watch is added or its page's fingerprint changes):")
    for name, pages in groups.items():
        ms, unlearned = [], 0
        for page in pages:
            html = page.html()
            learning = learn_article(html, page.url or None, second_view=lambda h, u: no_view)[1]
            if learning is None:
                unlearned += 1
                continue
            started = time.perf_counter()
            replay_page(html, learning, Volatility(), Rules())
            ms.append((time.perf_counter() - started) * 1000)
        if ms:
            print(
                f"  {name}: median {statistics.median(ms):.1f} ms/page, p95 "
                f"{statistics.quantiles(ms, n=20)[-1]:.1f} ms ({len(ms)} pages; "
                f"{unlearned} with nothing to learn: extracted on every check)"
            )


def _mostly_not(page: Page | SnippetPage, output: str) -> bool:
    if isinstance(page, Page):
        recall = precision_recall(page.truth, output, page.cjk)[1]
        return recall is not None and recall < MOSTLY_NOT
    text = _norm(output)
    found = sum(_norm(s) in text for s in page.must)
    return bool(page.must) and found < MOSTLY_NOT * len(page.must)


def shingle_groups(pages: list[Page], results: dict[str, tuple[str, float]]) -> dict[str, Score]:
    """Scores by group: all, fold, CJK / non-CJK (also within each fold), dataset."""
    groups: dict[str, Score] = {}
    for page in pages:
        output, ms = results[page.id]
        precision, recall = precision_recall(page.truth, output, page.cjk)
        kind = "cjk" if page.cjk else "non-cjk"
        fold = f"fold {page.fold}"
        for key in ("all", kind, fold, f"{fold} {kind}", page.dataset):
            groups.setdefault(key, Score()).add(precision, recall, ms)
    return groups


def snippet_groups(
    pages: list[SnippetPage], results: dict[str, tuple[str, float]]
) -> dict[str, SnippetScore]:
    """Scores by group: all, fold."""
    groups: dict[str, SnippetScore] = {}
    for page in pages:
        output, ms = results[page.id]
        for key in ("all", f"fold {page.fold}"):
            groups.setdefault(key, SnippetScore()).add(page, output, ms)
    return groups


def _cell(score: Score | SnippetScore | None, cjk: Score | None = None) -> str:
    if score is None or not score.ms:
        return "-"
    both = f"{score.f1:.3f}" + (f" / {cjk.f1:.3f}" if cjk is not None and cjk.ms else "")
    return f"{both}  {score.mostly_not:>2}  {statistics.median(score.ms):5.1f}"


def print_table(
    title: str,
    columns: Sequence[str],
    rows: dict[str, dict[str, Score]] | dict[str, dict[str, SnippetScore]],
) -> None:
    """One row per extractor, one cell per fold: F1 (and CJK F1), mostly-not count, median ms."""
    print(f"\n{title}")
    print(f"  {'':<12}" + "".join(f"{c:<32}" for c in columns))
    for name, groups in rows.items():
        cells = []
        for column in columns:
            key = column.split(" (")[0]
            cjk = groups.get(f"{key} cjk" if key != "all" else "cjk")
            cells.append(_cell(groups.get(key), cjk if isinstance(cjk, Score) else None))
        print(f"  {name:<12}" + "".join(f"{c:<32}" for c in cells))


def print_detail(name: str, groups: dict[str, Score] | dict[str, SnippetScore]) -> None:
    print(f"\n{name}")
    for key in sorted(groups):
        print(f"  {key:<32} {groups[key].summary()}")


def print_worst(
    pages: list[Page],
    snippet_pages: list[SnippetPage],
    results: dict[str, dict[str, tuple[str, float]]],
    count: int,
    fold: int | None,
) -> None:
    """monitor's worst pages (of one fold), beside the peers' figures on them."""
    rows = []
    for page in pages:
        if fold is None or page.fold == fold:
            scores = {
                n: precision_recall(page.truth, r[page.id][0], page.cjk) for n, r in results.items()
            }
            p, r = scores["monitor"]
            f = 2 * (p or 0) * (r or 0) / ((p or 0) + (r or 0)) if (p or 0) + (r or 0) else 0.0
            peers = "  ".join(
                f"{n} P{s[0] or 0:.2f} R{s[1] or 0:.2f}"
                for n, s in scores.items()
                if n != "monitor"
            )
            rows.append(
                (f, f"{page.dataset}/{page.id} P{p or 0:.2f} R{r or 0:.2f}  {peers}  {page.url}")
            )
    for page in snippet_pages:
        if fold is None or page.fold == fold:
            marks = {}
            for name, res in results.items():
                if page.id not in res:
                    continue
                text = _norm(res[page.id][0])
                missed = sum(_norm(s) not in text for s in page.must)
                leaked = sum(_norm(s) in text for s in page.must_not)
                marks[name] = (missed, leaked)
            missed, leaked = marks["monitor"]
            total = len(page.must) + len(page.must_not)
            peers = "  ".join(f"{n} -{m}+{lk}" for n, (m, lk) in marks.items() if n != "monitor")
            bad = 1 - (missed + leaked) / total if total else 1.0
            rows.append(
                (bad, f"snippets/{page.id} missed {missed} leaked {leaked}  {peers}  {page.url}")
            )
    rows.sort(key=lambda row: row[0])
    print(f"\nworst pages{f' of fold {fold}' if fold is not None else ''}:")
    for _, line in rows[:count]:
        print(f"  {line}")


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


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--snippets", type=Path, default=DEFAULT_SNIPPETS)
    parser.add_argument("--only", choices=("corpus", "snippets"), help="measure one corpus")
    parser.add_argument("--peers", action="store_true", help="also run trafilatura and readability")
    parser.add_argument("--detail", action="store_true", help="per dataset and page kind too")
    parser.add_argument("--worst", type=int, default=0, help="list monitor's N worst pages")
    parser.add_argument("--fold", type=int, choices=(0, 1), help="--worst: of this fold only")
    parser.add_argument("--save-outputs", type=Path, help="write monitor's outputs here")
    parser.add_argument("--verify-with", type=Path, help="the corpus's eval_extraction.py")
    return parser.parse_args(argv)


def _columns(pages: Sequence[Page | SnippetPage]) -> list[str]:
    counts = Counter(p.fold for p in pages)
    return [f"fold 0 ({counts[0]})", f"fold 1 ({counts[1]})", f"all ({len(pages)})"]


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    use_corpus = args.only != "snippets" and args.corpus.is_dir()
    use_snippets = args.only != "corpus" and (args.snippets / "manifest.json").is_file()
    if not use_corpus and not use_snippets:
        print(
            f"no corpus at {args.corpus} or {args.snippets}: nothing to measure (bench/README.md)"
        )
        return 0
    pages = load_pages(args.corpus) if use_corpus else []
    snippet_pages = load_snippet_pages(args.snippets) if use_snippets else []
    results: dict[str, dict[str, tuple[str, float]]] = {}
    shingle_rows: dict[str, dict[str, Score]] = {}
    snippet_rows: dict[str, dict[str, SnippetScore]] = {}
    for name, extract in available_extractors(args.peers).items():
        mine = run_extractor(extract, pages)
        theirs = run_extractor(extract, snippet_pages)
        shingle_rows[name] = shingle_groups(pages, mine)
        snippet_rows[name] = snippet_groups(snippet_pages, theirs)
        results[name] = {**mine, **theirs}
        if name == "monitor" and pages and (args.save_outputs or args.verify_with):
            folder = args.save_outputs or Path(tempfile.mkdtemp(prefix="monitor-bench-"))
            predictions = save_outputs(folder, mine)
            if args.verify_with:
                verify(args.verify_with, args.corpus, predictions)
    _print_tables(args, pages, snippet_pages, shingle_rows, snippet_rows)
    if "monitor" in results:
        print_confidence([*pages, *snippet_pages], results["monitor"])
        corpora: dict[str, Sequence[Page] | Sequence[SnippetPage]] = {
            args.corpus.name: pages,
            args.snippets.name: snippet_pages,
        }
        print_paths(corpora, results["monitor"])
        print_replays(corpora)
    if args.worst:
        print_worst(pages, snippet_pages, results, args.worst, args.fold)
    return 0


def _print_tables(
    args: argparse.Namespace,
    pages: list[Page],
    snippet_pages: list[SnippetPage],
    shingle_rows: dict[str, dict[str, Score]],
    snippet_rows: dict[str, dict[str, SnippetScore]],
) -> None:
    cells = "cells: F1 [/ CJK F1], pages mostly not the article, median ms/page"
    if pages:
        cjk = sum(p.cjk for p in pages)
        title = f"{args.corpus}: {len(pages)} pages ({cjk} CJK), shingle F1 combined / CJK"
        print_table(f"{title}; {cells}", _columns(pages), shingle_rows)
    if snippet_pages:
        print_table(f"{args.snippets}: snippet F1; {cells}", _columns(snippet_pages), snippet_rows)
    if args.detail:
        for name in shingle_rows:
            print_detail(f"{name}, {args.corpus.name}", shingle_rows[name])
            print_detail(f"{name}, {args.snippets.name}", snippet_rows[name])


if __name__ == "__main__":
    sys.exit(main())
