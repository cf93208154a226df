"""The web UI in a real browser: Debian's chromium, driven by Playwright, against the real app
on a real uvicorn server over a database filled by real checks of the sample site.

Skipped when chromium is missing, unless MONITOR_REQUIRE_BROWSER=1 (CI) makes that a failure.
One browser for the module and a fresh context per test keep it to a few seconds.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser import (
    HOSTILE_FEED,
    HOSTILE_TITLE,
    PROBE,
    Tab,
    UiDatabase,
    UiServer,
    build_database,
    launch,
    png_pixels,
    require_chromium,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Response

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def database(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> UiDatabase:
    return build_database(tmp_path_factory.mktemp("ui") / "ui.db")


@pytest.fixture(scope="module")
def ui(database: UiDatabase) -> Iterator[UiServer]:
    with UiServer(database.path) as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium: str, ui: UiServer) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        yield browser
        browser.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    tab = Tab.open(browser)
    yield tab
    tab.close()


def visit(tab: Tab, url: str) -> Response:
    """Load ``url``: a 200 HTML page under a strict CSP that the page itself keeps (nothing
    refused, no script error)."""
    response = tab.page.goto(url)
    assert response is not None and response.status == 200, (url, response)
    assert_strict_csp(response.headers.get("content-security-policy", ""))
    assert tab.errors == [], tab.errors
    assert tab.csp_violations() == [], tab.console
    return response


def assert_strict_csp(policy: str) -> None:
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, policy
    assert "'self'" in scripts or "'none'" in scripts, policy
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts), policy


def diff_url(ui: UiServer, watch_id: int, a: int, b: int, view: str = "inline") -> str:
    return ui.url(f"/watches/{watch_id}/diff/{a}/{b}?view={view}")


def texts(tab: Tab, selector: str) -> list[str]:
    return tab.page.locator(selector).all_text_contents()


def watch_ids(tab: Tab) -> set[int]:
    rows = tab.page.locator("#watches tr.watch").all()
    return {int(row.get_attribute("data-watch-id") or 0) for row in rows}


def filter_watches(tab: Tab, text: str, status: str) -> None:
    """Fill in the watch list's filter form and submit it as a person would (Enter)."""
    form = tab.page.locator("#filter")
    form.locator("select[name=status]").select_option(status)
    form.locator("input[name=q]").fill(text)
    with tab.page.expect_navigation():
        form.locator("input[name=q]").press("Enter")


def test_the_watch_list_shows_the_watches_and_filters_them(
    tab: Tab, ui: UiServer, database: UiDatabase
) -> None:
    page = tab.page
    visit(tab, ui.url("/"))
    everyone = {database.ja.id, database.en.id, database.hostile.id, database.failing.id}
    assert watch_ids(tab) == everyone
    for watch_id in everyone:
        link = page.locator(f'#watches tr.watch[data-watch-id="{watch_id}"] a[href]')
        assert f"/watches/{watch_id}" in (link.first.get_attribute("href") or "")

    filter_watches(tab, "budget", "all")
    assert "q=budget" in page.url
    assert watch_ids(tab) == {database.en.id}
    filter_watches(tab, "", "failing")
    assert watch_ids(tab) == {database.failing.id}
    filter_watches(tab, "", "ok")
    assert watch_ids(tab) == everyone - {database.failing.id}
    assert tab.errors == []


def test_from_a_watch_to_one_of_its_diffs(tab: Tab, ui: UiServer, database: UiDatabase) -> None:
    page = tab.page
    visit(tab, ui.url("/"))
    ja = database.ja.id
    row = page.locator(f'#watches tr.watch[data-watch-id="{ja}"]')
    with page.expect_navigation():
        row.locator(f'a[href*="/watches/{ja}"]').first.click()
    assert re.search(rf"/watches/{ja}/?$", page.url), page.url
    assert page.locator("#versions li.version").count() == 4
    assert page.locator("#checks tr").count() >= 4  # one row per check, maybe a header row

    diff_links = page.locator(f'#versions li.version a[href*="/watches/{ja}/diff/"]')
    assert diff_links.count() >= 3  # every version after the first, against its predecessor
    with page.expect_navigation():
        diff_links.first.click()
    assert re.search(rf"/watches/{ja}/diff/\d+/\d+", page.url), page.url
    assert page.locator("#diff").count() == 1
    assert page.locator("#diff ins, #diff del").count() >= 1
    assert tab.errors == []


def test_a_japanese_diff_shows_exactly_the_changed_characters(
    tab: Tab, ui: UiServer, database: UiDatabase
) -> None:
    visit(tab, diff_url(ui, database.ja.id, 1, 2))
    assert tab.page.locator("#diff").get_attribute("data-view") == "inline"
    assert texts(tab, "#diff ins") == ["2000"]
    assert texts(tab, "#diff del") == []
    assert "1万2000人" in tab.page.locator("#diff").inner_text()

    visit(tab, diff_url(ui, database.ja.id, 2, 3))
    assert texts(tab, "#diff del") == ["違"]
    assert texts(tab, "#diff ins") == ["不"]


def test_inline_and_side_by_side_views_switch_by_their_links(
    tab: Tab, ui: UiServer, database: UiDatabase
) -> None:
    page = tab.page
    visit(tab, diff_url(ui, database.ja.id, 1, 2))
    diff = page.locator("#diff")
    assert page.locator("#diff table.side-by-side").count() == 0
    permalink = page.locator("#permalink").get_attribute("href") or ""
    assert f"/watches/{database.ja.id}/diff/1/2" in permalink

    with page.expect_navigation():
        page.locator("#view-side").click()
    assert "view=side" in page.url
    assert diff.get_attribute("data-view") == "side"
    assert page.locator("#diff table.side-by-side").is_visible()
    assert texts(tab, "#diff table.side-by-side ins") == ["2000"]

    with page.expect_navigation():
        page.locator("#view-inline").click()
    assert diff.get_attribute("data-view") == "inline"
    assert page.locator("#diff table.side-by-side").count() == 0
    assert texts(tab, "#diff ins") == ["2000"]
    assert tab.errors == []


CURRENT_INDEX_JS = """() => {
  const changes = [...document.querySelectorAll('.change')];
  return changes.flatMap((el, i) => el.classList.contains('current') ? [i] : []);
}"""


@pytest.mark.parametrize(("forward", "back"), [("j", "k"), ("n", "p")])
def test_keys_move_from_change_to_change(
    tab: Tab, ui: UiServer, database: UiDatabase, forward: str, back: str
) -> None:
    page = tab.page
    visit(tab, diff_url(ui, database.ja.id, 1, 4))  # three edits, two paragraphs
    assert page.locator("#diff .change").count() >= 2
    assert page.evaluate(CURRENT_INDEX_JS) == []
    moves = [(forward, [0]), (forward, [1]), (back, [0])]
    for key, expected in moves:
        page.keyboard.press(key)
        assert page.evaluate(CURRENT_INDEX_JS) == expected, key
    assert page.locator(".change.current").is_visible()
    assert tab.errors == []


def test_search_finds_a_japanese_word_and_links_to_the_version(
    tab: Tab, ui: UiServer, database: UiDatabase
) -> None:
    page = tab.page
    visit(tab, ui.url("/search"))
    box = page.locator('form[action$="/search"] input[name=q]')
    box.fill("専門家パネル")  # only in the paragraph added in version 4
    with page.expect_navigation():
        box.press("Enter")
    hits = page.locator("#results li.hit")
    assert hits.count() >= 1
    assert set(texts(tab, "#results li.hit mark")) == {"専門家パネル"}
    links = hits.locator('a[href*="/versions/"]')
    hrefs = [link.get_attribute("href") or "" for link in links.all()]
    versions = {re.search(r"/watches/(\d+)/versions/(\d+)", href) for href in hrefs}
    assert {(m.group(1), m.group(2)) for m in versions if m} == {(str(database.ja.id), "4")}
    with page.expect_navigation():
        links.first.click()
    assert re.search(rf"/watches/{database.ja.id}/versions/4\b", page.url), page.url
    assert "専門家パネル" in page.locator("article#text").inner_text()
    assert tab.errors == []


def hostile_pages(database: UiDatabase) -> dict[str, tuple[str, ...]]:
    """The pages that show the hostile article, and what of it each shows as text."""
    watch = database.hostile.id
    script, edit = "<script>alert(1)</script>", "<script>window.__pwned=3</script>"
    return {
        "/": (),
        f"/watches/{watch}": (HOSTILE_TITLE, HOSTILE_FEED),
        f"/watches/{watch}/versions/1": (HOSTILE_TITLE, script),
        f"/watches/{watch}/versions/2": (HOSTILE_TITLE, script, edit),
        f"/watches/{watch}/diff/1/2?view=inline": (edit,),
        f"/watches/{watch}/diff/1/2?view=side": (edit,),
        "/search?q=alert": (HOSTILE_TITLE, script),
        "/changes": (),
        "/feeds": (HOSTILE_FEED,),
        f"/feeds/{database.feed}": (HOSTILE_FEED,),
    }


def test_a_hostile_article_never_runs_anywhere(
    tab: Tab, ui: UiServer, database: UiDatabase
) -> None:
    for path, shown in hostile_pages(database).items():
        visit(tab, ui.url(path))  # waits for "load": images tried, any onerror fired
        tab.assert_inert()
        body = tab.page.locator("body").inner_text()
        for text in shown:
            assert text in body, (path, text)  # shown as text, neither run nor dropped
    assert tab.dialogs == [] and tab.errors == []


def test_the_raw_page_is_a_download(tab: Tab, ui: UiServer, database: UiDatabase) -> None:
    url = ui.url(f"/watches/{database.hostile.id}/versions/2/raw")
    response = tab.page.request.get(url)
    assert response.status == 200
    assert response.headers.get("content-disposition", "").startswith("attachment")
    assert b"alert(1)" in response.body()


def test_the_csp_refuses_an_injected_inline_script(
    tab: Tab, ui: UiServer, database: UiDatabase
) -> None:
    page = tab.page
    visit(tab, diff_url(ui, database.ja.id, 1, 2))
    # One evaluation that resolves when both violations are reported (Playwright's
    # wait_for_function polls with eval, which this very CSP refuses once it has to poll).
    refused = page.evaluate("""() => new Promise((resolve) => {
      const seen = new Set();
      document.addEventListener('securitypolicyviolation', (e) => {
        seen.add(e.effectiveDirective);
        if (seen.has('script-src-elem') && seen.has('script-src-attr')) resolve(true);
      });
      setTimeout(() => resolve([...seen]), 10000);
      const script = document.createElement('script');
      script.textContent = 'window.__pwned = "inline"; alert("inline")';
      document.body.append(script);
      document.body.insertAdjacentHTML('beforeend',
        '<img src="missing.png" onerror="window.__pwned = \\'handler\\'; alert(2)">');
    })""")
    assert refused is True, refused  # the <script> element and the onerror attribute
    assert page.evaluate(f"typeof {PROBE}") == "undefined"
    assert tab.dialogs == []
    assert tab.csp_violations(), tab.console  # chromium says so on the console too


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", header
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_a_full_page_screenshot_of_a_diff(
    tab: Tab, ui: UiServer, database: UiDatabase, tmp_path_factory: pytest.TempPathFactory
) -> None:
    visit(tab, diff_url(ui, database.ja.id, 1, 4, view="side"))
    path = tmp_path_factory.mktemp("screenshots") / "diff.png"
    tab.page.screenshot(path=str(path), full_page=True)
    width, height = png_size(path)
    viewport = tab.page.viewport_size
    assert viewport is not None and width == viewport["width"] and height > viewport["height"]
    assert path.stat().st_size > 20_000  # text and colour, not a blank page


@pytest.mark.parametrize("view", ["inline", "side"])
def test_a_diff_fits_a_phone_screen(
    browser: Browser, ui: UiServer, database: UiDatabase, view: str
) -> None:
    tab = Tab.open(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        visit(tab, diff_url(ui, database.ja.id, 1, 4, view=view))
        width = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[1] == PHONE["width"], "no <meta name=viewport content=width=device-width>"
        assert width[0] <= width[1], f"{view}: page is {width[0]} px wide on a {width[1]} px screen"
    finally:
        tab.close()


def _strong_share(png: bytes) -> float:
    """The share of pixels in a screenshot whose colour is strong (not white, grey or a pale
    tint): max - min of the RGB channels of at least 60."""
    pixels = png_pixels(png)
    return sum(max(p) - min(p) >= 60 for p in pixels) / len(pixels)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_one_character_japanese_correction_stands_out(
    browser: Browser, ui: UiServer, database: UiDatabase, width: str
) -> None:
    options = {"viewport": PHONE, "is_mobile": True} if width == "phone" else {}
    tab = Tab.open(browser, **options)
    try:
        visit(tab, diff_url(ui, database.ja.id, 2, 3))  # 違法な → 不法な
        for selector, line in (("#diff del", "line-through"), ("#diff ins", "underline")):
            mark = tab.page.locator(selector)
            assert mark.count() == 1
            share = _strong_share(mark.screenshot())
            assert share >= 0.4, f"{width} {selector}: {share:.0%} of its pixels stand out"
            style = mark.evaluate(
                "e => { const s = getComputedStyle(e); return [s.textDecorationLine, "
                "s.outlineStyle, parseFloat(s.outlineWidth), parseInt(s.fontWeight)]; }"
            )
            assert line in style[0]  # told by its line, for readers who cannot tell the colours
            assert style[1] != "none" and style[2] >= 1 and style[3] >= 700
    finally:
        tab.close()


def test_urls_wrap_between_path_parts_never_inside_the_host(
    browser: Browser, ui: UiServer, database: UiDatabase
) -> None:
    tab = Tab.open(browser, viewport={"width": 320, "height": 700}, is_mobile=True)
    try:
        visit(tab, ui.url(f"/watches/{database.ja.id}"))
        host = tab.page.locator("dd.url span.host")
        assert host.evaluate("e => e.getClientRects().length") == 1  # one line, whole
    finally:
        tab.close()
