"""Request options over plain HTTP, against a real server and real proxies on 127.0.0.1:
configured headers and cookies reach the page's site (and no other), proxies (HTTP with
credentials, SOCKS5) carry the fetch, and no error message shows a proxy's credentials."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from harness import FAST, Harness
from proxy import HttpProxy, Socks5Proxy
from server import LocalServer, Response

from monitor.config import Config, Rules, Settings, SiteRule
from monitor.fetch import Fetcher
from monitor.models import CheckStatus, FetchOutcome, FetchResult
from monitor.request import RequestOptions
from monitor.store import Store

PAGE = "<html><body><article><h1>Title</h1><p>" + "Some article text. " * 30 + "</p></article>"
SECRET = "hunter2-pw"


def fetch(url: str, options: RequestOptions | None = None) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(FAST) as fetcher:
            return await fetcher.fetch(url, options=options)

    return asyncio.run(run())


def test_configured_headers_and_cookies_reach_the_page(http_server: LocalServer) -> None:
    http_server.set("/a", PAGE)
    options = RequestOptions(
        headers=(("Accept-Language", "en-GB,en;q=0.5"), ("User-Agent", "newsroom/2")),
        cookies=(("euconsent", "yes"), ("lang", "en")),
    )
    assert fetch(http_server.url("/a"), options).outcome is FetchOutcome.OK
    seen = http_server.requests[-1].headers
    assert seen["accept-language"] == "en-GB,en;q=0.5"
    assert seen["user-agent"] == "newsroom/2"
    assert seen["cookie"] == "euconsent=yes; lang=en"
    fetch(http_server.url("/a"))  # another watch: nothing carries over
    seen = http_server.requests[-1].headers
    assert "cookie" not in seen and seen["accept-language"] == "ja,en;q=0.8"


def test_headers_and_cookies_do_not_follow_a_redirect_to_another_site(
    http_server: LocalServer,
) -> None:
    http_server.set("/a", PAGE)
    elsewhere = f"http://localhost:{http_server.port}/a"  # another host: another site
    http_server.route("/away", lambda request: Response(302, {"Location": elsewhere}))
    options = RequestOptions(
        headers=(("X-Desk", "1"), ("Accept-Language", "fr")), cookies=(("session", "s"),)
    )
    result = fetch(http_server.url("/away"), options)
    assert result.outcome is FetchOutcome.OK and result.final_url == elsewhere
    first, second = http_server.requests[-2:]
    assert first.headers["x-desk"] == "1" and first.headers["cookie"] == "session=s"
    assert "x-desk" not in second.headers and "cookie" not in second.headers
    assert second.headers["accept-language"] == "ja,en;q=0.8"  # the default, not the site's


def test_an_http_proxy_with_credentials_carries_the_fetch(http_server: LocalServer) -> None:
    http_server.set("/a", PAGE)
    with HttpProxy(credentials=("desk", SECRET)) as proxy:
        options = RequestOptions(proxy=proxy.url, headers=(("X-Desk", "1"),))
        result = fetch(http_server.url("/a"), options)
        assert result.outcome is FetchOutcome.OK, result.error
        assert proxy.seen == [f"GET {http_server.url('/a')}"]
    assert http_server.requests[-1].headers["x-desk"] == "1"


def test_socks5_proxies_carry_the_fetch(http_server: LocalServer) -> None:
    http_server.set("/a", PAGE)
    with Socks5Proxy(credentials=("desk", SECRET)) as proxy:
        for scheme in ("socks5", "socks5h"):
            url = proxy.url.replace("socks5://", f"{scheme}://")
            result = fetch(http_server.url("/a"), RequestOptions(proxy=url))
            assert result.outcome is FetchOutcome.OK, result.error
        assert proxy.seen == [f"CONNECT 127.0.0.1:{http_server.port}"] * 2


def assert_no_secret(result: FetchResult) -> None:
    assert result.outcome is not FetchOutcome.OK
    assert result.error and SECRET not in result.error and "desk:" not in result.error


def test_no_error_shows_the_proxy_credentials(http_server: LocalServer) -> None:
    http_server.set("/a", PAGE)
    with HttpProxy(credentials=("desk", "other")) as proxy:
        wrong = proxy.url.replace("other", SECRET)
        refused = fetch(http_server.url("/a"), RequestOptions(proxy=wrong))
        assert proxy.refused  # 407
    assert refused.error == "HTTP 407 Proxy Authentication Required"
    closed = f"http://desk:{SECRET}@127.0.0.1:1"
    for result in (refused, fetch(http_server.url("/a"), RequestOptions(proxy=closed))):
        assert_no_secret(result)


# httpcore 1.0.9 leaves the socket of a failed SOCKS handshake for the garbage collector to
# close (AsyncSocks5Connection does not close its stream when _init_socks5_connection raises)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_refused_socks_login_shows_no_credentials(http_server: LocalServer) -> None:
    http_server.set("/a", PAGE)
    with Socks5Proxy(credentials=("desk", "other")) as proxy:
        wrong = proxy.url.replace("other", SECRET)
        result = fetch(http_server.url("/a"), RequestOptions(proxy=wrong))
        assert proxy.refused == ["login desk"]
    assert_no_secret(result)
    assert result.error == "proxy error: Invalid username/password"
    gc.collect()


def test_a_site_rule_s_proxy_and_headers_apply_to_its_watches(
    tmp_path: Path, http_server: LocalServer
) -> None:
    http_server.set("/a", PAGE)
    with HttpProxy() as proxy, Store(str(tmp_path / "m.db")) as store:
        site = SiteRule(
            match=http_server.url("/*"),
            rules=Rules(),
            request=RequestOptions(proxy=proxy.url, cookies=(("consent", "1"),)),
        )
        config = Config(settings=Settings(fetch=FAST), sites=(site,))
        watch = store.watches.add(http_server.url("/a"))
        result = Harness(store, config).check(watch)
        assert result.status is CheckStatus.NEW
        # every fetch of the check (a first check fetches twice) went through the proxy
        assert set(proxy.seen) == {f"GET {http_server.url('/a')}"}
        assert len(proxy.seen) == len(http_server.requests)
    assert {r.headers["cookie"] for r in http_server.requests} == {"consent=1"}
