"""monitor.fetch: narrow tests over httpx.MockTransport, end-to-end ones over a real server."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from server import LocalServer, Request, Response, redirect, reset, truncated

from monitor.config import FetchSettings
from monitor.fetch import Fetcher, decode_html
from monitor.fetch.address import PublicOnlyBackend
from monitor.fetch.cookies import no_jar
from monitor.models import FetchOutcome, FetchResult, Validators

OK = FetchOutcome.OK
NETWORK_ERROR = FetchOutcome.NETWORK_ERROR
HTTP_ERROR = FetchOutcome.HTTP_ERROR
FAST = FetchSettings(connect_timeout=0.5, read_timeout=0.3, total_timeout=2.0, retries=0)
RETRYING = FetchSettings(retries=2, backoff=1.0, max_retry_after=120.0)
NO_VALIDATORS = Validators()

# ①, ～ (U+FF5E) and ㈱ exist in cp932 but not in plain shift_jis.
JA = "日本語の記事です。株式会社①の発表～㈱テスト。"
JA_LONG = (
    "東京都は二十日、新しい防災計画を発表した。計画では、大地震が起きた場合に備えて、"
    "各区の避難所を増やし、食料や水の備蓄を見直す。知事は記者会見で「住民の安全を第一に考える」と述べた。"
)
MockHandler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


class FakeSleep:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fetch(
    url: str,
    settings: FetchSettings = FAST,
    *,
    handler: MockHandler | None = None,
    sleep: FakeSleep | None = None,
    validators: Validators = NO_VALIDATORS,
) -> FetchResult:
    """One fetch with a fresh Fetcher, over ``handler`` if given, else the network."""
    transport = httpx.MockTransport(handler) if handler else None

    async def main() -> FetchResult:
        async with Fetcher(settings, transport=transport, sleep=sleep or FakeSleep()) as fetcher:
            return await fetcher.fetch(url, validators)

    return asyncio.run(main())


def page(body: str) -> str:
    return f"<html><head><title>t</title></head><body><p>{body}</p></body></html>"


def sequence(*responses: httpx.Response | Exception) -> MockHandler:
    """A handler answering (or raising) each of ``responses`` in turn, then the last forever."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


# --- decode_html --------------------------------------------------------------------------

META_SJIS = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
XML_SJIS = '<?xml version="1.0" encoding="Shift_JIS"?>'
SJIS = "text/html; charset=Shift_JIS"
DECODE_CASES = [
    # (id, page text, bytes encoded with, Content-Type header, codec decode_html must use)
    ("cp932-as-sjis-header", page(JA), "cp932", SJIS, "cp932"),
    ("cp932-as-sjis-meta", META_SJIS + page(JA), "cp932", "text/html", "cp932"),
    ("cp932-as-x-sjis", page(JA), "cp932", "text/html; charset=x-sjis", "cp932"),
    ("cp932-as-sjis-xml", XML_SJIS + page(JA), "cp932", None, "cp932"),
    ("euc-jp-meta", '<meta charset="EUC-JP">' + page(JA_LONG), "euc_jp", None, "euc_jp"),
    # A character only EUC-JIS-2004 has is read with it; the page is still read as euc_jp.
    ("euc-jis-2004", '<meta charset="euc-jp">' + page("ㇰ" + JA_LONG), "euc_jis_2004", None,
     "euc_jp"),
    ("utf8-as-sjis-meta", META_SJIS + page(JA), "utf-8", "text/html", "utf-8"),
    ("utf8-as-sjis-header", page(JA), "utf-8", SJIS, "utf-8"),
    ("no-declaration", page(JA_LONG), "cp932", "text/html", "cp932"),
    ("wrong-declaration", '<meta charset="euc-jp">' + page(JA_LONG), "cp932", None, "cp932"),
    ("unknown-charset", '<meta charset="x-klingon">' + page(JA_LONG), "cp932", None, "cp932"),
    ("latin1-as-cp1252", page("café € 5"), "cp1252", "text/html; charset=ISO-8859-1", "cp1252"),
    ("gb2312-as-gb18030", page("中文新闻报道"), "gb18030", "text/html; charset=gb2312", "gb18030"),
    ("meta-utf16-is-utf8", '<meta charset="utf-16"><p>plain</p>', "ascii", None, "utf-8"),
    ("ascii", "<p>plain</p>", "ascii", None, "ascii"),
    ("empty", "", "ascii", "text/html", "ascii"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "encoding", "content_type", "codec"),
    [case[1:] for case in DECODE_CASES],
    ids=[case[0] for case in DECODE_CASES],
)
def test_decode_html(text: str, encoding: str, content_type: str | None, codec: str) -> None:
    assert decode_html(text.encode(encoding), content_type) == (text, codec)


@pytest.mark.parametrize(
    ("bom", "codec", "content_type"),
    [
        (b"\xef\xbb\xbf", "utf-8", SJIS),
        (b"\xff\xfe", "utf-16-le", None),
        (b"\xfe\xff", "utf-16-be", "text/html; charset=utf-8"),
    ],
)
def test_decode_html_bom_wins(bom: bytes, codec: str, content_type: str | None) -> None:
    assert decode_html(bom + page(JA).encode(codec), content_type) == (page(JA), codec)


def test_cp932_only_characters_are_not_shift_jis() -> None:
    with pytest.raises(UnicodeEncodeError):
        JA.encode("shift_jis")


def test_decode_html_undecodable_bytes_fall_back_to_replacement() -> None:
    text, codec = decode_html(b"<p>\xff\xfe\xfd\x80\x81</p>" * 3, "text/html; charset=utf-8")
    assert text.startswith("<p>")
    assert codec


# --- fetch over MockTransport ------------------------------------------------------------


def test_ok_result_fields() -> None:
    seen: list[httpx.Request] = []
    body = page(JA).encode("cp932")

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {
            "Content-Type": "Text/HTML; Charset=Shift_JIS",
            "ETag": '"v1"',
            "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
            "X-Custom": "yes",
        }
        return httpx.Response(200, headers=headers, content=body)

    result = fetch("http://a.example/x", handler=handler)
    assert result.outcome is OK and result.error is None
    assert (result.http_status, result.final_url) == (200, "http://a.example/x")
    assert (result.content, result.text, result.encoding) == (body, page(JA), "cp932")
    assert result.content_type == "text/html"
    assert result.headers["x-custom"] == "yes"
    assert result.validators == Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.attempts == 1
    sent = seen[0].headers
    assert sent["user-agent"] == FAST.user_agent
    assert sent["accept-language"] == "ja,en;q=0.8"
    assert "text/html" in sent["accept"]
    assert "if-none-match" not in sent


def test_conditional_request_answered_304() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(304, headers={"ETag": '"v2"'})

    validators = Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    result = fetch("http://a.example/x", handler=handler, validators=validators)
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert (result.http_status, result.text, result.content) == (304, "", b"")
    assert result.validators == Validators('"v2"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert seen[0].headers["if-none-match"] == '"v1"'
    assert seen[0].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


@pytest.mark.parametrize(
    "content_type", ["image/png", "application/octet-stream", "application/pdf"]
)
def test_non_text_content_is_kept_undecoded(content_type: str) -> None:
    body = b"\x89PNG\r\n\x1a\n\x00\x00"
    result = fetch(
        "http://a.example/x",
        handler=lambda r: httpx.Response(200, headers={"Content-Type": content_type}, content=body),
    )
    assert result.outcome is OK
    assert (result.content, result.text, result.encoding) == (body, "", None)
    assert result.content_type == content_type


def test_5xx_retried_with_exponential_backoff() -> None:
    sleep = FakeSleep()
    handler = sequence(httpx.Response(503), httpx.Response(500), httpx.Response(200, text="ok"))
    result = fetch("http://a.example/x", RETRYING, handler=handler, sleep=sleep)
    assert (result.outcome, result.text, result.attempts) == (OK, "ok", 3)
    assert len(sleep.waits) == 2
    assert 1.0 <= sleep.waits[0] <= 1.1
    assert 2.0 <= sleep.waits[1] <= 2.2


def test_retries_are_bounded() -> None:
    sleep = FakeSleep()
    result = fetch(
        "http://a.example/x", RETRYING, handler=sequence(httpx.Response(502)), sleep=sleep
    )
    assert result.outcome is HTTP_ERROR
    assert (result.http_status, result.error, result.attempts) == (502, "HTTP 502 Bad Gateway", 3)
    assert len(sleep.waits) == 2


def test_connection_error_retried() -> None:
    sleep = FakeSleep()
    handler = sequence(httpx.ConnectError("boom"), httpx.Response(200, text="ok"))
    result = fetch("http://a.example/x", RETRYING, handler=handler, sleep=sleep)
    assert (result.outcome, result.attempts, len(sleep.waits)) == (OK, 2, 1)


def test_retry_after_seconds() -> None:
    sleep = FakeSleep()
    handler = sequence(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok")
    )
    result = fetch("http://a.example/x", RETRYING, handler=handler, sleep=sleep)
    assert (result.outcome, result.attempts, sleep.waits) == (OK, 2, [7.0])


def test_retry_after_http_date() -> None:
    sleep = FakeSleep()
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler = sequence(
        httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200, text="ok")
    )
    result = fetch("http://a.example/x", RETRYING, handler=handler, sleep=sleep)
    assert (result.outcome, result.attempts) == (OK, 2)
    assert len(sleep.waits) == 1 and 25 <= sleep.waits[0] <= 30


def test_retry_after_beyond_the_limit_gives_up_at_once() -> None:
    sleep = FakeSleep()
    handler = sequence(httpx.Response(503, headers={"Retry-After": "3600"}))
    result = fetch("http://a.example/x", RETRYING, handler=handler, sleep=sleep)
    assert (result.outcome, result.http_status, result.attempts) == (HTTP_ERROR, 503, 1)
    assert result.error is not None and "Retry-After 3600s" in result.error
    assert sleep.waits == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, "HTTP 400 Bad Request"), (403, "HTTP 403 Forbidden"), (404, "HTTP 404 Not Found")],
)
def test_4xx_not_retried(status: int, error: str) -> None:
    sleep = FakeSleep()
    result = fetch(
        "http://a.example/x", RETRYING, handler=sequence(httpx.Response(status)), sleep=sleep
    )
    assert (result.outcome, result.http_status, result.error) == (HTTP_ERROR, status, error)
    assert (result.attempts, sleep.waits) == (1, [])


@pytest.mark.parametrize(
    "location", ["ftp://b.example/file", "javascript:alert(1)", "file:///etc/passwd"]
)
def test_redirect_to_non_http_scheme(location: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": location})

    result = fetch("http://a.example/x", RETRYING, handler=handler)
    assert result.outcome is NETWORK_ERROR
    assert result.error is not None and result.error.startswith("redirect to a non-http(s) URL")
    assert (len(seen), result.attempts) == (1, 1)


@pytest.mark.parametrize("url", ["http://a.example:99999/x", "http://a.example:0/x"])
def test_a_url_or_redirect_to_a_port_out_of_range_is_a_network_error(url: str) -> None:
    """asyncio fails on such a port with an IndexError: it never gets there."""
    result = fetch(url, RETRYING, handler=lambda request: httpx.Response(200, text="x"))
    assert result.outcome is NETWORK_ERROR
    assert "out of range 1-65535" in (result.error or "")

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": url})

    result = fetch("http://a.example/x", RETRYING, handler=redirect)
    assert result.outcome is NETWORK_ERROR
    assert (result.error or "").startswith("a redirect to a URL with port")


@pytest.mark.parametrize("headers", [{}, {"Location": ""}, {"Location": "http://a:port/"}])
def test_redirect_without_usable_location_is_an_http_error(headers: dict[str, str]) -> None:
    result = fetch("http://a.example/x", handler=lambda r: httpx.Response(302, headers=headers))
    assert (result.outcome, result.http_status) == (HTTP_ERROR, 302)
    assert result.error == "HTTP 302 Found (a redirect without a usable Location)"


def test_redirect_followed_to_final_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return httpx.Response(200, text="moved")

    result = fetch("http://a.example/old", handler=handler)
    assert (result.outcome, result.text, result.final_url) == (OK, "moved", "http://a.example/new")


@pytest.mark.parametrize("url", ["not a url", "mailto:x@example.com", "http://a.example:port/"])
def test_bad_url(url: str) -> None:
    result = fetch(url, handler=lambda r: httpx.Response(200))
    assert result.outcome is NETWORK_ERROR
    assert result.error is not None
    assert result.error.startswith(("not an http(s) URL", "invalid URL"))


def test_size_cap_from_content_length() -> None:
    sleep = FakeSleep()
    settings = FetchSettings(max_bytes=1000, retries=2)
    result = fetch(
        "http://a.example/x",
        settings,
        handler=lambda r: httpx.Response(200, content=b"x" * 1001),
        sleep=sleep,
    )
    assert (result.outcome, result.error) == (NETWORK_ERROR, "body exceeds 1000 bytes limit")
    assert (result.attempts, sleep.waits) == (1, [])


def test_size_cap_while_streaming_stops_reading() -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            sent.append(100)
            yield b"x" * 100

    result = fetch(
        "http://a.example/x",
        FetchSettings(max_bytes=1000),
        handler=lambda r: httpx.Response(200, content=endless()),
    )
    assert (result.outcome, result.error) == (NETWORK_ERROR, "body exceeds 1000 bytes limit")
    assert len(sent) == 11


def test_total_timeout() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    result = fetch(
        "http://a.example/x", FetchSettings(total_timeout=0.05, retries=0), handler=handler
    )
    assert result.outcome is NETWORK_ERROR
    assert result.error == "total timeout: no complete answer within 0.05s"


TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
BASES = {httpx.RequestError, httpx.TransportError, httpx.TimeoutException, httpx.NetworkError}
HTTPX_ERRORS = [
    cls
    for cls in (getattr(httpx, name) for name in httpx.__all__)
    if isinstance(cls, type) and issubclass(cls, httpx.RequestError) and cls not in BASES
    and cls is not httpx.ProtocolError
]  # fmt: skip


@pytest.mark.parametrize("error", HTTPX_ERRORS, ids=lambda cls: cls.__name__)
def test_every_httpx_error_has_a_message(error: type[httpx.RequestError]) -> None:
    """Like httpx's own mapping: a new lower-layer error must not go unmapped."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    result = fetch("http://a.example/x", RETRYING, handler=handler)
    assert result.outcome is NETWORK_ERROR
    assert result.error and not result.error.startswith(error.__name__)
    assert result.attempts == (3 if issubclass(error, TRANSIENT) else 1)


def test_global_and_per_host_limits() -> None:
    in_flight: dict[str, int] = {"all": 0}
    peak: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        for key in ("all", host):
            in_flight[key] = in_flight.get(key, 0) + 1
            peak[key] = max(peak.get(key, 0), in_flight[key])
        await asyncio.sleep(0.01)
        for key in ("all", host):
            in_flight[key] -= 1
        return httpx.Response(200)

    async def main() -> None:
        settings = FetchSettings(concurrency=3, per_host_concurrency=2)
        urls = [f"http://{host}.example/{i}" for host in "abc" for i in range(4)]
        async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
            pending = [asyncio.ensure_future(fetcher.fetch(url)) for url in urls]
            await asyncio.sleep(0)
            assert fetcher.busy_hosts == 3
            results = await asyncio.gather(*pending)
            assert fetcher.busy_hosts == 0  # a daemon watching 50k hosts keeps no slot idle
        assert all(result.outcome is OK for result in results)

    asyncio.run(main())
    assert peak["all"] == 3
    assert max(peak[f"{host}.example"] for host in "abc") == 2


def test_no_slot_is_held_while_backing_off() -> None:
    handler = sequence(httpx.Response(503), httpx.Response(200, text="ok"))
    settings = FetchSettings(concurrency=1, per_host_concurrency=1, retries=1)
    others: list[FetchResult] = []

    async def main() -> FetchResult:
        async def sleep(seconds: float) -> None:  # another fetch runs during the backoff
            others.append(await fetcher.fetch("http://a.example/other"))

        transport = httpx.MockTransport(handler)
        async with Fetcher(settings, transport=transport, sleep=sleep) as fetcher:
            return await asyncio.wait_for(fetcher.fetch("http://a.example/x"), 2)

    result = asyncio.run(main())
    assert (result.outcome, result.attempts, len(others)) == (OK, 2, 1)


# --- fetch over a real server on 127.0.0.1 -----------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused() -> None:
    sleep = FakeSleep()
    result = fetch(f"http://127.0.0.1:{closed_port()}/", RETRYING, sleep=sleep)
    assert (result.outcome, result.error) == (NETWORK_ERROR, "connection refused")
    assert (result.attempts, len(sleep.waits)) == (3, 2)


def test_page_and_request_headers(http_server: LocalServer) -> None:
    http_server.set("/a", page(JA))
    result = fetch(http_server.url("/a"))
    assert (result.outcome, result.text, result.encoding) == (OK, page(JA), "utf-8")
    assert result.content_type == "text/html"
    [request] = http_server.requests
    assert (request.method, request.path) == ("GET", "/a")
    assert request.headers["user-agent"] == FAST.user_agent


def test_unknown_path_is_404(http_server: LocalServer) -> None:
    result = fetch(http_server.url("/nowhere"))
    assert (result.outcome, result.http_status, result.error) == (
        HTTP_ERROR,
        404,
        "HTTP 404 Not Found",
    )


def test_read_timeout(http_server: LocalServer) -> None:
    http_server.route("/slow", http_server.slow(5, Response(200, {}, b"late")))
    result = fetch(http_server.url("/slow"))
    assert (result.outcome, result.error) == (NETWORK_ERROR, "read timeout after 0.3s")


def test_trickle_beyond_total_timeout(http_server: LocalServer) -> None:
    http_server.route("/trickle", http_server.trickle(b"x" * 1000, delay=0.05))
    settings = FetchSettings(read_timeout=0.3, total_timeout=0.4, retries=0)
    result = fetch(http_server.url("/trickle"), settings)
    assert result.outcome is NETWORK_ERROR
    assert result.error == "total timeout: no complete answer within 0.4s"


def test_truncated_body(http_server: LocalServer) -> None:
    http_server.route("/cut", truncated(b"<p>only the start", length=1000))
    result = fetch(http_server.url("/cut"))
    assert result.outcome is NETWORK_ERROR
    assert result.error == "response truncated: connection closed before the end of the body"


def test_connection_reset(http_server: LocalServer) -> None:
    http_server.route("/reset", reset())
    result = fetch(http_server.url("/reset"))
    assert (result.outcome, result.error) == (NETWORK_ERROR, "connection reset by peer")


def test_redirect_loop(http_server: LocalServer) -> None:
    http_server.route("/loop", redirect("/loop"))
    result = fetch(http_server.url("/loop"))
    assert (result.outcome, result.error) == (
        NETWORK_ERROR,
        "redirect loop / more than 10 redirects",
    )
    assert len(http_server.requests) == 11


@pytest.mark.parametrize(("max_redirects", "outcome"), [(10, NETWORK_ERROR), (20, OK)])
def test_redirect_chain(
    http_server: LocalServer, max_redirects: int, outcome: FetchOutcome
) -> None:
    for hop in range(20):
        http_server.route(f"/hop/{hop}", redirect(f"/hop/{hop + 1}", status=301))
    http_server.set("/hop/20", "<p>end</p>")
    result = fetch(http_server.url("/hop/0"), FetchSettings(max_redirects=max_redirects))
    assert result.outcome is outcome
    if outcome is OK:
        assert (result.final_url, result.text) == (http_server.url("/hop/20"), "<p>end</p>")


def test_gzip_body_is_decoded(http_server: LocalServer) -> None:
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"}
    http_server.set("/gz", gzip.compress(page(JA).encode()), headers=headers)
    result = fetch(http_server.url("/gz"))
    assert (result.outcome, result.text) == (OK, page(JA))


def _deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(wbits=wbits)
    return packer.compress(data) + packer.flush()


ENCODED = [
    ("gzip", lambda body: gzip.compress(body)),
    ("deflate", lambda body: _deflate(body, 15)),  # zlib-wrapped, as RFC 9110 says
    ("deflate", lambda body: _deflate(body, -15)),  # raw, as many servers send it
]


@pytest.mark.parametrize(("encoding", "encode"), ENCODED, ids=["gzip", "zlib", "raw-deflate"])
def test_compressed_body_is_decoded(
    http_server: LocalServer, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    headers = {"Content-Encoding": encoding, "Content-Type": "text/html; charset=utf-8"}
    http_server.set("/z", encode(page(JA_LONG).encode()), headers=headers)
    result = fetch(http_server.url("/z"))
    assert (result.outcome, result.text) == (OK, page(JA_LONG))


class OneByteStream(httpx.AsyncByteStream):
    """A body that arrives one byte per chunk: decoding must not depend on chunk borders."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index in range(len(self.data)):
            yield self.data[index : index + 1]


@pytest.mark.parametrize(("encoding", "encode"), ENCODED, ids=["gzip", "zlib", "raw-deflate"])
def test_compressed_body_in_one_byte_chunks(
    encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = encode(page(JA_LONG).encode())
    headers = {"Content-Encoding": encoding, "Content-Type": "text/html; charset=utf-8"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=OneByteStream(body))

    result = fetch("http://example.test/z", handler=handler)
    assert (result.outcome, result.text) == (OK, page(JA_LONG))


def test_corrupt_deflate_body_is_a_clear_error() -> None:
    headers = {"Content-Encoding": "deflate", "Content-Type": "text/html"}
    result = fetch(
        "http://example.test/z",
        handler=lambda request: httpx.Response(200, headers=headers, content=b"\x78\x9c garbage"),
    )
    assert result.outcome is NETWORK_ERROR
    assert (result.error or "").startswith("could not decode the body: ")


def test_gzip_bomb_capped_by_decoded_size(http_server: LocalServer) -> None:
    bomb = gzip.compress(b" " * (3 * 1024**2))
    assert len(bomb) < 10_000
    http_server.set(
        "/bomb", bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
    )
    result = fetch(http_server.url("/bomb"), FetchSettings(max_bytes=1024**2))
    assert (result.outcome, result.error) == (NETWORK_ERROR, "body exceeds 1.0 MB limit")


def test_500_retried_then_success(http_server: LocalServer) -> None:
    answers = [
        Response(500, {}, b"oops"),
        Response(200, {"Content-Type": "text/html"}, b"<p>ok</p>"),
    ]
    http_server.route("/flaky", lambda request: answers.pop(0))
    sleep = FakeSleep()
    result = fetch(http_server.url("/flaky"), RETRYING, sleep=sleep)
    assert (result.outcome, result.text, result.attempts) == (OK, "<p>ok</p>", 2)
    assert len(sleep.waits) == 1
    assert len(http_server.requests) == 2


def test_etag_round_trip_gives_304(http_server: LocalServer) -> None:
    http_server.set("/a", page("v1"), etag="v1")
    first = fetch(http_server.url("/a"))
    assert (first.outcome, first.validators.etag) == (OK, '"v1"')
    second = fetch(http_server.url("/a"), validators=first.validators)
    assert (second.outcome, second.http_status) == (FetchOutcome.NOT_MODIFIED, 304)
    assert second.validators.etag == '"v1"'
    assert http_server.requests[1].headers["if-none-match"] == '"v1"'


def test_last_modified_round_trip_gives_304(http_server: LocalServer) -> None:
    stamp = "Mon, 01 Jan 2024 00:00:00 GMT"
    http_server.set("/a", page("v1"), last_modified=stamp)
    first = fetch(http_server.url("/a"))
    assert first.validators == Validators(None, stamp)
    second = fetch(http_server.url("/a"), validators=first.validators)
    assert second.outcome is FetchOutcome.NOT_MODIFIED


def test_server_handler_sees_request(http_server: LocalServer) -> None:
    def handler(request: Request) -> Response:
        return Response(
            200, {"Content-Type": "text/plain"}, request.headers["accept-language"].encode()
        )

    http_server.route("/echo", handler)
    assert fetch(http_server.url("/echo?q=1")).text == "ja,en;q=0.8"
    assert http_server.requests[0].path == "/echo?q=1"


def test_an_old_server_default_latin1_header_does_not_beat_the_page_meta() -> None:
    text = "<html><head><meta charset=EUC-JP></head><body><p>東京都は晴れ</p></body></html>"
    decoded, codec = decode_html(text.encode("euc_jp"), "text/html; charset=ISO-8859-1")
    assert "東京都は晴れ" in decoded and codec.startswith("euc")
    western = "<p>Café déjà vu</p>".encode("cp1252")
    assert decode_html(western, "text/html; charset=ISO-8859-1")[0] == "<p>Café déjà vu</p>"


def test_private_addresses_can_be_refused(http_server: LocalServer) -> None:
    http_server.set("/page", "<p>local</p>")
    allowed = asyncio.run(_fetch_with(FetchSettings(retries=0), http_server.url("/page")))
    assert allowed.outcome is FetchOutcome.OK
    strict = FetchSettings(retries=0, allow_private_addresses=False)
    refused = asyncio.run(_fetch_with(strict, http_server.url("/page")))
    assert refused.outcome is FetchOutcome.NETWORK_ERROR
    assert "non-public address (127.0.0.1)" in (refused.error or "")
    assert len(http_server.requests) == 1  # the refused fetches never reached the server
    by_name = asyncio.run(_fetch_with(strict, f"http://localhost:{http_server.port}/page"))
    assert by_name.outcome is FetchOutcome.NETWORK_ERROR


async def _fetch_with(settings: FetchSettings, url: str) -> FetchResult:
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url)


def _resolver(*answers: str) -> Callable[[str, int], Coroutine[None, None, list[str]]]:
    """A resolver answering each of ``answers`` in turn, like a rebinding DNS server."""
    queue = list(answers)

    async def resolve(host: str, port: int) -> list[str]:
        return [queue.pop(0) if len(queue) > 1 else queue[0]]

    return resolve


def test_connections_go_to_the_checked_address(http_server: LocalServer) -> None:
    http_server.set("/page", "<p>pinned</p>")
    backend = PublicOnlyBackend(resolve=_resolver("127.0.0.1"), is_allowed=lambda a: True)
    url = f"http://pinned.test:{http_server.port}/page"  # a name the system cannot resolve

    async def main() -> FetchResult:
        async with Fetcher(FetchSettings(retries=0), network_backend=backend) as fetcher:
            return await fetcher.fetch(url)

    result = asyncio.run(main())
    assert (result.outcome, result.text) == (OK, "<p>pinned</p>")


def test_a_name_rebound_to_a_private_address_is_refused_at_connect(
    http_server: LocalServer,
) -> None:
    """The hop check saw a public address; the connection would have gone to 127.0.0.1."""
    http_server.set("/page", "<p>secret</p>")
    backend = PublicOnlyBackend(resolve=_resolver("127.0.0.1"))
    strict = FetchSettings(retries=0, allow_private_addresses=False)

    async def main() -> FetchResult:
        async with Fetcher(strict, network_backend=backend) as fetcher:
            return await fetcher.fetch(f"http://rebind.test:{http_server.port}/page")

    result = asyncio.run(main())
    assert result.outcome is NETWORK_ERROR
    assert "rebind.test is a non-public address (127.0.0.1)" in (result.error or "")
    assert http_server.requests == []


# -- issue 14: whole bodies, validators that can be true, cookies for one fetch -----------------


def test_a_gzip_stream_without_its_trailer_is_truncated(http_server: LocalServer) -> None:
    body = gzip.compress(page("x" * 5000).encode(), mtime=0)
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    http_server.set("/cut", body[:-8], headers=headers)
    result = fetch(http_server.url("/cut"))
    assert result.outcome is NETWORK_ERROR and "truncated" in (result.error or "")
    http_server.set("/whole", body, headers=headers)
    assert fetch(http_server.url("/whole")).outcome is OK


def test_an_html_page_cut_when_the_connection_closes_is_truncated(
    http_server: LocalServer,
) -> None:
    def chunks(data: bytes) -> Callable[[Request], Response]:
        # No Content-Length: the body ends when the connection does (as in HTTP/1.0).
        return lambda request: Response(200, {"Content-Type": "text/html"}, iter([data]))

    whole = page("all of it").encode()
    http_server.route("/cut", chunks(whole[: len(whole) // 2]))
    result = fetch(http_server.url("/cut"))
    assert result.outcome is NETWORK_ERROR and "before the end of the page" in (result.error or "")
    http_server.route("/whole", chunks(whole + b"\n<!-- cached -->\n"))
    assert fetch(http_server.url("/whole")).outcome is OK
    http_server.route(
        "/text",
        lambda request: Response(200, {"Content-Type": "text/plain"}, iter([b"no end tag"])),
    )
    assert fetch(http_server.url("/text")).outcome is OK  # only HTML pages have an end to check


@pytest.mark.parametrize(
    ("headers", "kept"),
    [
        ({"ETag": '"v1"'}, Validators('"v1"', None)),
        ({"ETag": 'W/"v1"'}, Validators('W/"v1"', None)),
        ({"ETag": "v1-unquoted"}, NO_VALIDATORS),
        ({"ETag": '"a"b"'}, NO_VALIDATORS),
        (
            {"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
            Validators(None, "Mon, 01 Jan 2024 00:00:00 GMT"),
        ),
        ({"Last-Modified": "yesterday"}, NO_VALIDATORS),
        (  # ahead of the answer's own Date: cannot be true
            {
                "Last-Modified": "Wed, 01 Dec 2027 00:00:00 GMT",
                "Date": "Tue, 01 Dec 2026 00:00:00 GMT",
            },
            NO_VALIDATORS,
        ),
        (  # ahead of a wrong Date, but not of it: the server's clock, consistent
            {
                "Last-Modified": "Wed, 01 Dec 2027 00:00:00 GMT",
                "Date": "Thu, 02 Dec 2027 00:00:00 GMT",
            },
            Validators(None, "Wed, 01 Dec 2027 00:00:00 GMT"),
        ),
    ],
)
def test_only_validators_that_can_be_true_are_kept(
    headers: dict[str, str], kept: Validators
) -> None:
    result = fetch(
        "https://example.com/a",
        handler=lambda r: httpx.Response(200, headers=headers, text=page("x")),
    )
    assert result.validators == kept


def test_a_stored_last_modified_in_the_future_is_not_sent(http_server: LocalServer) -> None:
    http_server.set("/a", page("v1"))
    future = format_datetime(datetime.now(UTC) + timedelta(days=365), usegmt=True)
    fetch(http_server.url("/a"), validators=Validators('"ok"', future))
    fetch(http_server.url("/a"), validators=Validators("bad etag", None))
    first, second = http_server.requests
    assert first.headers.get("if-none-match") == '"ok"' and "if-modified-since" not in first.headers
    assert "if-none-match" not in second.headers


def test_cookies_follow_the_redirects_of_one_fetch_and_nothing_else(
    http_server: LocalServer,
) -> None:
    http_server.route(
        "/start",
        lambda r: Response(302, {"Location": "/check", "Set-Cookie": "seen=1; Path=/"}, b""),
    )
    http_server.set("/check", page("ok"))
    http_server.set("/other", page("other"))

    async def main() -> None:
        async with Fetcher(FAST, sleep=FakeSleep()) as fetcher:  # one fetcher, shared clients
            await fetcher.fetch(http_server.url("/start"))
            await fetcher.fetch(http_server.url("/other"))
            await fetcher.fetch(http_server.url("/check"))

    asyncio.run(main())
    cookies = [(r.path, r.headers.get("cookie")) for r in http_server.requests]
    assert cookies == [("/start", None), ("/check", "seen=1"), ("/other", None), ("/check", None)]


def test_a_shared_client_keeps_no_cookie() -> None:
    """httpx copies the cookies of an ``httpx.Cookies`` into a jar of its own (which would
    keep every cookie of every site for the client's life); ``no_jar`` is the jar itself."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Set-Cookie": "seen=1; Path=/"}, text="ok")

    async def main() -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.MockTransport(answer), cookies=no_jar())
        async with client:
            await client.get("http://news.example/a")
            request = client.build_request("GET", "http://news.example/b")
        assert "cookie" not in request.headers
        return client

    assert not list(asyncio.run(main()).cookies.jar)


def test_the_cookies_of_one_fetch_are_bounded(http_server: LocalServer) -> None:
    from monitor.fetch.cookies import MAX_COOKIES, MAX_HEADER_BYTES, FetchCookies

    jar = FetchCookies()
    response = httpx.Response(
        302,
        headers=[("Set-Cookie", f"c{i}={'v' * 60}; Path=/") for i in range(1000)],
        request=httpx.Request("GET", "https://example.com/a"),
    )
    jar.keep(response)
    request = httpx.Request("GET", "https://example.com/b")
    jar.apply(request)
    assert len(jar) <= MAX_COOKIES
    assert len(request.headers["cookie"]) <= MAX_HEADER_BYTES


def test_a_trickle_meets_the_deadline_once_and_is_not_retried(http_server: LocalServer) -> None:
    http_server.route("/slow", http_server.trickle(page("x" * 50).encode(), delay=0.2))
    settings = FetchSettings(connect_timeout=0.5, read_timeout=1.0, total_timeout=1.0, retries=2)
    result = fetch(http_server.url("/slow"), settings)
    assert result.outcome is NETWORK_ERROR and "total timeout" in (result.error or "")
    assert result.attempts == 1 and len(http_server.requests) == 1


def test_all_attempts_share_total_timeout(http_server: LocalServer) -> None:
    never = Response(200, {"Content-Type": "text/html"}, page("late").encode())
    http_server.route("/hung", http_server.slow(30, never))
    settings = FetchSettings(connect_timeout=0.5, read_timeout=0.4, total_timeout=1.0, retries=5)
    sleep = FakeSleep()

    async def main() -> FetchResult:
        async with Fetcher(settings, sleep=sleep) as fetcher:
            return await fetcher.fetch(http_server.url("/hung"))

    result = asyncio.run(main())
    assert result.outcome is NETWORK_ERROR and "read timeout" in (result.error or "")
    # 0.4 s each: the third would start with 0.2 s of the 1 s left (less than connect_timeout)
    assert result.attempts == 2


@pytest.mark.parametrize(
    "name", ["Shift_JIS", "shift_jis_2004", "Shift_JISX0213", "x-sjis", "MS_Kanji", ""]
)
def test_every_shift_jis_name_gives_the_same_text(name: str) -> None:
    text = "<p>午前9時～午後5時、気温は－3℃。</p>" + JA_LONG
    meta = f'<meta charset="{name}">' if name else ""
    decoded, codec = decode_html((meta + page(text)).encode("cp932"), "text/html")
    assert codec == "cp932" and "午前9時～午後5時、気温は－3℃。" in decoded
