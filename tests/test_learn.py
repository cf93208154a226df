"""Learning each watch: routine checks replay what a full analysis learned, the first check
fetches twice and learns the page's churn, and no edit of any kind of block is ever missed
because a check replayed instead of analysing (real pages on 127.0.0.1, a real database)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from harness import FAST, FAST_CONFIG, Harness, Site
from server import LocalServer, Request, Response

from monitor import samplesite
from monitor.analyse import analyse_page
from monitor.cli import cli
from monitor.config import Config, Settings
from monitor.fetch import Fetcher
from monitor.models import CheckStatus
from monitor.pipeline import Checker
from monitor.samplesite import Noise
from monitor.store import Store


class ChurningSite(Site):
    """A sample article page whose noise (nonces, counters, related posts, widget order)
    is new on every request, as on a live site."""

    def respond(self, request: Request) -> Response:
        self.served = getattr(self, "served", 0) + 1
        self.noise = Noise(seed=self.served, comment_count=self.served % 7)
        return super().respond(request)


@pytest.fixture(params=["en", "ja"])
def site(request: pytest.FixtureRequest, http_server: LocalServer) -> Site:
    return ChurningSite(http_server, samplesite.load_article(request.param))


def _edits(article: samplesite.SampleArticle) -> list[tuple[str, samplesite.SampleArticle]]:
    """One edit of every kind of block: the title, the lead, a paragraph, a caption, a list
    item (or a heading), the last line."""
    blocks = list(article.blocks)
    kinds = {kind: i for i, b in reversed(list(enumerate(blocks))) for kind in [b.kind]}

    def edited(index: int) -> samplesite.SampleArticle:
        block = blocks[index]
        changed = [*blocks]
        changed[index] = replace(block, text=block.text[:-1] + "X" + block.text[-1:])
        return replace(article, blocks=tuple(changed))

    edits = [("title", replace(article, title=article.title + " (updated)"))]
    edits.append(("lead", edited(0)))
    edits.append(("paragraph", edited(len(blocks) // 2)))
    edits += [(kind, edited(kinds[kind])) for kind in ("image", "li", "h2") if kind in kinds]
    edits.append(("last line", edited(len(blocks) - 1)))
    return edits


def test_routine_checks_replay_and_every_kind_of_edit_is_seen(harness: Harness, site: Site) -> None:
    watch = harness.store.watches.add(site.url)
    first = harness.check(watch)
    assert first.status is CheckStatus.NEW and not first.replayed
    requests = len(site.server.requests)
    assert requests == 2  # the first check looks twice
    checks = [harness.check(watch) for _ in range(6)]  # only the noise around changes
    assert all(c.status is CheckStatus.UNCHANGED for c in checks)
    assert sum(c.replayed for c in checks) >= 4  # what was learned: no full analysis
    for kind, article in _edits(site.article):
        site.article = article
        found = harness.check(watch)
        assert found.status is CheckStatus.CHANGED, kind
        assert found.report is not None and found.report.diff.chars_added, kind
        after = [harness.check(watch) for _ in range(3)]
        assert all(c.status is CheckStatus.UNCHANGED for c in after), kind
        assert after[-1].replayed, kind  # what was learned holds again


CHURNING = """<html><head><title>{title} | Gazette</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{title}</h1>
<p class="meta">{views} views · updated {minutes} minutes ago</p>
<p>The council voted 7-2 on Tuesday to adopt the budget after a hearing that ran well into
the night, with residents speaking for and against the plan.</p>
<p>Most of the increase goes to street repair and to the city's four branch libraries, which
will open on Sundays again from March, the finance director said.</p>
<ul class="also"><li>{teaser}</li></ul>
<p>The budget takes effect on July 1, and a vote on water rates follows in December.</p>
</article><aside><p>Popular: {teaser}</p></aside></body></html>"""


class ChurningPage:
    """A page whose counter, relative time and teaser churn inside the article, on every
    request, and whose article the test edits."""

    def __init__(self, server: LocalServer) -> None:
        self.title = "Council adopts the budget"
        self.edits: dict[str, str] = {}
        self.requests = 0
        server.route("/a/", self.respond)
        self.url = server.url("/a/")

    def respond(self, request: Request) -> Response:
        self.requests += 1
        page = self.render()
        for old, new in self.edits.items():
            page = page.replace(old, new)
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, page.encode())

    def render(self) -> str:
        """The page of request number ``self.requests``, before the test's edits."""
        return CHURNING.format(
            title=self.title,
            views=1000 + 37 * self.requests,
            minutes=self.requests % 50,
            teaser=f"Teaser number {self.requests} about {'xyz'[self.requests % 3]}",
        )


def test_churn_inside_the_article_is_learned_and_never_hides_an_edit(
    harness: Harness, http_server: LocalServer
) -> None:
    page = ChurningPage(http_server)
    watch = harness.store.watches.add(page.url)
    assert harness.check(watch).status is CheckStatus.NEW
    stored = harness.store.versions.current(harness.store.watches.get(watch.id))
    assert stored is not None and "views" not in stored.text and "Teaser" not in stored.text
    assert "The council voted 7-2" in stored.text
    for _ in range(4):
        assert harness.check(watch).status is CheckStatus.UNCHANGED  # churn: never a change
    page.edits["voted 7-2"] = "voted 6-3"  # a sentence beside the churning lines
    changed = harness.check(watch)
    assert changed.status is CheckStatus.CHANGED and changed.report is not None
    assert "6-3" in "".join(op.text for op in changed.report.diff.ops if op.op == 1)
    page.edits["Sundays again from March"] = "Saturdays from April"
    assert harness.check(watch).status is CheckStatus.CHANGED
    for _ in range(2):
        assert harness.check(watch).status is CheckStatus.UNCHANGED


def test_what_a_watch_learned_is_shown_and_can_be_forgotten(
    workdir: Path, http_server: LocalServer
) -> None:
    (workdir / "config.toml").write_text(FAST_CONFIG, encoding="utf-8")
    page = ChurningPage(http_server)
    run = CliRunner()
    assert run.invoke(cli, ["add", page.url, "--name", "budget"]).exit_code == 0
    log = run.invoke(cli, ["log", "budget"]).output
    assert "Learned (" in log and "article region: " in log
    assert "learned from: two fetches 0s apart" in log
    assert "churn in the article, dropped: number: '<n> views · updated <n> minutes ago'" in log
    data = json.loads(run.invoke(cli, ["log", "budget", "--json"]).output)["learned"]
    assert data["region"] and data["article_churn"]["numbers"]
    explained = run.invoke(cli, ["extract", "--watch", "budget", "--explain"]).output
    assert "learned:  article region: " in explained
    assert (
        "learned:  this page replays it" in explained
        and "views" not in explained.split("\n\n", 1)[1]
    )
    checked = json.loads(run.invoke(cli, ["check", "--json"]).output)
    assert checked["status"] == "unchanged" and checked["replayed"] is True
    forgot = run.invoke(cli, ["relearn", "budget"])
    assert forgot.exit_code == 0 and "its next check learns afresh" in forgot.output
    assert "Learned: nothing yet" in run.invoke(cli, ["log", "budget"]).output
    before = page.requests
    again = json.loads(run.invoke(cli, ["check", "--json"]).output)
    assert again["status"] == "unchanged" and not again["replayed"]
    assert page.requests == before + 2  # analysed in full and looked at twice: learned afresh
    assert "Learned (" in run.invoke(cli, ["log", "budget"]).output


def test_a_database_of_the_previous_release_learns_on_its_next_check(
    tmp_path: Path, http_server: LocalServer
) -> None:
    from monitor.store.schema import MIGRATIONS

    path = tmp_path / "v7.db"
    conn = sqlite3.connect(path)
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    for number, migrate in enumerate(MIGRATIONS[:7]):
        migrate(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    conn.commit()
    conn.close()
    page = ChurningPage(http_server)
    config_db = str(path)
    with Store(config_db) as store:
        assert store.schema_version == len(MIGRATIONS)
        watch = store.watches.add(page.url)
        assert watch.learned is None
    from harness import FAST

    from monitor.config import Config, Settings

    harness = Harness(Store(config_db), Config(settings=Settings(database=config_db, fetch=FAST)))
    try:
        assert harness.check(watch).status is CheckStatus.NEW
        assert harness.store.watches.get(watch.id).learned is not None
    finally:
        harness.store.close()


#: One fetch at a time: two page slots.
SLOTS = replace(FAST, concurrency=1, per_host_concurrency=1)

WORDS = "river budget mayor storm school harbour vote bridge museum festival".split()


class DrawnAnewPage(ChurningPage):
    """A page whose promotion under the article is a sentence with words drawn anew on
    every request: too long to be learned as churn, and never a change."""

    def render(self) -> str:
        pick = [WORDS[(self.requests * k) % len(WORDS)] for k in (1, 3, 7)]
        promo = (
            f"Want more? Read our {pick[0]} coverage, the latest on the {pick[1]} and every "
            f"story about the {pick[2]} from our newsroom, delivered each morning."
        )
        return CHURNING.format(title=self.title, views=1000, minutes=5, teaser=promo)


def test_a_sentence_drawn_anew_on_every_request_is_no_change_and_hides_no_edit(
    harness: Harness, http_server: LocalServer
) -> None:
    page = DrawnAnewPage(http_server)
    watch = harness.store.watches.add(page.url)
    assert harness.check(watch).status is CheckStatus.NEW
    for _ in range(3):
        assert harness.check(watch).status is CheckStatus.UNCHANGED
    page.edits["four branch libraries"] = "five branch libraries"
    changed = harness.check(watch)
    assert changed.status is CheckStatus.CHANGED and changed.report is not None
    assert "five" in "".join(op.text for op in changed.report.diff.ops if op.op == 1)
    page.edits["from our newsroom"] = "from our partners"  # words both fetches show alike
    changed = harness.check(watch)
    assert changed.status is CheckStatus.CHANGED and changed.report is not None
    assert "partners" in "".join(op.text for op in changed.report.diff.ops if op.op == 1)
    assert harness.check(watch).status is CheckStatus.UNCHANGED


def test_first_checks_give_their_page_slot_back_while_they_wait(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """With one page slot pair (concurrency 1), three first checks all reach their wait for
    the second fetch together: none queues behind another's wait."""
    page = ChurningPage(http_server)
    urls = [page.url + f"?n={n}" for n in range(3)]
    config = Config(settings=Settings(database=str(tmp_path / "m.db"), fetch=SLOTS))
    store = Store(config.settings.database)
    watches = [store.watches.add(url) for url in urls]

    async def run() -> list[CheckStatus]:
        waiting = 0
        all_waiting = asyncio.Event()

        async def sleep(seconds: float) -> None:
            nonlocal waiting
            waiting += 1
            if waiting == len(watches):
                all_waiting.set()
            await all_waiting.wait()

        async with Fetcher(SLOTS) as fetcher:
            checker = Checker(store, fetcher, config, sleep=sleep)
            checks = asyncio.gather(*(checker.check(w) for w in watches))
            results = await asyncio.wait_for(checks, timeout=30)
            return [result.status for result in results]

    assert asyncio.run(run()) == [CheckStatus.NEW] * 3


class QuietPage(ChurningPage):
    """The same page with nothing churning in its article (only its edits change it)."""

    def render(self) -> str:
        return CHURNING.format(title=self.title, views=1000, minutes=5, teaser="Budget news")


class CountingAnalysis:
    """The full analysis, counting the pages it is given."""

    def __init__(self) -> None:
        self.pages = 0

    def __call__(self, *args: Any) -> Any:
        self.pages += 1
        return analyse_page(*args)


def test_a_second_fetch_that_replays_the_first_is_not_analysed_again(
    harness: Harness, http_server: LocalServer
) -> None:
    """The second fetch of a first check, or of a check that saw the article change, is
    analysed in full only when it differs from the first fetch where a replay looks: a page
    with no churn in its article costs one full analysis a change, not two."""
    churning = ChurningPage(http_server)
    churning.url = http_server.url("/b/")
    http_server.route("/b/", churning.respond)
    page = QuietPage(http_server)  # at /a/
    analysis = CountingAnalysis()

    def check(watch_id: int) -> Any:
        return harness.check(harness.store.watches.get(watch_id), analyse=analysis)

    quiet = harness.store.watches.add(page.url)
    assert check(quiet.id).status is CheckStatus.NEW
    assert (page.requests, analysis.pages) == (2, 1)  # looked at twice, analysed once
    page.edits["voted 7-2"] = "voted 6-3"
    changed = check(quiet.id)
    assert changed.status is CheckStatus.CHANGED and changed.report is not None
    assert "6-3" in "".join(op.text for op in changed.report.diff.ops if op.op == 1)
    assert (page.requests, analysis.pages) == (4, 2)
    assert check(quiet.id).status is CheckStatus.UNCHANGED and analysis.pages == 2

    busy = harness.store.watches.add(churning.url)
    assert check(busy.id).status is CheckStatus.NEW
    assert (churning.requests, analysis.pages) == (2, 4)  # its article's lines churn
    stored = harness.store.versions.current(harness.store.watches.get(busy.id))
    assert stored is not None and "views" not in stored.text


class RecordingExecutor(ThreadPoolExecutor):
    """Threads that note the name of each function they are given."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.names: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.names.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


def test_replays_and_second_looks_run_in_the_checker_s_executor(
    harness: Harness, http_server: LocalServer
) -> None:
    """The extraction workers replay and look again, not the event loop's threads: a replay
    costs several times what sending the page to a worker does."""
    page = ChurningPage(http_server)
    executor = RecordingExecutor()
    watch = harness.store.watches.add(page.url)

    def check() -> Any:
        return harness.check(watch, executor=executor)

    try:
        assert check().status is CheckStatus.NEW
        assert "analyse_page" in executor.names and "second_look_at" in executor.names
        executor.names.clear()
        routine = check()
        assert routine.status is CheckStatus.UNCHANGED and routine.replayed
        assert executor.names == ["replay_page"]
    finally:
        executor.shutdown()


def test_a_first_check_cut_short_by_stopping_ends_on_its_one_fetch(
    harness: Harness, http_server: LocalServer
) -> None:
    """monitor stops while a first check waits for its second fetch: the check is recorded
    from the fetch it has (never as a page it could not extract), and learns from it."""
    page = QuietPage(http_server)
    watch = harness.store.watches.add(page.url)

    async def run() -> Any:
        async with Fetcher(harness.config.settings.fetch) as fetcher:

            async def stopping(seconds: float) -> None:
                fetcher.refuse_new()

            checker = Checker(harness.store, fetcher, harness.config, sleep=stopping)
            return await checker.check(watch)

    result = asyncio.run(run())
    assert result.status is CheckStatus.NEW and result.error is None
    assert page.requests == 1
    learned = harness.store.watches.get(watch.id).learned
    assert learned is not None and "one fetch" in learned
