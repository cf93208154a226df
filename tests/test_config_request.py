"""Request options in config.toml: headers, cookies, proxies, render, wait_for, plugins.

Every bad value names the file, the key and what is allowed, and never quotes a value that
may be a secret (a proxy URL with its password, cookie values, header values)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config, parse_config
from monitor.errors import ConfigError
from monitor.request import RequestOptions, parse_proxy, redact, shown_proxy


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_options_of_monitor_sites_watches_and_feeds() -> None:
    config = parse_config(
        {
            "monitor": {
                "headers": {"Accept-Language": "ja,en;q=0.8", "User-Agent": "newsroom/1"},
                "proxy": "http://proxy.example:3128",
            },
            "site": [
                {"match": "https://news.example/*", "headers": {"accept-language": "en-GB"}},
                {
                    "match": "https://news.example/app/*",
                    "render": "browser",
                    "wait_for": "article .body",
                    "cookies": {"euconsent": "yes"},
                    "proxy": False,
                },
            ],
            "watch": [{"url": "https://news.example/app/1", "cookies": {"euconsent": "no"}}],
            "feed": [{"url": "https://other.example/feed/", "render": "browser"}],
        }
    )
    page = config.request_for("https://news.example/app/1")
    assert page.headers == (("User-Agent", "newsroom/1"), ("accept-language", "en-GB"))
    assert page.header("Accept-Language") == "en-GB"
    assert page.cookies == (("euconsent", "no"),)  # the watch's own value wins
    assert page.uses_browser and page.wait_for == "article .body"
    assert page.proxy_url is None  # proxy = false: direct, whatever [monitor] says
    assert config.request_for("https://news.example/x").proxy_url == "http://proxy.example:3128"
    assert not config.request_for("https://other.example/a").uses_browser
    assert config.request_for("https://other.example/a", "https://other.example/feed/").uses_browser
    feed = config.feed_request("https://other.example/feed/")
    assert not feed.uses_browser  # a feed is XML: never rendered
    assert feed.proxy_url == "http://proxy.example:3128"


def test_browser_settings(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[monitor]\nbrowser = "/usr/bin/chromium"\nbrowser_args = ["--no-sandbox"]\n'
            'render_concurrency = 4\nrender_timeout = "20s"\nrender = "browser"\n',
        )
    )
    fetch = config.settings.fetch
    assert (fetch.browser, fetch.browser_args) == ("/usr/bin/chromium", ("--no-sandbox",))
    assert (fetch.render_concurrency, fetch.render_timeout) == (4, 20.0)
    assert config.request_for("https://a.example/").uses_browser


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ('[[site]]\nmatch = "*"\nrender = "chrome"', "site[0].render", "'http', 'browser'"),
        ('[[site]]\nmatch = "*"\nwait_for = "div["', "site[0].wait_for", "valid CSS"),
        ('[[watch]]\nurl = "https://a/"\nheaders = ["x"]', "watch[0].headers", "a table"),
        (
            '[[watch]]\nurl = "https://a/"\nheaders = {"Bad Name" = "1"}',
            "watch[0].headers",
            "not a header name",
        ),
        (
            '[[watch]]\nurl = "https://a/"\nheaders = {Cookie = "a=b"}',
            "watch[0].headers",
            "use the cookies key",
        ),
        (
            '[[watch]]\nurl = "https://a/"\nheaders = {X = "a\\nb"}',
            "watch[0].headers",
            "without line breaks",
        ),
        (
            '[[site]]\nmatch = "*"\ncookies = {consent = "a b"}',
            "site[0].cookies",
            "percent-encode",
        ),
        ('[[feed]]\nurl = "https://a/feed"\nproxy = "ftp://p:21"', "feed[0].proxy", "proxy URL"),
        ('[monitor]\nproxy = "socks5://p"', "monitor.proxy", "needs its port"),
        ('[monitor]\ncookies = {a = "b"}', "monitor.cookies", "unknown key"),
        ('[monitor]\nwait_for = "div"', "monitor.wait_for", "unknown key"),
        ('[monitor]\nbrowser_args = ["no-sandbox"]', "monitor.browser_args", "switches"),
        ("[monitor]\nrender_concurrency = 0", "monitor.render_concurrency", "at least 1"),
        ('[[site]]\nmatch = "*"\nplugin = "not valid"', "site[0].plugin", "module:function"),
    ],
)
def test_bad_values_name_the_file_key_and_what_is_allowed(
    tmp_path: Path, text: str, key: str, allowed: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert allowed in message, message


def test_a_bad_secret_is_never_quoted(tmp_path: Path) -> None:
    for text in (
        '[monitor]\nproxy = "gopher://user:hunter2pw@p:1"',
        '[[site]]\nmatch = "*"\ncookies = {session = "hunter2pw;x"}',
        '[[site]]\nmatch = "*"\nheaders = {Authorization = "Bearer hunter2pw\\n"}',
    ):
        with pytest.raises(ConfigError) as raised:
            load_config(write(tmp_path, text))
        assert "hunter2pw" not in str(raised.value)


def test_proxy_credentials_from_the_environment() -> None:
    environ = {"PROXY_USER": "desk", "PROXY_PASSWORD": "p@ss:w/rd", "PROXY": "socks5://h:1080"}
    url = parse_proxy("http://${PROXY_USER}:${PROXY_PASSWORD}@proxy.example:3128", environ)
    assert url == "http://desk:p%40ss%3Aw%2Frd@proxy.example:3128"  # a part: percent-encoded
    assert parse_proxy("${PROXY}", environ) == "socks5://h:1080"  # the whole URL: verbatim
    with pytest.raises(ValueError, match="PROXY_PASSWORD to be set"):
        parse_proxy("http://u:${PROXY_PASSWORD}@p:1", {})
    options = RequestOptions(proxy=url)
    assert "p@ss" not in repr(options) and "desk" not in repr(options)
    assert shown_proxy(url) == "http://proxy.example:3128 (with credentials)"
    message = f"proxy error at {url} for desk:p%40ss%3Aw%2Frd, i.e. p@ss:w/rd"
    assert "p@ss" not in redact(message, options.secrets())
    assert "p%40ss" not in redact(message, options.secrets())
    assert "desk" not in options.describe() and "p%40" not in options.describe()


def test_a_missing_environment_variable_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSROOM_PROXY_PW", raising=False)
    path = write(tmp_path, '[monitor]\nproxy = "http://u:${NEWSROOM_PROXY_PW}@p:3128"')
    with pytest.raises(ConfigError, match=r"monitor\.proxy: .*NEWSROOM_PROXY_PW to be set"):
        load_config(path)
    monkeypatch.setenv("NEWSROOM_PROXY_PW", "s3cret")
    assert load_config(path).settings.request.proxy_url == "http://u:s3cret@p:3128"


def test_a_plugin_module_must_be_found(tmp_path: Path) -> None:
    path = write(tmp_path, '[[site]]\nmatch = "*"\nplugin = "mysite:article"')
    with pytest.raises(ConfigError, match=r"site\[0\]\.plugin: no module 'mysite'"):
        load_config(path)
    (tmp_path / "mysite.py").write_text("def article(soup, url):\n    return 'x'\n")
    rules = load_config(path).rules_for("https://a.example/")
    assert (rules.plugin, rules.plugin_path) == ("mysite:article", str(tmp_path.resolve()))
