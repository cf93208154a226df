"""Japanese (and a few Chinese) article pages: decoding, titles, snippets, F1.

    python bench/pages_cjk.py [--corpus ../shared/corpus/pages_cjk]

For each page of the corpus manifest: decode the raw bytes as the fetcher does
(``monitor.fetch.decode_html(bytes, None)``) and compare with the page's known encoding (no
mojibake), extract the article, then check what the page's expectations give: the title, the
content snippets that must be there and those that must not, and the shingle F1 against a
full ``*.expected.txt`` (the metric of ``bench/extraction.py``). The pages are third-party and
never copied into this repository; without the corpus the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extraction import precision_recall

from monitor.extract import extract_article
from monitor.fetch import decode_html
from monitor.models import Article

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "pages_cjk"
#: Boilerplate that a page is known to carry and the article text must not (see the manifest).
MUST_NOT = {"wordpress_ja_commoncrawl": ("関連記事", "コメントを残す", "メールアドレスが公開")}
MIN_F1 = 0.95
CONVENTION = "differs by convention: "
#: Expected snippets that start with text monitor leaves out on purpose: the leading text,
#: and the convention. The rest of the snippet must still be found.
CONVENTIONS = {
    "mercury_parser/www.publickey1.jp.html": (
        "2019年4月4日",
        "a dateline above the body: dates are page furniture, not text",
    ),
}


def compact(text: str) -> str:
    return "".join(text.split())


def decoding_ok(raw: bytes, entry: dict[str, str]) -> tuple[str, bool]:
    """The decoded page and whether it equals the bytes decoded with their real encoding."""
    text, _ = decode_html(raw, None)
    actual = entry.get("actual_encoding") or "utf-8"
    reference = raw.decode(actual, errors="replace").lstrip("\ufeff")
    return text, text.lstrip("\ufeff") == reference and "\ufffd" not in text


def expectations(folder: Path, entry: dict[str, object]) -> tuple[dict[str, object], str | None]:
    """The page's partial expectations (JSON) and its full expected text, if any."""
    partial: dict[str, object] = {}
    full = None
    for name in entry.get("expected") or []:  # type: ignore[attr-defined]
        path = folder / str(name)
        if path.name.endswith(".expected.json"):
            partial = json.loads(path.read_text(encoding="utf-8"))
        elif path.name.endswith(".expected.txt"):
            full = path.read_text(encoding="utf-8")
    return partial, full


def checks(
    article: Article,
    partial: dict[str, object],
    full: str | None,
    source: str,
    convention: tuple[str, str] | None = None,
) -> list[str]:
    """Failed checks, as short messages (empty when all pass)."""
    document = compact(article.document)
    failed = []
    title = str(partial.get("title") or "").strip()
    if title and compact(title) not in compact(article.title):
        failed.append(f"title {article.title!r}")
    content = str(partial.get("content") or "")
    must = [content] if content else []
    must += [str(s) for s in partial.get("with") or []]  # type: ignore[attr-defined]
    must_not = [str(s) for s in partial.get("without") or []]  # type: ignore[attr-defined]
    must_not += MUST_NOT.get(source, ())
    failed += [_missing(s, document, convention) for s in must if compact(s) not in document]
    failed += [f"present {s[:20]!r}" for s in must_not if compact(s) in document]
    if full is not None:
        p, r = precision_recall(full, article.text, True)
        f1 = 2 * p * r / (p + r) if p and r else 0.0
        if f1 < MIN_F1:
            failed.append(f"F1 {f1:.3f}")
    return failed


def _missing(snippet: str, document: str, convention: tuple[str, str] | None) -> str:
    """Why an expected snippet is not found: missing, or left out by a known convention (when
    the snippet starts with the convention's text and the rest of it is found)."""
    text = compact(snippet)
    if convention is not None:
        lead, why = convention
        if text.startswith(compact(lead)) and text[len(compact(lead)) :] in document:
            return f"{CONVENTION}{why}"
    return f"missing {snippet[:20]!r}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    manifest = args.corpus / "manifest.json"
    if not manifest.is_file():
        print(f"no corpus at {args.corpus}: nothing to check")
        return 0
    failures = conventions = 0
    print(f"{'page':<52} {'extractor':<10} {'lines':>5} {'decode':<6} {'F1':>5}  result")
    for entry in json.loads(manifest.read_text(encoding="utf-8")):
        row, failed = check_page(args.corpus, entry)
        failing = [f for f in failed if not f.startswith(CONVENTION)]
        failures += bool(failing)
        conventions += len(failed) - len(failing)
        print(f"{row}  {'ok' if not failed else '; '.join(failed)}")
    print(f"\n{failures} page(s) failing; {conventions} check(s) differ by convention")
    return 0


def check_page(folder: Path, entry: dict[str, object]) -> tuple[str, list[str]]:
    """One table row and the page's failed checks."""
    raw = (folder / str(entry["file"])).read_bytes()
    html, decoded = decoding_ok(raw, entry)  # type: ignore[arg-type]
    article = extract_article(html, str(entry.get("url") or "") or None)
    partial, full = expectations(folder, entry)
    convention = CONVENTIONS.get(str(entry["file"]))
    failed = checks(article, partial, full, str(entry["source"]), convention)
    if not decoded:
        failed.insert(0, "mojibake")
    f1 = "-"
    if full is not None:
        p, r = precision_recall(full, article.text, True)
        f1 = f"{2 * p * r / (p + r):.3f}" if p and r else "0"
    lines = len(article.text.splitlines())
    name = str(entry["file"])[-52:]
    return (
        f"{name:<52} {article.extractor:<10} {lines:>5} {'ok' if decoded else 'BAD':<6} {f1:>5}",
        failed,
    )


if __name__ == "__main__":
    sys.exit(main())
