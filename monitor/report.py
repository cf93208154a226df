"""ChangeReport -> text: terminal, plain text, Markdown, self-contained HTML and JSON.

Every format shows the watch (name, URL), the two versions (numbers and times; "first version"
when there is no old one), the notes (reverted to an earlier version, silent edit, line-level
diff), the stats and the hunks with line numbers, "…" between hunks. Page text is untrusted:
escape sequences and control characters (C0 and C1, except line breaks) are removed from it in
the text formats, Markdown and HTML special characters are escaped, and only http(s) URLs
become links. JSON keeps the text exactly, with control characters escaped.

JSON schema (``render(report, "json")``; ``report_to_dict`` returns the same as a dict)::

    {
      "schema": "monitor.change/1",
      "change_id": 12,                  // int, or null for an ad-hoc comparison
      "detected_at": "2024-05-01T09:00:00+00:00",   // UTC ISO-8601, or null
      "watch": {"id": 3, "name": "nhk-economy", "url": "https://…"},
      "old": {                          // null when "new" is the first version
        "snapshot_id": 40, "version": 2, "created_at": "…", "title": "…",
        "modified_at": "…"              // declared by the page, or null
      },
      "new": {"snapshot_id": 41, "version": 3, "created_at": "…", "title": "…",
              "modified_at": null},
      "reverted_to": null,              // version number the text returned to, or null
      "kind": "changed",                // "changed", "revert", or "flap" (back to a version
                                        // one of the last checks saw: not notified)
      "silent_edit": false,             // text changed, declared modified date did not
      "stats": {"chars_added": 4, "chars_removed": 0, "share_changed": 0.0123,
                "granularity": "token"},   // "token" (words / CJK characters) or "line"
      "ops": [[0, "死者は1万"], [1, "2000"], [0, "人に…"]],
      "hunks": [{"lines": [{"old_lineno": 7, "new_lineno": 7,
                            "ops": [[0, "死者は1万"], [1, "2000"], [0, "人に…"]]}]}]
    }

``ops`` covers both texts: op 0 is kept, -1 removed, 1 added; joining the texts of ops 0 and -1
gives the old text, of ops 0 and 1 the new one (line breaks included). ``hunks`` are for display:
changed lines with context, no line breaks inside their ops; a wholly added line has
``old_lineno`` null, a wholly removed one ``new_lineno`` null. share_changed is
(added + removed) / (len(old) + len(new)), a fraction with 4 decimals. Within
``monitor.change/1`` keys are only ever added.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from monitor.models import ChangeReport, DiffLine, DiffOp, Hunk, VersionRef

logger = logging.getLogger(__name__)

FORMATS = ("terminal", "text", "markdown", "html", "json")
SCHEMA = "monitor.change/1"
GAP = "…"

# Escape sequences: CSI (ESC [ or U+009B), strings (OSC, DCS, SOS, PM, APC; up to BEL or ST)
# and the short ones (ESC 7, ESC ( B, ...). Lone control characters go afterwards.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&$])")
_PUNCTUATION = re.compile(r"[^\w\s]")
_HAIR_SPACE = "\u200a"  # Unicode whitespace that lets Markdown delimiters open and close

Marker = Callable[[int, str], str]


def render(report: ChangeReport, fmt: str, *, color: bool = True) -> str:
    """The report in one of FORMATS; ``color`` applies to "terminal" only."""
    if fmt == "terminal":
        return render_terminal(report, color=color)
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown report format {fmt!r}; allowed: {', '.join(FORMATS)}")
    return renderer(report)


def clean(text: str) -> str:
    """Page text without escape sequences or control characters (line breaks stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\t", " ")))


def _one_line(text: str) -> str:
    return " ".join(clean(text).split("\n"))


# -- the facts every format shows --------------------------------------------------------------


def _version(ref: VersionRef) -> str:
    return f"version {ref.version} ({ref.created_at})"


def versions_line(report: ChangeReport) -> str:
    """The versions compared, as "version 2 (time) → version 3 (time)"."""
    if report.old is None:
        return f"First {_version(report.new)}: no earlier version to compare with"
    return f"{_version(report.old)} → {_version(report.new)}"


def stats_line(report: ChangeReport) -> str:
    """The stats, as "+N / −M characters, P% of the text changed"."""
    diff = report.diff
    share = diff.share_changed * 100
    percent = "<0.1%" if 0 < share < 0.1 else f"{share:.1f}%"
    return f"+{diff.chars_added} / −{diff.chars_removed} characters, {percent} of the text changed"


def notes(report: ChangeReport) -> list[str]:
    """Sentences about the change worth a reader's attention."""
    found = []
    if report.kind == "flap":
        found.append(
            f"Back to version {report.reverted_to}, seen on one of the last checks: the page "
            "flaps between versions (recorded, not notified)."
        )
    elif report.reverted_to is not None:
        found.append(f"Reverted to version {report.reverted_to}: the text is again as it was then.")
    if report.silent_edit:
        found.append("Silent edit: the text changed but the declared modification date did not.")
    if report.diff.granularity == "line":
        found.append("Changed lines are shown whole: the change was too large for a word diff.")
    if not report.diff.hunks:
        found.append("No text changes.")
    return found


def _detected(report: ChangeReport) -> str | None:
    if report.detected_at is None and report.change_id is None:
        return None
    change = f"change #{report.change_id}" if report.change_id is not None else "change"
    return f"{report.detected_at} ({change})" if report.detected_at else change


def _facts(report: ChangeReport) -> list[tuple[str, str]]:
    """(label, value) pairs for the header, values cleaned for display."""
    facts = [("URL", _one_line(report.url)), ("Versions", versions_line(report))]
    if report.new.title:
        facts.append(("Title", _one_line(report.new.title)))
    if report.new.modified_at:
        facts.append(("Modified", _one_line(report.new.modified_at)))
    detected = _detected(report)
    if detected:
        facts.append(("Detected", _one_line(detected)))
    changed = "nothing: the texts are the same" if report.diff.is_empty else stats_line(report)
    facts.append(("Changed", changed))
    return facts


def _number_width(hunks: Iterable[Hunk]) -> int:
    numbers = [
        number
        for hunk in hunks
        for line in hunk.lines
        for number in (line.old_lineno, line.new_lineno)
        if number is not None
    ]
    return len(str(max(numbers, default=0)))


def _shown(hunk: Hunk) -> Iterator[tuple[DiffLine, tuple[int | None, int | None]]]:
    """Each line of a hunk with the numbers to show: a line of one text that the other text
    broke over several rows is numbered on its first row only (not "5 2", then "5 5")."""
    last_old: int | None = None
    last_new: int | None = None
    for line in hunk.lines:
        old = None if line.old_lineno == last_old else line.old_lineno
        new = None if line.new_lineno == last_new else line.new_lineno
        yield line, (old, new)
        last_old, last_new = line.old_lineno, line.new_lineno


def _gutter(numbers: tuple[int | None, int | None], width: int) -> str:
    old, new = ("" if number is None else str(number) for number in numbers)
    return f"{old:>{width}} {new:>{width}}"


# -- text and terminal -------------------------------------------------------------------------


def _wdiff(op: int, text: str) -> str:
    return {0: text, -1: f"[-{text}-]", 1: f"{{+{text}+}}"}[op]


def _ansi(op: int, text: str) -> str:
    return {0: text, -1: f"\x1b[9;31m{text}\x1b[0m", 1: f"\x1b[32m{text}\x1b[0m"}[op]


def _plain(report: ChangeReport, mark: Marker, style: Marker) -> str:
    """The text layout; ``mark`` decorates diff pieces, ``style`` headings (1) and gutters (0)."""
    lines = [style(1, _one_line(report.watch_name))]
    lines += [f"{label}: {value}" for label, value in _facts(report)]
    lines += [style(1, note) for note in notes(report)]
    width = _number_width(report.diff.hunks)
    for index, hunk in enumerate(report.diff.hunks):
        lines.append("" if index == 0 else GAP)
        for line, numbers in _shown(hunk):
            text = "".join(mark(piece.op, clean(piece.text)) for piece in line.ops)
            lines.append(f"{style(0, _gutter(numbers, width))} │ {text}".rstrip())
    return "\n".join(lines) + "\n"


def render_text(report: ChangeReport) -> str:
    """Plain text with wdiff markers: [-removed-] and {+added+}."""
    return _plain(report, _wdiff, lambda kind, text: text)


def render_terminal(report: ChangeReport, *, color: bool = True) -> str:
    """Text for a terminal: ANSI colours (removed red struck through, added green) if ``color``."""
    if not color:
        return render_text(report)
    return _plain(report, _ansi, lambda kind, text: f"\x1b[{1 if kind else 2}m{text}\x1b[0m")


# -- Markdown ------------------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Page text as literal Markdown: control characters gone, specials backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _one_line(text))


def _is_open_side(char: str) -> bool:
    """True if a Markdown delimiter next to ``char`` may open or close whatever is inside."""
    return not char or char.isspace() or bool(_PUNCTUATION.match(char))


def _markdown_piece(piece: DiffOp, before: str, after: str) -> str:
    """One changed piece as ~~removed~~ or **added**, valid whatever text surrounds it.

    Leading and trailing spaces go outside the delimiters (which cannot sit next to them); a
    piece of spaces only shows as "␣". Where the piece starts or ends with punctuation next to
    a letter (common in Japanese: 。、「」), CommonMark would not take the delimiter as one, so
    a hair space (U+200A, Unicode whitespace) separates them.
    """
    text = clean(piece.text)
    core = text.strip() or "␣" * len(text)
    if not core:
        return ""
    lead = text[: len(text) - len(text.lstrip())] if text.strip() else ""
    trail = text[len(text.rstrip()) :] if text.strip() else ""
    delimiter = "~~" if piece.op == -1 else "**"
    opening = _pad(core[0], lead[-1:] or before) + delimiter
    closing = delimiter + _pad(core[-1], trail[:1] or after)
    return f"{lead}{opening}{escape_markdown(core)}{closing}{trail}"


def _pad(inside: str, outside: str) -> str:
    """A hair space if a delimiter between ``inside`` and ``outside`` would not count as one."""
    if _PUNCTUATION.match(inside) and not _is_open_side(outside):
        return _HAIR_SPACE
    return ""


def _markdown_line(line: DiffLine) -> str:
    parts = []
    pieces = line.ops
    for index, piece in enumerate(pieces):
        if piece.op == 0:
            parts.append(escape_markdown(piece.text))
            continue
        before = _neighbour(pieces[index - 1], -1) if index > 0 else ""
        after = _neighbour(pieces[index + 1], 0) if index + 1 < len(pieces) else ""
        parts.append(_markdown_piece(piece, before, after))
    return "".join(parts)


def _neighbour(piece: DiffOp, end: int) -> str:
    """The character a delimiter will touch: the text's end, or a delimiter of a changed piece."""
    text = clean(piece.text)
    return (text[end] if text else "") if piece.op == 0 else "*"


def _markdown_url(url: str) -> str:
    if _is_web_url(url) and not re.search(r"[\s<>]", url):
        return f"<{url}>"
    return escape_markdown(url)


def render_markdown(report: ChangeReport) -> str:
    """Markdown: a heading, the facts as a list, then the hunks as lists of lines."""
    out = [f"## {escape_markdown(report.watch_name)}", ""]
    for label, value in _facts(report):
        shown = _markdown_url(report.url) if label == "URL" else escape_markdown(value)
        out.append(f"- **{label}:** {shown}")
    out += [f"- **Note:** {escape_markdown(note)}" for note in notes(report)]
    if report.diff.hunks:
        out += ["", "### Changes"]
    width = _number_width(report.diff.hunks)
    for index, hunk in enumerate(report.diff.hunks):
        out += ["", GAP, ""] if index else [""]
        out += [
            f"- `{_gutter(numbers, width)}` {_markdown_line(line)}"
            for line, numbers in _shown(hunk)
        ]
    return "\n".join(out) + "\n"


# -- HTML ----------------------------------------------------------------------------------------

_STYLE = """
:root { color-scheme: light dark; --del: #ffe3e3; --ins: #dcf5dc; --muted: #6b6b6b; }
@media (prefers-color-scheme: dark) { :root { --del: #5a1e1e; --ins: #1d4a25; --muted: #a0a0a0; } }
body { margin: 0; padding: 1.5rem; line-height: 1.75;
  font-family: system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
    "Noto Sans JP", "Noto Sans CJK JP", Meiryo, "Yu Gothic", Roboto, sans-serif; }
main { max-width: 48rem; margin: 0 auto; }
h1 { font-size: 1.4rem; line-height: 1.4; margin: 0 0 .5rem; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.note { font-weight: 600; margin: .25rem 0; }
.hunk { border-top: 1px solid var(--muted); padding: .5rem 0; }
.gap { color: var(--muted); text-align: center; margin: 0; }
.line { display: grid; grid-template-columns: 3.5em 3.5em 1fr; margin: .35rem 0; }
.no { color: var(--muted); font-variant-numeric: tabular-nums; text-align: right;
  padding-right: .75em; user-select: none; }
.text { overflow-wrap: anywhere; }
del { background: var(--del); text-decoration: line-through; }
ins { background: var(--ins); text-decoration: none; }
"""


def _is_web_url(url: str) -> bool:
    return re.match(r"https?://[^\s\x00-\x1f]", url, re.IGNORECASE) is not None


def content_language(report: ChangeReport) -> str:
    """A guess at the language of the page text, for the HTML lang attribute."""
    sample = "".join(piece.text for piece in report.diff.ops[:200])[:5000] + report.new.title
    if re.search("[\u3040-\u30ff]", sample):
        return "ja"
    if re.search("[\uac00-\ud7af]", sample):
        return "ko"
    if re.search("[\u4e00-\u9fff]", sample):
        return "zh"
    return "en"


def _html_piece(piece: DiffOp) -> str:
    text = html.escape(clean(piece.text))
    return {0: text, -1: f"<del>{text}</del>", 1: f"<ins>{text}</ins>"}[piece.op]


def _html_line(line: DiffLine, numbers: tuple[int | None, int | None]) -> str:
    kind = "context" if not line.is_changed else "changed"
    if line.old_lineno is None:
        kind = "added"
    elif line.new_lineno is None:
        kind = "removed"
    cells = "".join(f'<span class="no">{"" if n is None else n}</span>' for n in numbers)
    text = "".join(_html_piece(piece) for piece in line.ops)
    return f'<p class="line {kind}">{cells}<span class="text">{text}</span></p>'


def _html_url(url: str) -> str:
    shown = html.escape(_one_line(url))
    if not _is_web_url(url):
        return shown
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer nofollow">{shown}</a>'


def _html_header(report: ChangeReport, lang: str) -> list[str]:
    out = [f"<h1>{html.escape(_one_line(report.watch_name))}</h1>", "<dl>"]
    for label, value in _facts(report):
        shown = _html_url(report.url) if label == "URL" else html.escape(value)
        attribute = f' lang="{lang}"' if label == "Title" else ""
        out.append(f"<dt>{label}</dt><dd{attribute}>{shown}</dd>")
    out.append("</dl>")
    out += [f'<p class="note">{html.escape(note)}</p>' for note in notes(report)]
    return out


def _html_body(report: ChangeReport) -> list[str]:
    lang = content_language(report)
    body = _html_header(report, lang)
    body.append(f'<section class="hunks" lang="{lang}">')
    for index, hunk in enumerate(report.diff.hunks):
        if index:
            body.append(f'<p class="gap">{GAP}</p>')
        rows = (_html_line(line, numbers) for line, numbers in _shown(hunk))
        body += ['<div class="hunk">', *rows, "</div>"]
    body.append("</section>")
    return body


def render_html_fragment(report: ChangeReport) -> str:
    """The body of :func:`render_html` without page or style (for feed entries): facts,
    notes and hunks with <del>/<ins>; every piece of page text escaped."""
    return "\n".join(_html_body(report)) + "\n"


def render_html(report: ChangeReport) -> str:
    """A complete HTML5 page with <del>/<ins>; every piece of page text escaped."""
    body = _html_body(report)
    title = html.escape(f"{_one_line(report.watch_name)}: {versions_line(report)}")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head>\n<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>",
            "<body>\n<main>",
            *body,
            "</main>\n</body>\n</html>\n",
        ]
    )


# -- JSON ----------------------------------------------------------------------------------------


def _version_dict(ref: VersionRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {
        "snapshot_id": ref.snapshot_id,
        "version": ref.version,
        "created_at": ref.created_at,
        "title": ref.title,
        "modified_at": ref.modified_at,
    }


def _ops_list(ops: Iterable[DiffOp]) -> list[list[int | str]]:
    return [[piece.op, piece.text] for piece in ops]


def report_to_dict(report: ChangeReport) -> dict[str, Any]:
    """The report as plain data in the stable ``monitor.change/1`` schema (module docstring)."""
    diff = report.diff
    return {
        "schema": SCHEMA,
        "change_id": report.change_id,
        "detected_at": report.detected_at,
        "watch": {"id": report.watch_id, "name": report.watch_name, "url": report.url},
        "old": _version_dict(report.old),
        "new": _version_dict(report.new),
        "reverted_to": report.reverted_to,
        "kind": report.kind,
        "silent_edit": report.silent_edit,
        "stats": {
            "chars_added": diff.chars_added,
            "chars_removed": diff.chars_removed,
            "share_changed": diff.share_changed,
            "granularity": diff.granularity,
        },
        "ops": _ops_list(diff.ops),
        "hunks": [
            {
                "lines": [
                    {
                        "old_lineno": line.old_lineno,
                        "new_lineno": line.new_lineno,
                        "ops": _ops_list(line.ops),
                    }
                    for line in hunk.lines
                ]
            }
            for hunk in diff.hunks
        ],
    }


def render_json(report: ChangeReport) -> str:
    """JSON of ``report_to_dict``; C1 controls and U+2028/9 escaped, so the output is inert."""
    text = json.dumps(report_to_dict(report), ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_RENDERERS: dict[str, Callable[[ChangeReport], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}
