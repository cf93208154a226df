"""A sample change report (a Japanese news article edited in four places) for the tests of
the report renderers and the feeds."""

from __future__ import annotations

from monitor.diff import diff_texts
from monitor.models import ChangeReport, VersionRef

OLD = "\n".join(
    [
        "政府、新たな経済対策を発表",
        "死者は1万人に上った。",
        "違法な取引が行われた。",
        "The quick brown fox.",
        "同じ段落。",
        "同じ段落2。",
        "同じ段落3。",
        "最後の段落。",
    ]
)
NEW = (
    OLD.replace("1万人", "1万2000人")
    .replace("違法", "不法")
    .replace("quick", "slow")
    .replace("最後の段落。", "最後の段落です。")
)
URL = "https://www3.nhk.or.jp/news/html/20240501/k1.html"
OLD_REF = VersionRef(40, 2, "2024-05-01T08:00:00+00:00", "政府、新たな経済対策を発表")
NEW_REF = VersionRef(41, 3, "2024-05-01T09:00:00+00:00", "政府、新たな経済対策を発表")


def make_report(
    old: str | None = OLD,
    new: str = NEW,
    *,
    url: str = URL,
    name: str = "NHK 経済",
    title: str = NEW_REF.title,
    reverted_to: int | None = None,
    silent_edit: bool = False,
) -> ChangeReport:
    return ChangeReport(
        watch_id=3,
        watch_name=name,
        url=url,
        old=OLD_REF if old is not None else None,
        new=VersionRef(41, 3, NEW_REF.created_at, title),
        diff=diff_texts(old or "", new),
        change_id=12,
        detected_at="2024-05-01T09:00:05+00:00",
        reverted_to=reverted_to,
        silent_edit=silent_edit,
    )
