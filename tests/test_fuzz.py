"""Bad input: any config, page or byte string gives a clean ConfigError or a result, never a
traceback; hostile pages are handled in bounded time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config import Config, load_config, parse_config
from monitor.errors import ConfigError
from monitor.extract import extract_article
from monitor.fetch import decode_html
from monitor.models import Article

KEYS = [
    "monitor",
    "site",
    "watch",
    "notify",
    "database",
    "interval",
    "jitter",
    "url",
    "name",
    "content",
    "remove",
    "ignore",
    "title",
    "match",
    "type",
    "to",
    "events",
    "max_size",
    "retries",
    "headers",
    "port",
    "confirm",
    "allow_private_addresses",
    "cookies",
    "proxy",
    "render",
    "wait_for",
    "plugin",
    "browser",
    "browser_args",
    "render_timeout",
    "render_concurrency",
    "x",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "30m",
            "1s",
            "0s",
            "-1h",
            "10MB",
            "http://x/",
            "div",
            "browser",
            "socks5://u:p@h:1",
            "http://${UNSET_VAR_X}@p:1",
            "m:f",
            "--no-sandbox",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=20,
)
configs = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_any_config_data_is_a_config_or_a_config_error(data: dict[str, Any]) -> None:
    try:
        assert isinstance(parse_config(data, "fuzz.toml"), Config)
    except ConfigError as exc:
        assert "fuzz.toml" in str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_config_file_is_a_config_or_a_config_error(tmp_path_factory: Any, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "config.toml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        assert isinstance(load_config(path), Config)
    except ConfigError as exc:
        assert str(path) in str(exc)


TAGS = [
    "p",
    "div",
    "article",
    "main",
    "script",
    "style",
    "br",
    "li",
    "ul",
    "h1",
    "a",
    "form",
    "table",
    "td",
    "pre",
    "span",
    "figure",
    "figcaption",
    "nav",
    "aside",
    "!--",
    "?xml",
]
fragments = st.one_of(
    st.text(max_size=30),
    st.builds(lambda t, a: f"<{t} {a}>", st.sampled_from(TAGS), st.text(max_size=15)),
    st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
    st.sampled_from(
        [
            "&amp;",
            "&#0;",
            "&#x110000;",
            "\x00",
            "\x1b[2J",
            "\ud800"[:0],
            "<",
            ">",
            "<![CDATA[",
            "]]>",
            "<!DOCTYPE",
            "<meta charset=shift_jis>",
        ]
    ),
)
pages = st.lists(fragments, max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(pages, st.sampled_from([None, "https://x.test/a", "http://[bad", "not a url"]))
def test_any_page_extracts_to_an_article(html: str, url: str | None) -> None:
    article = extract_article(html, url)
    assert isinstance(article, Article)
    assert "\x00" not in article.document and "\x1b" not in article.document


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=2000),
    st.sampled_from(
        [
            None,
            "text/html",
            "text/html; charset=bogus",
            "text/html; charset=shift_jis",
            "text/html; charset=utf-16",
        ]
    ),
)
def test_any_bytes_decode(content: bytes, content_type: str | None) -> None:
    text, codec = decode_html(content, content_type)
    assert isinstance(text, str) and codec


def test_hostile_pages_in_bounded_time() -> None:
    """These finish (a hang would stop the suite); how fast is for bench/, not a test."""
    deep = "<div>" * 10_000 + "<p>deep text</p>" + "</div>" * 10_000
    one_line = "<html><body><article>" + "<p>word " * 200_000 + "</article></body></html>"
    assert len(one_line) > 1_000_000 and "\n" not in one_line
    five_mb = "<html><body><main><p>" + "x" * (5 * 1024 * 1024) + "</p></main></body></html>"
    nul = "<html><body><article><p>a\x00b</p>" * 1000 + "</article></body></html>"
    broken = "<html><body><p><b><i><table><tr><td><p>unclosed " * 2000
    for page in (deep, one_line, five_mb, nul, broken):
        article = extract_article(page, "https://x.test/")
        assert "\x00" not in article.text
    assert "deep text" in extract_article(deep).text


def test_a_config_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xff\xfe[monitor]")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(path)
