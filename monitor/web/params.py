"""Query parameters of the web app, checked: a bad value is a WebError (400) naming it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from monitor.errors import WebError

MAX_LIMIT = 1000
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id cannot exist


def int_param(
    request: Request, name: str, default: int | None, *, low: int = 0, high: int = 2**62
) -> int | None:
    """The integer parameter ``name`` (``default`` when absent), within [low, high]."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise WebError(f"{name}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise WebError(f"{name}: expected a number from {low} to {high}, got {number}")
    return number


def choice_param(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    """The parameter ``name``, one of ``allowed`` (``default`` when absent)."""
    value = request.query_params.get(name) or default
    if value not in allowed:
        raise WebError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def text_param(request: Request, name: str, *, max_length: int = 200) -> str:
    """A free-text parameter, stripped; too long is a 400."""
    value = request.query_params.get(name, "").strip()
    if len(value) > max_length:
        raise WebError(f"{name}: at most {max_length} characters")
    return value


@dataclass(frozen=True)
class Page:
    """Which slice of a list: ``limit`` items after ``offset`` or below id ``before``."""

    limit: int
    offset: int = 0
    before: int | None = None


def page_param(request: Request, default_limit: int) -> Page:
    """``limit``, ``offset`` and ``before`` from the query."""
    limit = int_param(request, "limit", default_limit, low=1, high=MAX_LIMIT)
    offset = int_param(request, "offset", 0, low=0)
    before = int_param(request, "before", None, low=1)
    assert limit is not None and offset is not None
    return Page(limit, offset, before)


def path_int(request: Request, name: str) -> int:
    """An integer path parameter (routes declare them ``{name:int}``); beyond SQLite's
    integers (or negative) nothing can have it: 404."""
    value = request.path_params[name]
    if not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise WebError(f"{name}: {value} is out of range", status=404)
    return value
