"""The built-in sample site: deterministic pages, noise that leaves the text alone, edits."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from monitor import samplesite
from monitor.samplesite import Block, Noise, SampleArticle

EXTRACT_DIR = Path(__file__).parents[1] / "data" / "extract"

# The generated extraction fixtures: case -> (sample article, noise). Regenerate with
# MONITOR_REGENERATE_FIXTURES=1 pytest tests/samplesite/test_samplesite.py, then review the diff.
FIXTURE_PAGES: dict[str, tuple[str, Noise]] = {
    "jannah_ja": (
        "ja",
        Noise(
            seed=7,
            comment_count=2,
            comments=(
                ("山田太郎", "地域の協力体制について、とても分かりやすい解説でした。"),
                ("Kenji", "続報を楽しみにしています。制裁の実効性についても知りたいです。"),
            ),
        ),
    ),
    "wordpress_en_comments": (
        "en",
        Noise(
            seed=3,
            timestamp="2026-11-26T07:15:00-05:00",
            comments=(
                ("Gary P.", "Sunday hours at the Westside branch can't come soon enough."),
                ("Linda Ostrowski", "I'd like to see the full list of streets being repaved."),
            ),
        ),
    ),
}

NOISES = (
    Noise(),
    Noise(seed=1, timestamp="2026-11-28T15:30:00+09:00", comment_count=4),
    Noise(
        seed=99, timestamp="2027-01-02T00:05:00+09:00", comments=(("読者", "参考になりました。"),)
    ),
)


def soup_of(page: str) -> BeautifulSoup:
    return BeautifulSoup(page, "lxml")


def visible_text(page: str) -> str:
    """All text nodes outside scripts and styles, whitespace collapsed (a careless extractor)."""
    soup = soup_of(page)
    for node in soup(["script", "style"]):
        node.decompose()
    return " ".join(soup.get_text(" ").split())


@pytest.fixture(params=samplesite.SAMPLE_NAMES)
def article(request: pytest.FixtureRequest) -> SampleArticle:
    return samplesite.load_article(request.param)


def test_render_is_deterministic(article: SampleArticle) -> None:
    for noise in NOISES:
        assert samplesite.render_page(article, noise) == samplesite.render_page(article, noise)


def test_noise_changes_the_page_substantially(article: SampleArticle) -> None:
    pages = [samplesite.render_page(article, noise) for noise in NOISES]
    first = pages[0].splitlines()
    for other in pages[1:]:
        changed = [
            line
            for line in difflib.unified_diff(first, other.splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert len(changed) >= 30


def test_noise_leaves_the_article_blocks_alone(article: SampleArticle) -> None:
    """Every block is on every page, and the body's own elements are byte-identical."""

    def body_elements(page: str) -> list[str]:
        content = soup_of(page).select_one(".entry-content")
        assert content is not None
        return [
            str(el)
            for el in content.find_all(["p", "h2", "ul", "blockquote", "figure"])
            if not el.find_parent(class_=["stream-item", "code-block", "sharedaddy"])
            and not el.find_parent(id=["inline-related-post", "jp-relatedposts"])
            and "ad-label" not in (el.get("class") or [])
        ]

    pages = [samplesite.render_page(article, noise) for noise in NOISES]
    assert body_elements(pages[1]) == body_elements(pages[0]) == body_elements(pages[2])
    for page in pages:
        text = visible_text(page)
        for line in samplesite.article_text(article).splitlines():
            assert line in text


def test_article_text_is_title_then_blocks(article: SampleArticle) -> None:
    lines = samplesite.article_text(article).splitlines()
    assert lines[0] == article.title
    assert lines[1:] == [block.text for block in article.blocks]
    assert article.byline not in samplesite.article_text(article)


def test_japanese_ground_truth() -> None:
    article = samplesite.load_article("ja")
    lines = samplesite.article_text(article).splitlines()
    assert lines[0].startswith("北朝鮮とロシアの軍事的結びつき")
    assert article.blocks[0].kind == "lead"
    assert lines[2].startswith("北朝鮮のロシアに対する軍事的支援の強化は")
    assert lines[-1] == "第8戦域維持司令部国家安全保障法チームはハワイを拠点としている。"
    assert "動画提供:アイプレス/ロイター通信" in lines
    assert "画像提供:ロイター通信" in lines
    assert article.categories == ("パートナーシップ", "北東アジア", "紛争・緊張")
    assert not any(
        boiler in lines for boiler in ("関連記事", "コメントを残す", "Back to top button")
    )


def test_japanese_page_has_the_boilerplate_to_strip() -> None:
    article = samplesite.load_article("ja")
    page = samplesite.render_page(article, FIXTURE_PAGES["jannah_ja"][1])
    soup = soup_of(page)
    text = visible_text(page)
    for boiler in (
        "関連記事",
        "コメントを残す",
        "メールアドレスが公開されることはありません。 ※ が付いている欄は必須項目です",
        "Back to top button",
        "人気記事",
        "- 広告 -",
        "スポンサーリンク",
        "地域の協力体制について",  # a comment
    ):
        assert boiler in text
    assert soup.select("#related-posts h3")[0].get_text() == "関連記事"
    assert soup.select_one("#respond #reply-title") is not None
    assert soup.select_one("a#go-to-top span.screen-reader-text") is not None
    assert len(soup.select(".screen-reader-text")) > 10
    assert soup.select_one("input[name=_wp_unfiltered_html_comment]") is not None
    assert soup.select_one("input#akismet_comment_nonce") is not None
    assert soup.select_one(".entry-content .stream-item.stream-item-in-post") is not None
    assert soup.select_one(".entry-content #inline-related-post") is not None
    assert soup.select_one(".entry-content .post-bottom-meta.post-bottom-tags") is not None


def test_japanese_page_follows_the_jannah_skeleton() -> None:
    article = samplesite.load_article("ja")
    soup = soup_of(samplesite.render_page(article))
    assert soup.html is not None and soup.html["lang"] == "ja"
    assert soup.select_one("meta[charset]")["charset"] == "UTF-8"  # type: ignore[index]
    body = soup.select_one("body#tie-body")
    assert body is not None and "single-post" in body["class"]
    for selector in (
        "#tie-container #tie-wrapper header#theme-header",
        "article#the-post header.entry-header-outer nav#breadcrumb",
        "article#the-post h1.post-title.entry-title",
        "article#the-post #single-post-meta .meta-author",
        "article#the-post .featured-area figure.single-featured-image figcaption",
        "article#the-post #share-buttons-top",
        "article#the-post div.entry-content.entry.clearfix figure.wp-caption figcaption",
        "article#the-post #share-buttons-bottom",
        "div.post-components .about-author",
        "div.post-components .prev-next-post-nav",
        "div.post-components #related-posts .related-item",
        "div.post-components #comments #respond form#commentform p.comment-notes",
        "aside.sidebar",
        "footer#footer .copyright-text",
        "#share-buttons-mobile",
        "a#go-to-top",
        "link[rel=canonical]",
        "meta[property='og:title']",
    ):
        assert soup.select_one(selector) is not None, selector
    meta = soup.select_one("#single-post-meta")
    assert meta is not None and article.byline in meta.get_text()
    caption = soup.select_one("figcaption.single-caption-text")
    assert caption is not None and caption.get_text(strip=True) == article.blocks[0].text


def test_json_ld_describes_the_article(article: SampleArticle) -> None:
    modified = samplesite.with_modified(article, "2027-02-03T10:00:00+09:00")
    soup = soup_of(samplesite.render_page(modified))
    graphs = [
        json.loads(node.get_text())
        for node in soup.select("script[type='application/ld+json']")
        if "@graph" in node.get_text()
    ]
    assert len(graphs) == 1
    news = next(item for item in graphs[0]["@graph"] if item["@type"] == "NewsArticle")
    assert news["headline"] == article.title
    assert news["author"]["name"] == article.byline
    assert news["datePublished"] == article.published
    assert news["dateModified"] == "2027-02-03T10:00:00+09:00"
    assert news["inLanguage"] == article.lang
    assert samplesite.article_metadata(modified).modified_at == "2027-02-03T10:00:00+09:00"


def test_every_page_parses_with_one_h1(article: SampleArticle) -> None:
    for noise in NOISES:
        soup = soup_of(samplesite.render_page(article, noise))
        h1s = soup.find_all("h1")
        assert len(h1s) == 1
        assert " ".join(h1s[0].get_text().split()) == article.title
        assert soup.title is not None and article.title in soup.title.get_text()


def test_english_page_is_a_plain_wordpress_page() -> None:
    article = samplesite.load_article("en")
    page = samplesite.render_page(article, FIXTURE_PAGES["wordpress_en_comments"][1])
    soup = soup_of(page)
    for selector in (
        "article.post header.entry-header h1.entry-title",
        "article.post div.entry-content h2",
        "article.post div.entry-content ul li",
        "article.post div.entry-content blockquote",
        "article.post div.entry-content figure.wp-block-image figcaption",
        "article.post div.entry-content .sharedaddy",
        "article.post div.entry-content #jp-relatedposts",
        "article.post footer.entry-footer .byline",
        "#comments ol.comment-list li.comment",
        "#respond #reply-title",
        "aside.widget-area .widget_recent_entries",
        "footer#colophon",
        "a.skip-link.screen-reader-text",
    ):
        assert soup.select_one(selector) is not None, selector
    assert len(soup.select("ol.comment-list > li")) == 2
    assert "Recent Posts" in page and "Leave a Reply" in page
    assert soup.html is not None and soup.html["lang"] == "en-US"


def test_replace_text_changes_one_number() -> None:
    article = samplesite.load_article("ja")
    edited = samplesite.replace_text(article, "1万人", "1万2000人")
    old, new = samplesite.article_text(article), samplesite.article_text(edited)
    changed = [(a, b) for a, b in zip(old.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    assert "1万2000人の軍隊" in changed[0][1]
    assert "1万2000人の軍隊" in samplesite.render_page(edited)
    with pytest.raises(ValueError, match="not in the text"):
        samplesite.replace_text(article, "存在しない文字列", "x")


def test_one_character_correction_and_title_edit() -> None:
    article = samplesite.load_article("ja")
    edited = samplesite.replace_text(article, "戦争を加担する", "戦争に加担する")
    diff = [
        op
        for op in difflib.ndiff(
            [samplesite.article_text(article)], [samplesite.article_text(edited)]
        )
        if op.startswith("?")
    ]
    assert diff  # one line changed, by one character
    assert len(samplesite.article_text(edited)) == len(samplesite.article_text(article))
    retitled = samplesite.replace_text(article, "協調的な対応", "協調した対応")
    assert retitled.title != article.title
    soup = soup_of(samplesite.render_page(retitled))
    assert soup.h1 is not None and soup.h1.get_text(strip=True) == retitled.title


def test_add_and_remove_blocks() -> None:
    article = samplesite.load_article("en")
    added = samplesite.add_block(article, 3, "  A new   paragraph\nwith odd spacing. ")
    assert added.blocks[3] == Block("p", "A new paragraph with odd spacing.")
    assert samplesite.article_text(added).splitlines()[4] == "A new paragraph with odd spacing."
    assert "<p>A new paragraph with odd spacing.</p>" in samplesite.render_page(added)
    assert samplesite.remove_block(added, 3) == article


def test_with_modified_shows_on_the_page() -> None:
    article = samplesite.load_article("ja")
    page = samplesite.render_page(samplesite.with_modified(article, "2025-01-23T12:00:00+09:00"))
    assert "最終更新日: 2025年1月23日" in page
    assert '"article:modified_time" content="2025-01-23T12:00:00+09:00"' in page
    assert samplesite.article_text(samplesite.with_modified(article, "2025-01-23")) == (
        samplesite.article_text(article)
    )


def test_blocks_are_validated() -> None:
    article = samplesite.load_article("ja")
    with pytest.raises(ValueError, match="unknown block kind"):
        Block("aside", "x")
    with pytest.raises(ValueError, match="whitespace-collapsed"):
        Block("p", "two  spaces")
    with pytest.raises(ValueError, match="lead caption"):
        samplesite.add_block(article, 3, "x", kind="lead")
    with pytest.raises(ValueError, match="credit"):
        samplesite.add_block(article, 2, "写真:誰か", kind="credit")
    with pytest.raises(ValueError, match="unknown sample"):
        samplesite.load_article("fr")


def test_text_is_escaped() -> None:
    article = samplesite.add_block(
        samplesite.load_article("en"), 1, "<script>alert(1)</script> & co"
    )
    page = samplesite.render_page(article, Noise(comments=(("<b>x</b>", "<i>y</i>"),)))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "<b>x</b>" not in page and "<i>y</i>" not in page


def test_url_override() -> None:
    article = samplesite.load_article("ja")
    soup = soup_of(samplesite.render_page(article, url="http://127.0.0.1:8080/ja/post/"))
    canonical = soup.select_one("link[rel=canonical]")
    assert canonical is not None and canonical["href"] == "http://127.0.0.1:8080/ja/post/"


@pytest.mark.parametrize("kind", samplesite.ERROR_KINDS)
def test_error_pages(kind: str) -> None:
    page = samplesite.error_page(kind)
    assert page == samplesite.error_page(kind)
    assert page != samplesite.error_page(kind, Noise(seed=5))
    soup = soup_of(page)
    assert soup.title is not None
    expected = {
        "maintenance": ("メンテナンス中", "Site under maintenance"),
        "not_found": ("ページが見つかりません", "Page not found"),
        "challenge": ("Just a moment...", "Enable JavaScript and cookies to continue"),
        "login": ("ログイン", "Please log in to continue reading."),
    }[kind]
    for marker in expected:
        assert marker in visible_text(page) or marker in soup.title.get_text()
    with pytest.raises(ValueError, match="unknown error page"):
        samplesite.error_page("teapot")


def fixture_page(case: str) -> tuple[str, str]:
    """A generated fixture freshly rendered: (html, expected text file content)."""
    name, noise = FIXTURE_PAGES[case]
    article = samplesite.load_article(name)
    return samplesite.render_page(article, noise), samplesite.article_text(article) + "\n"


@pytest.mark.parametrize("case", sorted(FIXTURE_PAGES))
def test_generated_fixtures_match_a_fresh_render(case: str) -> None:
    page, text = fixture_page(case)
    html_path, txt_path = EXTRACT_DIR / f"{case}.html", EXTRACT_DIR / f"{case}.txt"
    if os.environ.get("MONITOR_REGENERATE_FIXTURES") == "1":
        html_path.write_text(page, encoding="utf-8")
        txt_path.write_text(text, encoding="utf-8")
    assert html_path.read_text(encoding="utf-8") == page, "renderer drifted from the fixture"
    assert txt_path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("txt", sorted(EXTRACT_DIR.glob("*.txt")), ids=lambda path: path.stem)
def test_fixture_text_format(txt: Path) -> None:
    """Every .txt: title line, one line per block, no blank lines, collapsed, final newline."""
    content = txt.read_text(encoding="utf-8")
    assert content.endswith("\n") and not content.endswith("\n\n")
    lines = content[:-1].split("\n")
    assert len(lines) >= 3
    for line in lines:
        assert line and line == " ".join(line.split())
    assert (txt.with_suffix(".html")).exists()
