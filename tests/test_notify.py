"""Tests for monitor.notify: bodies and subjects, and real deliveries to local servers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from server import LocalServer, Response, reset

from monitor import __version__
from monitor.config import NotifyConfig
from monitor.diff import diff_texts
from monitor.errors import NotifyError
from monitor.models import ChangeReport, Event, VersionRef
from monitor.notify import (
    SCHEMA,
    SUBJECT_LIMIT,
    event_html,
    event_payload,
    event_subject,
    event_text,
    send_event,
)
from monitor.report import report_to_dict

URL = "https://www3.nhk.or.jp/news/html/20240501/k1.html"
OLD = "政府、新たな経済対策を発表\n死者は1万人に上った。\nThe quick brown fox."
NEW = "政府、新たな経済対策を発表\n死者は1万2000人に上った。\nThe quick brown fox."
NASTY = "<script>alert(1)</script>"


def make_report(old: str = OLD, new: str = NEW, *, title: str = "経済対策") -> ChangeReport:
    return ChangeReport(
        watch_id=3,
        watch_name="NHK 経済",
        url=URL,
        old=VersionRef(40, 2, "2024-05-01T08:00:00+00:00", title),
        new=VersionRef(41, 3, "2024-05-01T09:00:00+00:00", title),
        diff=diff_texts(old, new),
        change_id=12,
        detected_at="2024-05-01T09:00:05+00:00",
    )


def change_event(report: ChangeReport | None = None) -> Event:
    report = report or make_report()
    return Event(
        kind="change",
        watch_id=report.watch_id,
        watch_name=report.watch_name,
        url=report.url,
        occurred_at="2024-05-01T09:00:05+00:00",
        status="changed",
        report=report,
    )


def failing_event(name: str = "NHK 経済", error: str = "HTTP 503 Service Unavailable") -> Event:
    return Event(
        kind="failing",
        watch_id=3,
        watch_name=name,
        url=URL,
        occurred_at="2024-05-01T10:00:00+00:00",
        status="http_error",
        error=error,
        error_streak=3,
        failing_since="2024-05-01T08:00:00+00:00",
    )


def recovered_event() -> Event:
    return Event(
        kind="recovered",
        watch_id=3,
        watch_name="NHK 経済",
        url=URL,
        occurred_at="2024-05-01T11:00:00+00:00",
        status="unchanged",
        error_streak=4,
        failing_since="2024-05-01T08:00:00+00:00",
    )


def send(channel: NotifyConfig, event: Event, **kwargs: Any) -> None:
    asyncio.run(send_event(channel, event, **kwargs))


def send_error(channel: NotifyConfig, event: Event, **kwargs: Any) -> NotifyError:
    with pytest.raises(NotifyError) as caught:
        send(channel, event, **kwargs)
    assert caught.value.channel == channel.name
    return caught.value


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- subjects and bodies ---------------------------------------------------------------------


def test_subjects_of_each_kind() -> None:
    assert event_subject(change_event()) == "[monitor] changed: NHK 経済 (+4 −0 chars)"
    assert event_subject(failing_event()) == (
        "[monitor] failing: NHK 経済: HTTP 503 Service Unavailable"
    )
    assert event_subject(recovered_event()) == "[monitor] recovered: NHK 経済"
    revert = change_event(replace(make_report(), reverted_to=1))
    assert event_subject(revert) == "[monitor] reverted: NHK 経済 to version 1 (+4 −0 chars)"


@pytest.mark.parametrize(
    "dirty",
    [
        "line\nbreak",
        "carriage\r\nreturn",
        "esc\x1b[31mape\x1b[0m",
        "nul\x00 and bell\x07",
        "c1\x85next\x9bline",
        "unicode\u2028line\u2029separators",
        "bidi\u202eoverride",
        "tab\tand\x0bvertical\x0cfeed",
    ],
)
def test_subject_is_one_clean_line(dirty: str) -> None:
    for event in (failing_event(name=dirty, error=dirty), failing_event(error=dirty * 100)):
        subject = event_subject(event)
        assert subject.isprintable(), repr(subject)
        assert len(subject) <= SUBJECT_LIMIT
    change = change_event(replace(make_report(), watch_name=dirty))
    assert event_subject(change).isprintable()


def test_long_subject_is_cut() -> None:
    subject = event_subject(failing_event(name="名" * 300, error="e" * 300))
    assert len(subject) <= SUBJECT_LIMIT
    assert subject.startswith("[monitor] failing: 名名") and subject.endswith("…")


def test_change_bodies_are_the_reports() -> None:
    event = change_event()
    text, page = event_text(event), event_html(event)
    assert "死者は1万{+2000+}人に上った。" in text
    assert "<ins>2000</ins>" in page and page.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    "event", [failing_event(), recovered_event()], ids=["failing", "recovered"]
)
def test_status_bodies(event: Event) -> None:
    text, page = event_text(event), event_html(event)
    assert text.startswith(event_subject(event).removeprefix("[monitor] "))
    assert f"URL: {URL}" in text and event.occurred_at in text
    assert f'<a href="{URL}"' in page and "NHK 経済" in page
    streak = str(event.error_streak)
    assert streak in text and f"<dd>{streak}</dd>" in page


def test_status_bodies_escape_page_text() -> None:
    event = replace(failing_event(name=NASTY, error=f"{NASTY}\x1b[2J"), url="javascript:alert(1)")
    page, text = event_html(event), event_text(event)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "href" not in page  # only http(s) URLs become links
    assert "\x1b" not in text and "\x1b" not in page


def test_payload_of_a_status_event() -> None:
    assert event_payload(failing_event()) == {
        "schema": SCHEMA,
        "event": "failing",
        "occurred_at": "2024-05-01T10:00:00+00:00",
        "watch": {"id": 3, "name": "NHK 経済", "url": URL},
        "status": "http_error",
        "error": "HTTP 503 Service Unavailable",
        "error_streak": 3,
        "summary": "failing: NHK 経済: HTTP 503 Service Unavailable",
        "change": None,
        "failure": {
            "since": "2024-05-01T08:00:00+00:00",
            "seconds": 7200,
            "flapping": False,
            "last_recovered_at": None,
        },
    }
    recovered = event_payload(recovered_event())
    assert recovered["failure"] == {
        "since": "2024-05-01T08:00:00+00:00",
        "seconds": 10800,
        "flapping": False,
        "last_recovered_at": None,
    }
    assert event_payload(change_event())["failure"] is None
    queued_before_schema_10 = replace(recovered_event(), failing_since=None)
    assert event_payload(queued_before_schema_10)["failure"] is None


def test_a_failure_told_late_because_the_watch_is_flapping_says_so() -> None:
    event = replace(
        failing_event(), error_streak=12, flapping=True, recovered_at="2024-05-01T07:00:00+00:00"
    )
    assert event_subject(event) == (
        "[monitor] failing (flapping): NHK 経済: HTTP 503 Service Unavailable"
    )
    assert event_payload(event)["failure"] == {
        "since": "2024-05-01T08:00:00+00:00",
        "seconds": 7200,
        "flapping": True,
        "last_recovered_at": "2024-05-01T07:00:00+00:00",
    }
    text = event_text(event)
    assert "Failed checks in a row: 12\n" in text
    assert "Failing since: 2024-05-01T08:00:00+00:00 (2h before this check)\n" in text
    assert "Flapping: it had recovered from a failure at 2024-05-01T07:00:00+00:00" in text
    assert "<dt>Flapping</dt>" in event_html(event)


def test_a_recovery_says_how_long_and_how_many_checks_the_failure_lasted() -> None:
    text = event_text(recovered_event())
    assert "Failed checks before: 4\n" in text
    assert "Failing since: 2024-05-01T08:00:00+00:00 (3h before this check)\n" in text
    assert "Flapping" not in text


# -- webhook ---------------------------------------------------------------------------------


def webhook(url: str, timeout: float = 5.0, **kwargs: Any) -> NotifyConfig:
    return NotifyConfig(type="webhook", name="hook", url=url, timeout=timeout, **kwargs)


def test_webhook_posts_the_documented_json(http_server: LocalServer) -> None:
    http_server.route("/hook", lambda request: Response(204))
    event = change_event()
    channel = webhook(http_server.url("/hook"), headers=(("X-Token", "s3cret"),))
    send(channel, event)
    [request] = http_server.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.headers["x-token"] == "s3cret"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"monitor/{__version__}"
    payload = json.loads(request.body.decode("utf-8"))
    assert set(payload) == {
        *("schema", "event", "occurred_at", "watch", "status", "error", "error_streak"),
        *("summary", "change", "failure"),
    }
    assert payload["schema"] == "monitor.event/1" and payload["event"] == "change"
    assert payload["watch"] == {"id": 3, "name": "NHK 経済", "url": URL}
    assert payload["summary"] == "changed: NHK 経済 (+4 −0 chars)"
    assert payload["change"] == report_to_dict(make_report())
    assert payload["change"]["stats"]["chars_added"] == 4
    assert payload["change"]["stats"]["chars_removed"] == 0
    assert "死者は1万" in request.body.decode("utf-8")  # UTF-8, not \\u escapes


def test_webhook_escapes_unsafe_json_characters(http_server: LocalServer) -> None:
    http_server.route("/hook", lambda request: Response(200))
    send(webhook(http_server.url("/hook")), failing_event(error="a\u2028b\x85c\x00d"))
    body = http_server.requests[0].body
    assert b"\\u2028" in body and b"\\u0085" in body and b"\\u0000" in body
    assert json.loads(body)["error"] == "a\u2028b\x85c\x00d"


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (404, False), (400, False), (301, False)],
)
def test_webhook_error_answers(http_server: LocalServer, status: int, retryable: bool) -> None:
    http_server.route("/hook", lambda request: Response(status, {"Location": "/elsewhere"}))
    error = send_error(webhook(http_server.url("/hook")), recovered_event())
    assert error.retryable is retryable
    assert f"HTTP {status}" in str(error)
    assert len(http_server.requests) == 1  # no redirect followed, no retry here


def test_webhook_connection_refused_is_retryable() -> None:
    error = send_error(webhook(f"http://127.0.0.1:{free_port()}/hook"), recovered_event())
    assert error.retryable and "cannot connect" in str(error)


def test_webhook_without_answer_is_not_retryable(http_server: LocalServer) -> None:
    http_server.route("/hook", http_server.slow(30, Response(200)))
    error = send_error(webhook(http_server.url("/hook"), timeout=0.2), recovered_event())
    assert not error.retryable and "may have been delivered" in str(error)
    assert len(http_server.requests) == 1


def test_webhook_reset_is_not_retryable(http_server: LocalServer) -> None:
    http_server.route("/hook", reset())
    error = send_error(webhook(http_server.url("/hook")), recovered_event())
    assert not error.retryable


def _raise(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow"), True),
        (httpx.PoolTimeout("busy"), True),
        (httpx.ReadTimeout("slow"), False),
        (httpx.WriteTimeout("slow"), False),
        (httpx.ReadError("reset"), False),
        (httpx.WriteError("broken pipe"), False),
        (httpx.RemoteProtocolError("disconnected"), False),
        (httpx.LocalProtocolError("bad header"), False),
        (httpx.UnsupportedProtocol("ftp"), False),
        (RuntimeError("a bug"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_webhook_error_mapping(exc: Exception, retryable: bool) -> None:
    error = send_error(webhook("http://hook.invalid/"), recovered_event(), transport=_raise(exc))
    assert error.retryable is retryable
    assert isinstance(error.__cause__, type(exc))


def test_webhook_header_injection_is_refused(http_server: LocalServer) -> None:
    channel = webhook(http_server.url("/hook"), headers=(("X-Token", "a\r\nInjected: 1"),))
    assert not send_error(channel, recovered_event()).retryable
    assert http_server.requests == []


def test_webhook_bad_configuration_is_not_retryable() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    cases = [
        webhook("http://hook.invalid/", headers=(("X-Token", "秘密"),)),  # not ASCII
        replace(webhook("http://hook.invalid/"), url=None),
        replace(webhook("http://hook.invalid/"), type="carrier-pigeon"),
    ]
    for channel in cases:
        assert not send_error(channel, recovered_event(), transport=transport).retryable
    unknown = replace(recovered_event(), kind="exploded")
    assert not send_error(webhook("http://hook.invalid/"), unknown, transport=transport).retryable


# -- email -----------------------------------------------------------------------------------


@dataclass
class Inbox:
    """An aiosmtpd handler keeping what it receives; ``refuse`` answers RCPT with a code."""

    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    refuse: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope, message))
        return "250 OK"


@dataclass
class SMTPServer:
    port: int
    inbox: Inbox


def _refuse_everyone(*args: object) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that accepts mail and refuses every login."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_refuse_everyone,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SMTPServer(port, inbox)
    finally:
        controller.stop()


def mailbox(port: int, **kwargs: Any) -> NotifyConfig:
    settings: dict[str, Any] = {"sender": "monitor@example.com", "to": ("a@example.com",)}
    settings.update(kwargs)
    return NotifyConfig(type="email", name="mail", host="127.0.0.1", port=port, **settings)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    page = message.get_body(preferencelist=("html",))
    assert isinstance(text, EmailMessage) and isinstance(page, EmailMessage)
    return text.get_content(), page.get_content()


def test_email_is_delivered(smtp_server: SMTPServer) -> None:
    report = make_report(OLD, NEW + f"\n{NASTY}", title=f"経済対策 {NASTY}")
    event = change_event(replace(report, watch_name=f"NHK 経済 {NASTY}"))
    channel = mailbox(smtp_server.port, to=("a@example.com", "b@example.com"))
    send(channel, event)
    [(envelope, message)] = smtp_server.inbox.messages
    assert envelope.mail_from == "monitor@example.com"
    assert envelope.rcpt_tos == ["a@example.com", "b@example.com"]
    assert message["Subject"] == event_subject(event)
    assert message["Subject"].startswith("[monitor] changed: NHK 経済 <script>")
    assert message["From"] == "monitor@example.com"
    assert message["To"] == "a@example.com, b@example.com"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text, page = parts(message)
    assert text == event_text(event) and "死者は1万{+2000+}人に上った。" in text
    assert "<ins>2000</ins>" in page and "経済対策" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_email_of_a_status_event(smtp_server: SMTPServer) -> None:
    event = failing_event(name=f"日経 {NASTY}", error="接続できません\nsecond line")
    send(mailbox(smtp_server.port), event)
    [(_, message)] = smtp_server.inbox.messages
    assert (
        message["Subject"]
        == "[monitor] failing: 日経 <script>alert(1)</script>: 接続できません second line"
    )
    text, page = parts(message)
    assert "接続できません" in text and "<script>" not in page


def test_email_connection_refused_is_retryable() -> None:
    error = send_error(mailbox(free_port(), timeout=2.0), recovered_event())
    assert error.retryable and "cannot connect" in str(error)


def test_email_bad_login_is_not_retryable(smtp_server: SMTPServer) -> None:
    channel = mailbox(smtp_server.port, username="me", password="wrong")
    error = send_error(channel, recovered_event())
    assert not error.retryable and "535" in str(error)
    assert smtp_server.inbox.messages == []


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [("550 no such user", False), ("450 mailbox busy, try later", True)],
)
def test_email_refused_recipients(smtp_server: SMTPServer, answer: str, retryable: bool) -> None:
    smtp_server.inbox.refuse = answer
    error = send_error(mailbox(smtp_server.port), recovered_event())
    assert error.retryable is retryable and "a@example.com" in str(error)
    assert smtp_server.inbox.messages == []


def test_email_bad_configuration_is_not_retryable(smtp_server: SMTPServer) -> None:
    for channel in (
        mailbox(smtp_server.port, sender="monitor@example.com\r\nBcc: x@example.com"),
        mailbox(smtp_server.port, to=()),
        mailbox(smtp_server.port, starttls=True),  # the test server offers no STARTTLS
    ):
        assert not send_error(channel, recovered_event()).retryable
    assert smtp_server.inbox.messages == []


# -- Apprise ---------------------------------------------------------------------------------

# Apprise's e-mail plugin imports the deprecated imghdr when Apprise loads its plugins.
apprise_warnings = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def apprise_channel(*urls: str) -> NotifyConfig:
    return NotifyConfig(type="apprise", name="apprise", urls=urls)


@apprise_warnings
def test_apprise_json_arrives(http_server: LocalServer) -> None:
    http_server.route("/hook", lambda request: Response(200))
    event = failing_event()
    send(apprise_channel(f"json://127.0.0.1:{http_server.port}/hook"), event)
    [request] = http_server.requests
    assert (request.method, request.path) == ("POST", "/hook")
    body = json.loads(request.body)
    assert body["title"] == event_subject(event)
    assert body["message"] == event_text(event).strip()  # Apprise trims the body


@apprise_warnings
def test_apprise_failures_are_not_retryable(http_server: LocalServer) -> None:
    http_server.route("/hook", lambda request: Response(500))
    for urls in (
        (f"json://127.0.0.1:{http_server.port}/hook",),
        (f"json://127.0.0.1:{free_port()}/hook",),
        ("no-such-service://token@example/",),
    ):
        error = send_error(apprise_channel(*urls), recovered_event())
        assert not error.retryable
    assert "token" not in str(error)  # Apprise URLs carry secrets


def test_apprise_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # makes "import apprise" fail
    error = send_error(apprise_channel("json://127.0.0.1/hook"), recovered_event())
    assert not error.retryable and "pip install 'monitor[apprise]'" in str(error)


def test_payload_request_fields_match(http_server: LocalServer) -> None:
    """The POSTed body is exactly ``event_payload`` (so the docstring documents it)."""
    http_server.route("/hook", lambda request: Response(200))
    for event in (change_event(), failing_event(), recovered_event()):
        send(webhook(http_server.url("/hook")), event)
    sent = [json.loads(request.body) for request in http_server.requests]
    expected = [event_payload(e) for e in (change_event(), failing_event(), recovered_event())]
    assert sent == json.loads(json.dumps(expected))
