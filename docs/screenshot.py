"""Make docs/diff.png: the web UI's diff of the Japanese sample article, in a real browser.

    pip install -e '.[dev]'                         # playwright (no browser download)
    apt-get install chromium fonts-ipafont-gothic   # Debian's chromium and a Japanese font
    python docs/screenshot.py [--view inline|side] [--width 1200] [--out docs/diff.png]

It builds the browser tests' database (tests/browser.py): the sample site on 127.0.0.1,
checked by the real pipeline while it is edited (1万人 → 1万2000人, 違法な → 不法な, an added
paragraph), serves ``monitor.web`` over it with uvicorn and screenshots the diff of the
first and the last version with headless chromium.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import UiServer, build_database, launch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--view", choices=("inline", "side"), default="inline")
    parser.add_argument("--width", type=int, default=1200, help="viewport width in CSS px")
    parser.add_argument("--height", type=int, default=900, help="viewport (and image) height")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "diff.png")
    return parser.parse_args(argv)


def screenshot(url: str, out: Path, width: int, height: int) -> None:
    """Load ``url`` in headless chromium and save the top ``width`` x ``height`` of it."""
    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = launch(playwright, executable)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.keyboard.press("j")  # focus the first change, as a reader would
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(out))
        browser.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="monitor-screenshot-") as directory:
        database = build_database(Path(directory) / "monitor.db")
        with UiServer(database.path) as ui:
            url = ui.url(f"/watches/{database.ja.id}/diff/1/4?view={args.view}")
            screenshot(url, args.out, args.width, args.height)
    print(f"{args.out}: {args.out.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
