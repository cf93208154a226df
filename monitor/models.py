"""Plain data shared by the pipeline stages: frozen dataclasses and status enums."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CheckStatus(StrEnum):
    """How one check of a watch ended; exactly one per check."""

    NEW = "new"  # first good version of the article
    UNCHANGED = "unchanged"  # fetched, extracted, same text as the last good version
    NOT_MODIFIED = "not_modified"  # the server answered 304 to a conditional request
    CHANGED = "changed"  # a new version of the article text
    HTTP_ERROR = "http_error"  # the server answered with an error status
    NETWORK_ERROR = "network_error"  # no complete answer (refused, timeout, truncated, too big)
    SOFT_ERROR = "soft_error"  # a 200 that is an error/maintenance/challenge page or collapsed text
    GONE = "gone"  # 404/410 on several consecutive checks

    @property
    def is_error(self) -> bool:
        """True for statuses that mean the check saw no usable article."""
        return self in ERROR_STATUSES

    @property
    def is_good(self) -> bool:
        """True for statuses that saw the article (changed or not)."""
        return not self.is_error


ERROR_STATUSES = frozenset(
    {CheckStatus.HTTP_ERROR, CheckStatus.NETWORK_ERROR, CheckStatus.SOFT_ERROR, CheckStatus.GONE}
)


class FetchOutcome(StrEnum):
    """What the fetch stage got back, before any look at the content."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"
    NETWORK_ERROR = "network_error"


@dataclass(frozen=True)
class Validators:
    """Conditional-request validators of the last good fetch of a page."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """One fetch of one URL: the decoded page, or why there is none."""

    url: str
    outcome: FetchOutcome
    final_url: str | None = None
    http_status: int | None = None
    content: bytes = b""
    text: str = ""
    encoding: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    validators: Validators = Validators()
    duration_ms: int = 0
    attempts: int = 1
    error: str | None = None


@dataclass(frozen=True)
class Metadata:
    """What a page says about its article besides the text."""

    canonical_url: str | None = None
    author: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The non-empty fields, for JSON."""
        return {key: value for key, value in self.__dict__.items() if value}


CONFIDENCE_LEVELS = ("high", "medium", "low")


@dataclass(frozen=True)
class Confidence:
    """How sure extraction is that the text is the article: ``high``, ``medium`` or ``low``
    (uncertain: check the text, or write a ``[[site]]`` rule), and why, in words; ``""`` when
    nobody assessed it (versions stored before monitor assessed it)."""

    level: str = ""
    reason: str = ""

    @property
    def is_uncertain(self) -> bool:
        return self.level == "low"

    def describe(self) -> str:
        """ "low: only 12 words ..." (or "not assessed")."""
        return f"{self.level}: {self.reason}" if self.level else "not assessed"

    def summary(self) -> str:
        """One line for a person: "extraction confidence: low, only 12 words ... (uncertain:
        check the text, or write a [[site]] rule)"."""
        if not self.level:
            return "extraction confidence: not assessed"
        advice = (
            " (uncertain: check the text, or write a [[site]] rule)" if self.is_uncertain else ""
        )
        return f"extraction confidence: {self.level}, {self.reason}{advice}"

    def as_dict(self) -> dict[str, str] | None:
        """For JSON: ``{"level", "reason"}``, or None when not assessed."""
        return {"level": self.level, "reason": self.reason} if self.level else None


@dataclass(frozen=True)
class Article:
    """The article of a page: title, body text (one block per line) and metadata, and how
    sure extraction is that the text is the article."""

    title: str
    text: str
    metadata: Metadata = Metadata()
    extractor: str = ""
    confidence: Confidence = Confidence()

    @property
    def document(self) -> str:
        """Title and body as one text: what is hashed and diffed."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class DiffOp:
    """One piece of a diff: ``op`` is -1 (removed), 0 (kept) or 1 (added)."""

    op: int
    text: str


@dataclass(frozen=True)
class DiffLine:
    """One line of the new/old text with its inline changes."""

    old_lineno: int | None
    new_lineno: int | None
    ops: tuple[DiffOp, ...]

    @property
    def is_changed(self) -> bool:
        """True if anything on this line was added or removed."""
        return any(piece.op != 0 for piece in self.ops)


@dataclass(frozen=True)
class Hunk:
    """A run of changed lines with unchanged lines of context around them."""

    lines: tuple[DiffLine, ...]


@dataclass(frozen=True)
class TextDiff:
    """The difference between two texts, with its statistics."""

    ops: tuple[DiffOp, ...]
    hunks: tuple[Hunk, ...]
    chars_added: int
    chars_removed: int
    share_changed: float
    granularity: str  # "token" (words / CJK characters) or "line" (the coarse fallback)

    @property
    def is_empty(self) -> bool:
        """True when the two texts were equal."""
        return self.chars_added == 0 and self.chars_removed == 0


@dataclass(frozen=True)
class VersionRef:
    """A stored version of a watch's article, as shown in reports."""

    snapshot_id: int
    version: int
    created_at: str
    title: str
    modified_at: str | None = None


@dataclass(frozen=True)
class ChangeReport:
    """Everything a renderer needs to show one change of one watch."""

    watch_id: int
    watch_name: str
    url: str
    old: VersionRef | None
    new: VersionRef
    diff: TextDiff
    change_id: int | None = None
    detected_at: str | None = None
    reverted_to: int | None = None  # the version number this change returned to, if any
    silent_edit: bool = False  # body changed but the declared modified date did not
    kind: str = "changed"  # "changed", "revert", or "flap" (back to a version of the last
    #                        checks: flapping between versions, recorded but not reported)


EVENT_KINDS = ("change", "failing", "recovered", "removed", "returned")


@dataclass(frozen=True)
class Event:
    """Something to tell people about: a change, a watch that started failing, a recovery."""

    kind: str  # one of EVENT_KINDS: removed = gone (404/410) on gone_after checks; returned
    watch_id: int
    watch_name: str
    url: str
    occurred_at: str  # UTC ISO-8601
    status: str  # the status of the check that raised the event
    error: str | None = None  # failing: the last error
    error_streak: int = 0  # failing: consecutive failed checks; recovered: how many there were
    report: ChangeReport | None = None  # change: the change
    failing_since: str | None = None  # failing, recovered: the failure's first failed check
    flapping: bool = False  # failing: told late, as the watch recovered from a failure lately
    recovered_at: str | None = None  # flapping: when the watch last recovered
