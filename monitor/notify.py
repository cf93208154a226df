"""Event -> one notification channel: a webhook (JSON POST), an email (SMTP) or Apprise URLs.

``send_event(channel, event)`` returns when the channel accepted the event and raises
``NotifyError`` (never anything else) when it did not. ``NotifyError.retryable`` is true only
when the event certainly did not reach the receiver (connection refused, DNS failure, connect
timeout, SMTP connection or greeting failure, a webhook answering 429 or 5xx), so retrying
cannot make a duplicate. It is false when the event may have arrived (a timeout or a reset
after the request was sent) or when trying again cannot help (another 4xx, bad credentials,
Apprise not installed). Lower-layer errors are translated in one place per channel type:
``_webhook_error``, ``_smtp_error`` and ``_send_apprise``.

Page text is untrusted: subjects are one line without control characters (at most
``SUBJECT_LIMIT`` characters), every piece of page text in HTML is escaped, and the JSON keeps
the text exactly (control characters escaped).

Webhook payload (``event_payload``; POSTed as ``application/json``, UTF-8)::

    {
      "schema": "monitor.event/1",
      "event": "change",                // "change", "failing", "recovered", "removed", "returned"
      "occurred_at": "2024-05-01T09:00:00+00:00",   // UTC ISO-8601
      "watch": {"id": 3, "name": "nhk-economy", "url": "https://…"},
      "status": "changed",              // status of the check that raised the event
      "error": null,                    // failing: the last error message; else null
      "error_streak": 0,                // failing: failed checks in a row;
                                        // recovered: how many there were; else 0
      "summary": "changed: nhk-economy (+4 −0 chars)",   // the email subject, one line
      "change": {"schema": "monitor.change/1", …},       // change: the report; else null
      "failure": null                   // failing, recovered: the failure (below); else null
    }

``change`` is the ``monitor.change/1`` object described in ``monitor.report``. ``failure``
describes the run of failed checks a ``failing`` or ``recovered`` event is about (see
``monitor.notices`` for when each is sent)::

    {
      "since": "2024-05-01T06:00:00+00:00",   // its first failed check
      "seconds": 10800,                 // from that check to the one that raised the event
      "flapping": false,                // failing: told late (after 4 × notify_after_errors
                                        // checks or a day, not notify_after_errors), as the
                                        // watch had recovered from a failure less than a
                                        // day before this one began
      "last_recovered_at": null         // flapping: when it had recovered; else null
    }

A ``recovered`` event is sent only for a failure a ``failing`` event told. ``failure`` is
null in events queued before schema 10. Within ``monitor.event/1`` keys are only ever added.
Any 2xx answer is success; redirects are not followed.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from monitor import __version__
from monitor.clock import parse_moment
from monitor.config import NotifyConfig
from monitor.errors import NotifyError
from monitor.models import EVENT_KINDS, Event
from monitor.pace import format_duration
from monitor.report import clean, render, report_to_dict

logger = logging.getLogger(__name__)

SCHEMA = "monitor.event/1"
SUBJECT_PREFIX = "[monitor] "
SUBJECT_LIMIT = 200
USER_AGENT = f"monitor/{__version__}"

_NAME_LIMIT = 80
_ERROR_LIMIT = 100
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


# -- what is said --------------------------------------------------------------------------


def _one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Untrusted text as one line: no controls, whitespace collapsed, cut to ``limit`` chars."""
    flat = " ".join(_BIDI_CONTROLS.sub("", clean(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _summary(event: Event) -> str:
    """The subject without its prefix."""
    name = _one_line(event.watch_name, _NAME_LIMIT)
    if event.kind == "change":
        if event.report is None:
            return f"changed: {name}"
        diff = event.report.diff
        stats = f"(+{diff.chars_added} −{diff.chars_removed} chars)"
        if event.report.reverted_to is not None:
            return f"reverted: {name} to version {event.report.reverted_to} {stats}"
        return f"changed: {name} {stats}"
    if event.kind == "failing":
        flapping = " (flapping)" if event.flapping else ""
        error = _one_line(event.error or event.status, _ERROR_LIMIT)
        return f"failing{flapping}: {name}: {error}"
    if event.kind == "recovered":
        return f"recovered: {name}"
    if event.kind == "removed":
        return f"removed: {name}: {_one_line(event.error or 'gone', _ERROR_LIMIT)}"
    if event.kind == "returned":
        return f"back: {name} is online again"
    raise ValueError(f"unknown event kind {event.kind!r}; allowed: {', '.join(EVENT_KINDS)}")


def event_subject(event: Event) -> str:
    """One line naming the event and the watch, e.g. "[monitor] recovered: nhk-economy"."""
    return _one_line(SUBJECT_PREFIX + _summary(event))


def event_payload(event: Event) -> dict[str, Any]:
    """The webhook JSON in the ``monitor.event/1`` schema (module docstring)."""
    return {
        "schema": SCHEMA,
        "event": event.kind,
        "occurred_at": event.occurred_at,
        "watch": {"id": event.watch_id, "name": event.watch_name, "url": event.url},
        "status": event.status,
        "error": event.error,
        "error_streak": event.error_streak,
        "summary": _summary(event),
        "change": report_to_dict(event.report) if event.report is not None else None,
        "failure": _failure(event),
    }


def _failure(event: Event) -> dict[str, Any] | None:
    """The ``failure`` object of a failing or recovered event (module docstring)."""
    since = event.failing_since
    if event.kind not in ("failing", "recovered") or since is None:
        return None
    return {
        "since": since,
        "seconds": _seconds_between(since, event.occurred_at),
        "flapping": event.flapping,
        "last_recovered_at": event.recovered_at if event.flapping else None,
    }


def _seconds_between(start: str, end: str) -> int:
    """Whole seconds from ``start`` to ``end`` (stored times), never below 0."""
    return max(int((parse_moment(end) - parse_moment(start)).total_seconds()), 0)


def _facts(event: Event) -> list[tuple[str, str]]:
    """(label, one-line value) pairs describing an event that is not a change."""
    facts = [("URL", _one_line(event.url, 2000)), ("When", event.occurred_at)]
    facts.append(("Status", _one_line(event.status)))
    if event.error:
        facts.append(("Error", _one_line(event.error, 2000)))
    if event.kind == "failing":
        facts.append(("Failed checks in a row", str(event.error_streak)))
    elif event.kind == "recovered" and event.error_streak:
        facts.append(("Failed checks before", str(event.error_streak)))
    failure = _failure(event)
    if failure is not None:
        lasted = format_duration(failure["seconds"])
        facts.append(("Failing since", f"{failure['since']} ({lasted} before this check)"))
    if event.kind == "failing" and event.flapping:
        facts.append(("Flapping", _flapping(event)))
    return facts


def _flapping(event: Event) -> str:
    """Why a failing event came later than ``notify_after_errors`` checks."""
    return (
        f"it had recovered from a failure at {event.recovered_at}, less than a day before "
        "this one began: this failure is told only now that it has lasted longer"
    )


def event_text(event: Event) -> str:
    """The plain-text body: the text report of a change, else the facts of the event."""
    if event.kind == "change" and event.report is not None:
        return render(event.report, "text")
    lines = [_summary(event), ""] + [f"{label}: {value}" for label, value in _facts(event)]
    return "\n".join(lines) + "\n"


def _html_link(url: str) -> str:
    shown = html.escape(_one_line(url, 2000))
    if not re.match(r"https?://[^\s\x00-\x1f]", url, re.IGNORECASE):
        return shown
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer nofollow">{shown}</a>'


def event_html(event: Event) -> str:
    """The HTML body: the HTML report of a change, else a small page; page text escaped."""
    if event.kind == "change" and event.report is not None:
        return render(event.report, "html")
    shown = {"URL": _html_link(event.url)}
    rows = [
        f"<dt>{label}</dt><dd>{shown.get(label) or html.escape(value)}</dd>"
        for label, value in _facts(event)
    ]
    summary = html.escape(_summary(event))
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            f'<head>\n<meta charset="utf-8">\n<title>{summary}</title>\n</head>',
            f"<body>\n<h1>{summary}</h1>",
            "<dl>",
            *rows,
            "</dl>",
            "</body>\n</html>\n",
        ]
    )


# -- sending -------------------------------------------------------------------------------

_Transport = httpx.AsyncBaseTransport | None
_Sender = Callable[[NotifyConfig, Event, _Transport], Awaitable[None]]


async def send_event(
    channel: NotifyConfig, event: Event, *, transport: httpx.AsyncBaseTransport | None = None
) -> None:
    """Send ``event`` to ``channel``; raise ``NotifyError`` (with ``retryable``) on failure."""
    sender = _SENDERS.get(channel.type)
    if sender is None:
        raise _fail(channel, f"unknown channel type {channel.type!r}", retryable=False)
    if event.kind not in EVENT_KINDS:
        raise _fail(channel, f"unknown event kind {event.kind!r}", retryable=False)
    try:
        await sender(channel, event, transport)
    except NotifyError:
        raise
    except Exception as exc:  # a bug or an unmapped error: it may have been sent
        logger.exception("unexpected error notifying %s", channel.name)
        raise _fail(channel, f"unexpected error: {_reason(exc)}", retryable=False) from exc
    logger.info("sent %s event of %s to %s", event.kind, _one_line(event.watch_name), channel.name)


def _fail(channel: NotifyConfig, message: str, *, retryable: bool) -> NotifyError:
    return NotifyError(message, channel=channel.name, retryable=retryable)


def _reason(exc: BaseException) -> str:
    """An exception's own message, or its class name."""
    return _one_line(str(exc), 300).rstrip(".") or type(exc).__name__


# -- webhook -------------------------------------------------------------------------------

_MAY_HAVE_ARRIVED = "it may have been delivered"
# (exception type, message, retryable); the first match wins, so subclasses come first.
_HTTPX_ERRORS: tuple[tuple[type[Exception], str, bool], ...] = (
    (httpx.ConnectTimeout, "connect timeout", True),
    (httpx.ConnectError, "cannot connect", True),
    (httpx.PoolTimeout, "no free connection", True),
    (httpx.ReadTimeout, f"no answer in time; {_MAY_HAVE_ARRIVED}", False),
    (httpx.WriteTimeout, f"timed out while sending; {_MAY_HAVE_ARRIVED}", False),
    (httpx.UnsupportedProtocol, "invalid URL", False),
    (httpx.LocalProtocolError, "invalid request", False),
    (httpx.InvalidURL, "invalid URL", False),
    (httpx.TransportError, f"connection lost; {_MAY_HAVE_ARRIVED}", False),
    (ValueError, "invalid request", False),  # e.g. a header value that is not ASCII
)


def _webhook_error(channel: NotifyConfig, exc: Exception) -> NotifyError:
    """The one place where httpx (and header encoding) errors become ``NotifyError``."""
    for kind, message, retryable in _HTTPX_ERRORS:
        if isinstance(exc, kind):
            return _fail(channel, f"{message}: {_reason(exc)}", retryable=retryable)
    return _fail(channel, f"request failed: {_reason(exc)}", retryable=False)


def _json_bytes(payload: dict[str, Any]) -> bytes:
    """UTF-8 JSON with the characters some parsers mishandle (C1, U+2028/9) escaped."""
    text = json.dumps(payload, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def _webhook_headers(channel: NotifyConfig) -> httpx.Headers:
    headers = httpx.Headers({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    headers.update(dict(channel.headers))  # the channel's own headers win
    return headers


def _check_status(channel: NotifyConfig, response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    answer = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status == 429 or status >= 500:
        raise _fail(channel, f"webhook answered {answer}", retryable=True)
    if 300 <= status < 400:
        raise _fail(
            channel, f"webhook answered {answer}; redirects are not followed", retryable=False
        )
    raise _fail(channel, f"webhook answered {answer}", retryable=False)


async def _send_webhook(channel: NotifyConfig, event: Event, transport: _Transport) -> None:
    if not channel.url:
        raise _fail(channel, "no url configured", retryable=False)
    body = _json_bytes(event_payload(event))
    try:
        async with httpx.AsyncClient(transport=transport, timeout=channel.timeout) as client:
            response = await client.post(
                channel.url, content=body, headers=_webhook_headers(channel)
            )
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise _webhook_error(channel, exc) from exc
    _check_status(channel, response)


# -- email ---------------------------------------------------------------------------------


def _email_message(channel: NotifyConfig, event: Event) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = event_subject(event)
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=channel.sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(event_text(event))
    message.add_alternative(event_html(event), subtype="html")
    return message


def _smtp_error(channel: NotifyConfig, exc: OSError, *, sent: bool) -> NotifyError:
    """The one place where smtplib and socket errors become ``NotifyError``.

    ``sent`` is false while connecting, greeting, STARTTLS and logging in: nothing was delivered
    yet, so every error is retryable but those that will not go away (credentials, certificate,
    a missing extension). Once the message is on its way, only an explicit 4xx refusal is.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        retryable = bool(codes) and all(400 <= code < 500 for code in codes)
        refused = _one_line(", ".join(exc.recipients))
        return _fail(channel, f"recipients refused: {refused}", retryable=retryable)
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        refusal = f"SMTP server answered {exc.smtp_code} {_one_line(text, 200)}"
        temporary = 400 <= exc.smtp_code < 500 or not sent
        permanent = isinstance(exc, smtplib.SMTPAuthenticationError)
        return _fail(channel, refusal, retryable=temporary and not permanent)
    if sent:
        message = f"SMTP error while sending; {_MAY_HAVE_ARRIVED}: {_reason(exc)}"
        return _fail(channel, message, retryable=False)
    permanent = isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError)
    message = f"cannot connect to SMTP {channel.host}:{channel.port}: {_reason(exc)}"
    return _fail(channel, message, retryable=not permanent)


def _smtp_connect(channel: NotifyConfig) -> smtplib.SMTP:
    """A connected, secured and logged-in SMTP session."""
    if channel.tls:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            channel.host, channel.port, timeout=channel.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
    try:
        if channel.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if channel.username:
            smtp.login(channel.username, channel.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _smtp_quit(smtp: smtplib.SMTP) -> None:
    """End the session politely; the message is already accepted, so errors do not matter."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        logger.debug("SMTP QUIT failed", exc_info=True)
    finally:
        smtp.close()


def _smtp_send(channel: NotifyConfig, message: EmailMessage) -> None:
    """Deliver ``message`` (blocking; runs in a thread)."""
    try:
        smtp = _smtp_connect(channel)
    except OSError as exc:  # smtplib.SMTPException is an OSError
        raise _smtp_error(channel, exc, sent=False) from exc
    try:
        refused = smtp.send_message(message)
    except OSError as exc:
        smtp.close()
        raise _smtp_error(channel, exc, sent=True) from exc
    _smtp_quit(smtp)
    if refused:
        names = ", ".join(refused)
        raise _fail(channel, f"sent, but these recipients were refused: {names}", retryable=False)


async def _send_email(channel: NotifyConfig, event: Event, transport: _Transport) -> None:
    if not channel.to:
        raise _fail(channel, "no recipients configured", retryable=False)
    try:
        message = _email_message(channel, event)
    except ValueError as exc:  # e.g. a line break in the configured From address
        raise _fail(channel, f"cannot build the message: {_reason(exc)}", retryable=False) from exc
    await asyncio.to_thread(_smtp_send, channel, message)


# -- Apprise -------------------------------------------------------------------------------


def _apprise_scheme(url: str) -> str:
    """The scheme of an Apprise URL: enough to name it without showing its secrets."""
    scheme, separator, _ = url.partition("://")
    return f"{scheme}://" if separator else "an Apprise URL"


def _apprise_notify(channel: NotifyConfig, title: str, body: str) -> None:
    """Notify every URL of the channel (blocking; runs in a thread)."""
    try:
        import apprise
    except ImportError as exc:
        message = "Apprise is not installed: pip install 'monitor[apprise]'"
        raise _fail(channel, message, retryable=False) from exc
    notifier = apprise.Apprise()
    for url in channel.urls:
        if not notifier.add(url):
            message = f"not a valid Apprise URL: {_apprise_scheme(url)}"
            raise _fail(channel, message, retryable=False)
    try:
        result = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
    except Exception as exc:  # the one place where Apprise errors become NotifyError
        raise _fail(channel, f"Apprise failed: {_reason(exc)}", retryable=False) from exc
    if not result:
        # Apprise does not say whether any service got it, so it must not be repeated.
        message = "Apprise reported a failure (see the apprise log); it may have been delivered"
        raise _fail(channel, message, retryable=False)


async def _send_apprise(channel: NotifyConfig, event: Event, transport: _Transport) -> None:
    if not channel.urls:
        raise _fail(channel, "no urls configured", retryable=False)
    title, body = event_subject(event), event_text(event)
    await asyncio.to_thread(_apprise_notify, channel, title, body)


_SENDERS: dict[str, _Sender] = {
    "webhook": _send_webhook,
    "email": _send_email,
    "apprise": _send_apprise,
}
