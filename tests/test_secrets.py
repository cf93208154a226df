"""A proxy's credentials never show: not in logs (-vv, the daemon's), `--explain`, `--json`,
error messages, reports, the web UI and its API, nor anywhere in the files monitor writes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from proxy import HttpProxy
from server import LocalServer

from monitor import samplesite
from monitor.web import create_app

SECRET = "Hunter2/Proxy:Pw"  # with characters that get percent-encoded in a URL
FORMS = (SECRET, quote(SECRET, safe=""), "desk:")


def monitor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESK_PROXY_PW": SECRET}
    command = [sys.executable, "-m", "monitor", "-vv", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def assert_clean(text: str, where: str) -> None:
    for form in FORMS:
        assert form not in text, f"{form!r} in {where}: {text[:2000]}"


def web_pages(database: Path) -> list[str]:
    app = create_app(str(database))
    urls = ["/", "/watches/1", "/watches/2", "/changes", "/feed.atom", "/api/watches"]
    urls += ["/api/watches/1/checks", "/api/watches/2/checks", "/api/changes"]

    async def run() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            answers = [await c.get(url) for url in urls]
        assert [a.status_code for a in answers] == [200] * len(urls)
        return [a.text for a in answers]

    return asyncio.run(run())


def test_proxy_credentials_never_show(tmp_path: Path, http_server: LocalServer) -> None:
    article = samplesite.load_article("en")
    http_server.set("/en/", samplesite.render_page(article))
    config = tmp_path / "config.toml"
    with HttpProxy(credentials=("desk", SECRET)) as proxy:
        config.write_text(
            '[monitor]\ndatabase = "m.db"\nretries = 0\ninterval = "1s"\njitter = "0s"\n\n'
            f'[[site]]\nmatch = "{http_server.url("/en/*")}"\n'
            f'proxy = "http://desk:${{DESK_PROXY_PW}}@127.0.0.1:{proxy.port}"\n\n'
            f'[[watch]]\nurl = "{http_server.url("/en/")}"\nname = "proxied"\n\n'
            f'[[watch]]\nurl = "{http_server.url("/down/")}"\nname = "no-proxy-there"\n'
            'proxy = "http://desk:${DESK_PROXY_PW}@127.0.0.1:1"\n',
            encoding="utf-8",
        )
        outputs = [monitor(config, "check", "--json")]
        http_server.set(
            "/en/", samplesite.render_page(samplesite.replace_text(article, "7-2", "6-3"))
        )
        outputs.append(monitor(config, "check", "--json"))
        outputs.append(monitor(config, "extract", http_server.url("/en/"), "--explain"))
        outputs.append(monitor(config, "extract", http_server.url("/en/"), "--explain", "--json"))
        outputs.append(monitor(config, "extract", http_server.url("/down/"), "--explain"))
        outputs += [monitor(config, "status", "--json"), monitor(config, "log", "proxied")]
        outputs.append(monitor(config, "log", "no-proxy-there", "--json"))
        outputs.append(monitor(config, "diff", "proxied", "--format", "json"))
        outputs.append(_daemon_log(config))
        assert proxy.seen and all(http_server.url("/en/") in seen for seen in proxy.seen)
    for number, output in enumerate(outputs):
        assert_clean(output.stdout + output.stderr, f"output {number} ({output.args[5:]})")
    assert '"status": "changed"' in outputs[1].stdout
    assert "connection refused" in outputs[0].stdout  # the proxy that is not there
    assert "through the proxy http://127.0.0.1:" in outputs[2].stdout  # --explain says how
    for number, page in enumerate(web_pages(tmp_path / "m.db")):
        assert_clean(page, f"web page {number}")
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "config.toml"]
    assert any(p.suffix == ".html" for p in written)  # the change's report
    for path in written:
        data = path.read_bytes()
        for form in FORMS:
            assert form.encode() not in data, f"{form!r} in {path}"


def _daemon_log(config: Path) -> subprocess.CompletedProcess[str]:
    """`monitor -vv run` for a few checks, stopped with SIGTERM."""
    env = {**os.environ, "DESK_PROXY_PW": SECRET}
    command = [sys.executable, "-m", "monitor", "-vv", "--config", str(config), "run"]
    process = subprocess.Popen(
        [*command, "--workers", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    db = config.parent / "m.db"
    before = _checks(db)
    while _checks(db) < before + 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.terminate()
    out, err = process.communicate(timeout=30)
    assert "status=" in err
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _checks(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM checks").fetchone()[0])
    finally:
        conn.close()
