"""render = "browser" in real headless Chromium (Debian's, driven by Playwright), against pages
on 127.0.0.1 whose article is written by JavaScript: extracted, an edit reported; headers,
cookies and a proxy reach the server from the browser; error statuses; a browser killed or
hung mid-render recovers and the daemon never hangs on it, nor leaves a browser behind."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import require_chromium
from daemon import Daemon, count, query, wait_for
from harness import FAST, Harness
from jssite import PARAGRAPHS, JsSite
from proxy import HttpProxy
from server import LocalServer, Request, Response

from monitor.config import Config, FetchSettings, Rules, Settings, SiteRule
from monitor.fetch import Fetcher
from monitor.fetch.render import (
    DRIVER_V8_FLAGS,
    NEEDS_EXTRA,
    VIEWPORT,
    BrowserUnavailable,
    Renderer,
    load_playwright,
    wrapped_program,
)
from monitor.models import CheckStatus, FetchOutcome, FetchResult
from monitor.request import RequestOptions
from monitor.store import Store

RENDER = FetchSettings(
    connect_timeout=2.0, read_timeout=5.0, total_timeout=10.0, retries=0, render_timeout=15.0
)
BROWSER = RequestOptions(render="browser")


@pytest.fixture
def chromium() -> str:
    return require_chromium()


@pytest.fixture
def js_site(http_server: LocalServer) -> JsSite:
    return JsSite(http_server)


def rendered_config(tmp_path: Path, site: JsSite, **request: object) -> Config:
    rule = SiteRule(
        match=site.server.url("/app/*"),
        rules=Rules(),
        request=RequestOptions(render="browser", **request),  # type: ignore[arg-type]
    )
    return Config(settings=Settings(database=str(tmp_path / "m.db"), fetch=RENDER), sites=(rule,))


def render_all(urls: list[str], options: RequestOptions, fetcher: Fetcher) -> list[FetchResult]:
    async def run() -> list[FetchResult]:
        return list(await asyncio.gather(*(fetcher.fetch(u, options=options) for u in urls)))

    return asyncio.run(run())


def test_a_page_written_by_javascript_is_extracted_and_its_edit_reported(
    tmp_path: Path, chromium: str, js_site: JsSite
) -> None:
    config = rendered_config(tmp_path, js_site)
    with Store(config.settings.database) as store:
        plain = Harness(store, Config(settings=Settings(fetch=RENDER)))
        other = store.watches.add(js_site.url + "?plain")
        assert plain.check(other).status is CheckStatus.SOFT_ERROR  # a plain GET: no article
        harness = Harness(store, config)
        watch = store.watches.add(js_site.url)
        first = harness.check(watch)
        assert first.status is CheckStatus.NEW, first.error
        snapshot = store.versions.current(store.watches.get(watch.id))
        assert snapshot is not None
        assert snapshot.title == "Council approves transit budget"
        assert snapshot.text.splitlines() == PARAGRAPHS
        assert harness.check(watch).status is CheckStatus.UNCHANGED
        js_site.paragraphs[0] = js_site.paragraphs[0].replace("7-2", "6-3")
        changed = harness.check(watch)
        assert changed.status is CheckStatus.CHANGED and changed.report is not None
        ops = [(op.op, op.text) for op in changed.report.diff.ops if op.op]
        assert ops == [(-1, "7-2"), (1, "6-3")]
    assert "/app/photo.png" not in js_site.paths()  # images are blocked


def test_headers_cookies_and_a_proxy_reach_the_server_from_the_browser(
    chromium: str, js_site: JsSite
) -> None:
    with HttpProxy(credentials=("desk", "s3cret-pw")) as proxy:
        options = RequestOptions(
            render="browser",
            headers=(("Accept-Language", "en-GB"), ("X-Desk", "1"), ("User-Agent", "desk/1")),
            cookies=(("euconsent", "yes"),),
            proxy=proxy.url,
        )

        async def run() -> FetchResult:
            async with Fetcher(RENDER) as fetcher:
                return await fetcher.fetch(js_site.url, options=options)

        result = asyncio.run(run())
        assert result.outcome is FetchOutcome.OK, result.error
        assert f"GET {js_site.url}" in proxy.seen
        assert proxy.refused in ([], [f"GET {js_site.url}"])  # a 407 challenge first, at most
    api = next(r for r in js_site.server.requests if r.path == "/app/api")
    assert api.headers["x-desk"] == "1" and api.headers["user-agent"] == "desk/1"
    assert api.headers["accept-language"] == "en-GB"
    assert "euconsent=yes" in api.headers["cookie"]
    assert PARAGRAPHS[0] in result.text


def test_no_cookie_carries_from_one_render_to_the_next(chromium: str, js_site: JsSite) -> None:
    first = js_site.server.url("/app/")
    second = js_site.server.url("/app/?other-watch")

    async def run() -> None:
        async with Fetcher(RENDER) as fetcher:
            for url in (first, second):
                result = await fetcher.fetch(url, options=BROWSER)
                assert result.outcome is FetchOutcome.OK, result.error

    asyncio.run(run())
    shells = [
        r for r in js_site.server.requests if r.path.startswith("/app/?") or r.path == "/app/"
    ]
    assert len(shells) == 2
    assert "cookie" not in shells[1].headers  # the first render's script set seen=1


def test_a_page_is_laid_out_in_a_desktop_window(chromium: str, js_site: JsSite) -> None:
    """The browser keeps a composited frame of each open page's window: a desktop's."""
    script = "document.getElementById('size').textContent = innerWidth + 'x' + innerHeight"
    page = f'<html><body><p id="size"></p><script>{script}</script></body></html>'
    js_site.server.set("/app/size", page.encode())

    async def run() -> FetchResult:
        async with Fetcher(RENDER) as fetcher:
            return await fetcher.fetch(js_site.server.url("/app/size"), options=BROWSER)

    result = asyncio.run(run())
    assert result.outcome is FetchOutcome.OK, result.error
    assert f'<p id="size">{VIEWPORT["width"]}x{VIEWPORT["height"]}</p>' in result.text
    assert VIEWPORT == {"width": 1280, "height": 720}


def test_error_statuses_and_a_selector_that_never_comes(chromium: str, js_site: JsSite) -> None:
    server = js_site.server
    server.set("/gone", "<h1>Not found</h1>", status=404)
    settings = FetchSettings(render_timeout=2.0, retries=0)

    async def run() -> tuple[FetchResult, FetchResult, FetchResult]:
        async with Fetcher(settings) as fetcher:
            missing = await fetcher.fetch(server.url("/gone"), options=BROWSER)
            waited = RequestOptions(render="browser", wait_for=".never")
            never = await fetcher.fetch(js_site.url, options=waited)
            found = RequestOptions(render="browser", wait_for="article p")
            return missing, never, await fetcher.fetch(js_site.url, options=found)

    missing, never, found = asyncio.run(run())
    assert (missing.outcome, missing.http_status) == (FetchOutcome.HTTP_ERROR, 404)
    assert missing.error == "HTTP 404 Not Found" and not missing.content
    assert never.outcome is FetchOutcome.NETWORK_ERROR
    assert never.error == "the page showed no '.never' within 2s"
    assert found.outcome is FetchOutcome.OK and PARAGRAPHS[2] in found.text


def test_renders_at_once_are_bounded(chromium: str, js_site: JsSite) -> None:
    inflight, peak, lock = 0, 0, threading.Lock()

    def slow(request: Request) -> Response:
        nonlocal inflight, peak
        with lock:
            inflight += 1
            peak = max(peak, inflight)
        js_site.server.wait(0.3)
        with lock:
            inflight -= 1
        return js_site.api(request)

    js_site.server.route("/app/api", slow)
    settings = FetchSettings(render_concurrency=2, render_timeout=20.0, retries=0)

    async def run() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            urls = [f"{js_site.url}?{n}" for n in range(5)]
            return list(await asyncio.gather(*(fetcher.fetch(u, options=BROWSER) for u in urls)))

    results = asyncio.run(run())
    assert [r.outcome for r in results] == [FetchOutcome.OK] * 5
    assert peak == 2


def _group(pgid: int) -> list[int]:
    """The processes of a process group that still run (zombies aside)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _render_while(
    js_site: JsSite, settings: FetchSettings, act: str
) -> tuple[list[FetchResult], Renderer, int]:
    """Render once, then again while the API holds, doing ``act`` ("kill" or "stop") to the
    browser mid-render, then once more: the three results, the renderer, the first pid."""
    renderer = Renderer(settings)
    hold = threading.Event()

    async def run() -> tuple[list[FetchResult], int]:
        async with Fetcher(settings, renderer=renderer) as fetcher:
            results = [await fetcher.fetch(js_site.url, options=BROWSER)]
            pid = renderer.pid
            assert pid is not None
            hold.set()
            js_site.hold = hold
            calls = js_site.api_calls
            task = asyncio.create_task(fetcher.fetch(js_site.url, options=BROWSER))
            while js_site.api_calls == calls:  # the page is waiting on its API now
                await asyncio.sleep(0.02)
            os.killpg(pid, signal.SIGKILL if act == "kill" else signal.SIGSTOP)
            results.append(await task)
            hold.clear()
            results.append(await fetcher.fetch(js_site.url, options=BROWSER))
            return results, pid

    results, pid = asyncio.run(run())
    return results, renderer, pid


def test_a_browser_killed_mid_render_is_restarted(chromium: str, js_site: JsSite) -> None:
    results, renderer, pid = _render_while(js_site, RENDER, "kill")
    assert [r.outcome for r in results] == [
        FetchOutcome.OK,
        FetchOutcome.NETWORK_ERROR,
        FetchOutcome.OK,
    ], [r.error for r in results]
    assert results[1].error == "the browser crashed while rendering the page (restarted)"
    assert renderer.starts == 2
    assert _group(pid) == [] and renderer.pid is None  # closed after use


def test_a_hung_browser_is_killed_and_restarted_within_bounds(
    chromium: str, js_site: JsSite
) -> None:
    settings = FetchSettings(render_timeout=2.0, retries=0)
    started = time.monotonic()
    results, renderer, pid = _render_while(js_site, settings, "stop")
    assert [r.outcome for r in results] == [
        FetchOutcome.OK,
        FetchOutcome.NETWORK_ERROR,
        FetchOutcome.OK,
    ], [r.error for r in results]
    assert "restarted" in (results[1].error or "")
    assert renderer.starts == 2
    assert _group(pid) == []  # the stopped browser was killed, all of it
    assert time.monotonic() - started < 120  # bounded: render_timeout + close + slack


def test_without_playwright_or_chromium_one_clear_error(http_server: LocalServer) -> None:
    http_server.set("/a", "<p>x</p>")

    def no_playwright() -> object:
        raise BrowserUnavailable(NEEDS_EXTRA)

    async def run(fetcher: Fetcher) -> FetchResult:
        async with fetcher:
            return await fetcher.fetch(http_server.url("/a"), options=BROWSER)

    without = asyncio.run(run(Fetcher(FAST, renderer=Renderer(FAST, loader=no_playwright))))
    assert without.outcome is FetchOutcome.NETWORK_ERROR
    assert without.error == (
        "render = \"browser\" needs Playwright, the browser extra: pip install 'monitor[browser]'"
    )
    nowhere = FetchSettings(browser="/nonexistent/chromium")
    missing = asyncio.run(run(Fetcher(nowhere)))
    assert missing.error == "[monitor] browser = '/nonexistent/chromium': no such program"
    public = FetchSettings(allow_private_addresses=False)
    refused = asyncio.run(run(Fetcher(public)))
    assert refused.error and refused.error.startswith("refused: 127.0.0.1 is a non-public")
    assert http_server.requests == []


# --- the daemon --------------------------------------------------------------------------


def _write_config(path: Path, site: JsSite, *, secret: str = "") -> None:
    proxy = f'proxy = "http://desk:{secret}@127.0.0.1:1"\n' if secret else ""
    path.write_text(
        f'[monitor]\ndatabase = "m.db"\ninterval = "1s"\njitter = "0s"\nretries = 0\n'
        f'render_timeout = "15s"\nshutdown_grace = "5s"\n\n'
        f'[[site]]\nmatch = "{site.server.url("/app/*")}"\nrender = "browser"\n{proxy}\n'
        f'[[watch]]\nurl = "{site.url}"\nname = "js"\n',
        encoding="utf-8",
    )


def _browser_pid(daemon: Daemon) -> int | None:
    for line in daemon.output().splitlines():
        if "browser started:" in line:
            return int(line.split("(pid ", 1)[1].split(",", 1)[0])
    return None


@pytest.fixture
def temp_env(tmp_path: Path) -> Iterator[None]:
    """Daemons started here keep their temporary files (the browser's profile) in tmp_path."""
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmp_path)
    yield
    if old is None:
        del os.environ["TMPDIR"]
    else:
        os.environ["TMPDIR"] = old


def _ours(tmp_path: Path) -> list[int]:
    """Processes whose command line names tmp_path (the browser's profile folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if str(tmp_path).encode() in cmdline and b"chromium" in cmdline:
                found.append(int(entry))
    return found


def test_the_daemon_recovers_from_a_browser_killed_mid_render_and_leaves_none_behind(
    tmp_path: Path, chromium: str, js_site: JsSite, daemons: list[Daemon], temp_env: None
) -> None:
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    _write_config(config, js_site)
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'new'") == 1, 60)
    pid = _browser_pid(daemon)
    assert pid is not None and _group(pid) and _ours(tmp_path)
    js_site.hold = hold = threading.Event()
    hold.set()
    calls = js_site.api_calls
    wait_for(lambda: js_site.api_calls > calls, 60)  # a render waits on the API
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'network_error'") >= 1)
    hold.clear()
    done = count(db, "SELECT count(*) FROM checks WHERE status = 'unchanged'")
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'unchanged'") > done, 60)
    errors = query(db, "SELECT error FROM checks WHERE status = 'network_error'")
    assert errors[0][0] == "the browser crashed while rendering the page (restarted)"
    second = next(
        int(line.split("(pid ", 1)[1].split(",", 1)[0])
        for line in reversed(daemon.output().splitlines())
        if "browser started:" in line
    )
    assert second != pid and _group(second)
    assert daemon.stop(timeout=30) == 0
    assert _group(pid) == [] and _group(second) == [] and _ours(tmp_path) == []
    assert count(db, "SELECT count(*) FROM snapshots") == 1


def test_a_daemon_killed_takes_its_browser_along(
    tmp_path: Path, chromium: str, js_site: JsSite, daemons: list[Daemon], temp_env: None
) -> None:
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    _write_config(config, js_site)
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'new'") == 1, 60)
    pid = _browser_pid(daemon)
    assert pid is not None and _group(pid) and _ours(tmp_path)
    daemon.process.kill()
    daemon.process.wait(10)
    wait_for(lambda: _group(pid) == [] and _ours(tmp_path) == [], 15)


def test_a_wrapper_script_that_does_not_exec_is_seen_through(tmp_path: Path) -> None:
    """Debian's chromium-headless-shell is `#!/bin/sh -e` then `/usr/lib/.../program "$@"`
    (no exec): the program itself is started, so that it dies with monitor."""
    program = tmp_path / "chromium-real"
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)

    def script(name: str, body: str) -> str:
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        path.chmod(0o755)
        return str(path)

    plain = script("plain", f'#!/bin/sh -e\n\n{program} "$@"\n')
    execs = script("execs", f'#!/bin/sh\n# a comment\nexec {program} "$@"\n')
    assert wrapped_program(plain) == wrapped_program(execs) == str(program)
    more = script("more", f'#!/bin/sh\nexport X=1\n{program} "$@"\n')
    missing = script("missing", f'#!/bin/sh\n{tmp_path / "nowhere"} "$@"\n')
    fixed = script("fixed", f"#!/bin/sh\n{program} --always\n")
    assert [wrapped_program(p) for p in (more, missing, fixed)] == [more, missing, fixed]
    binary = tmp_path / "binary"
    binary.write_bytes(b"\x7fELF" + bytes(100))
    assert wrapped_program(str(binary)) == str(binary)


def _driver_arguments() -> list[str]:
    """The command line of this process's Playwright driver (Node.js running run-driver)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                arguments = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == os.getpid() and b"run-driver" in arguments:
                return [a.decode() for a in arguments if a]
    return []


def _render_with(loader: Callable[[], Any], url: str) -> tuple[FetchResult, list[str]]:
    """One render, and the driver's command line while it ran."""

    async def run() -> tuple[FetchResult, list[str]]:
        async with Fetcher(RENDER, renderer=Renderer(RENDER, loader=loader)) as fetcher:
            result = await fetcher.fetch(url, options=BROWSER)
            return result, _driver_arguments()

    return asyncio.run(run())


def test_playwright_s_driver_runs_with_v8_switches_and_leaves_no_script_behind(
    chromium: str, js_site: JsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Node.js takes them from a script that execs it, removed once the driver runs; a
    script that cannot run (a noexec temporary folder) leaves the driver as Playwright
    starts it; a Node.js the environment names is left alone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("PLAYWRIGHT_NODEJS_PATH", raising=False)
    result, driver = _render_with(load_playwright, js_site.url)
    assert result.outcome is FetchOutcome.OK, result.error
    flags = driver[1 : 1 + len(DRIVER_V8_FLAGS)]
    assert flags == list(DRIVER_V8_FLAGS) and driver[-1] == "run-driver"
    assert not list(tmp_path.glob("monitor-node-*"))

    def broken() -> object:
        api = load_playwright()
        api.node = lambda: str(tmp_path / "no-node")
        return api

    result, driver = _render_with(broken, js_site.url)
    assert result.outcome is FetchOutcome.OK, result.error
    assert driver and not set(DRIVER_V8_FLAGS) & set(driver)
    node = load_playwright().node()
    monkeypatch.setenv("PLAYWRIGHT_NODEJS_PATH", node)
    result, driver = _render_with(load_playwright, js_site.url)
    assert result.outcome is FetchOutcome.OK, result.error
    assert driver[0] == node and not set(DRIVER_V8_FLAGS) & set(driver)
