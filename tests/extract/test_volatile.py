"""What churns between two fetches of a page, learned line by line: it covers exactly the
lines that churned, never a neighbour, and never a sentence of prose."""

from __future__ import annotations

from monitor.extract.volatile import Volatility, churned_alike, learn

PARAGRAPHS = [
    f"Paragraph {w} of the article says something long enough to be real." for w in "abcdef"
]


def fetch(comments: int, hours: int, teaser: str, order: tuple[str, ...]) -> list[str]:
    return [
        "By Ann Smith",
        f"{comments} comments",
        f"The council voted 7-2 after {hours} hours of debate and a long public hearing.",
        *PARAGRAPHS[:3],
        "Related",
        teaser,
        "Roads get $6.2 million",
        *PARAGRAPHS[3:],
        *order,
    ]


FIRST = fetch(12, 3, "Teaser about x", ("Sports", "World", "News"))
SECOND = fetch(13, 4, "Another teaser z", ("World", "News", "Sports"))


def test_what_churned_is_learned() -> None:
    learned = learn(FIRST, SECOND)
    # the hours of the council's sentence are no counter: an edit between the fetches?
    assert learned.numbers == ("\0 comments",)
    assert learned.unordered == {"Sports", "World", "News"}
    (span,) = learned.spans
    assert (span.before, span.after, span.most) == ("Related", "Roads get $6.2 million", 1)
    later = fetch(99, 4, "Yet another teaser q", ("News", "Sports", "World"))
    assert learned.apply(later) == learned.apply(SECOND)


def test_an_edit_next_to_churn_shows() -> None:
    learned = learn(FIRST, SECOND)
    base = learned.apply(fetch(99, 5, "Teaser q", ("News", "Sports", "World")))
    vote = [line.replace("7-2", "6-3") for line in fetch(99, 5, "Teaser q", ("World",) * 0)]
    vote += ["News", "Sports", "World"]
    assert learned.apply(vote) != base  # the literal 7-2 of a line whose hours churn
    assert any("6-3" in line for line in learned.apply(vote))
    neighbour = [line.replace("Roads get $6.2 million", "Roads get $7 million") for line in vote]
    assert "Roads get $7 million" in learned.apply(neighbour)  # an anchor edited: all shows
    paragraph = "A new paragraph the editors added, much longer than any teaser ever was here."
    added = fetch(99, 5, "Teaser q", ("News", "Sports", "World"))
    added.insert(added.index("Teaser q") + 1, paragraph)
    assert paragraph in learned.apply(added)
    renamed = fetch(99, 5, "Teaser q", ("News", "Sports", "Weather"))
    assert "Weather" in learned.apply(renamed)  # an item whose text changed is no longer one


def test_a_number_in_a_sentence_is_never_learned_away() -> None:
    """A figure edited in the seconds between the two fetches of a first check ("About 80"
    then "About 90") is not churn to mask for good: a later edit of it (90 -> 120) would
    never show. A sentence keeps its numbers; a short counter is dropped."""
    learned = learn(FIRST, SECOND)
    (long_line,) = [x for x in learned.apply(fetch(99, 5, "t", ())) if x.startswith("The council")]
    assert long_line == "The council voted 7-2 after 5 hours of debate and a long public hearing."
    assert learned.apply(["99 comments"]) == []
    edited = learn(
        [*PARAGRAPHS, "About 80 firefighters and 15 engines were sent to the scene."],
        [*PARAGRAPHS, "About 90 firefighters and 15 engines were sent to the scene."],
    )
    assert edited.is_empty


def test_prose_that_differs_is_never_churn() -> None:
    """An edit made between the two fetches must not be learned away."""
    edited = [line.replace("Paragraph b", "Paragraph B, corrected,") for line in FIRST]
    learned = learn(FIRST, edited)
    assert learned.is_empty


def test_two_fetches_that_differ_everywhere_teach_nothing() -> None:
    other = [f"line {i}" for i in range(len(FIRST))]
    assert learn(FIRST, other).is_empty
    assert learn(FIRST, FIRST).is_empty


def test_it_is_stored_and_read_back() -> None:
    learned = learn(FIRST, SECOND)
    again = Volatility.from_dict(learned.as_dict())
    assert again.numbers == learned.numbers and again.unordered == learned.unordered
    assert again.spans == learned.spans
    assert again.merged(Volatility()).apply(SECOND) == learned.apply(SECOND)


def with_stamp(stamp: str, views: int = 7) -> list[str]:
    return [*PARAGRAPHS, f"Ann {stamp} · {views} readers"]


def test_a_number_churning_takes_the_numbers_written_with_it() -> None:
    """The seconds of a time churn between two fetches, its minutes and hours later: the
    whole time (and the date it is written with) is what churns, not the other numbers."""
    learned = learn(with_stamp("2005年8月12日16:12:21"), with_stamp("2005年8月12日16:12:25"))
    (template,) = learned.numbers
    assert template.count("\0") == 6
    later = learned.apply(with_stamp("2005年8月13日09:40:02"))
    assert later == learned.apply(with_stamp("2005年8月12日16:12:21"))
    assert later[-1] == "Ann #年#月#日#:#:# · 7 readers"
    assert "8 readers" in learned.apply(with_stamp("2005年8月12日16:12:21", 8))[-1]
    gallery = learn([*PARAGRAPHS, "Photo 3 of 12"], [*PARAGRAPHS, "Photo 4 of 12"])
    assert gallery.apply([*PARAGRAPHS, "Photo 9 of 13"]) == PARAGRAPHS
    sentence = learn([*PARAGRAPHS, "At 12:40, 3 people"], [*PARAGRAPHS, "At 12:41, 3 people"])
    assert sentence.numbers == ("At \0:\0, 3 people",)  # the 3 is not part of the time


def test_what_one_line_learned_at_two_times_is_one_template() -> None:
    """Two numbers of a line that churned at different checks mask the same way whatever the
    line holds, and a version stored with the first mask compares as the page does now."""
    url = "Blog: http://blog.example.com/user{}/kafka{}/index.html, all the posts of the writer"
    first = learn([*PARAGRAPHS, url.format(9, 85)], [*PARAGRAPHS, url.format(3, 85)])
    stored = first.apply([*PARAGRAPHS, url.format(9, 85)])
    both = first.merged(learn([*PARAGRAPHS, url.format(9, 85)], [*PARAGRAPHS, url.format(9, 12)]))
    assert len(both.numbers) == 1
    now = both.apply([*PARAGRAPHS, url.format(4, 60)])
    assert now == both.apply(stored) == both.apply([*PARAGRAPHS, url.format(9, 85)])
    assert now[-1] == url.format("#", "#")


def test_a_line_churned_alike_only_where_the_two_fetches_differ() -> None:
    promo = "Read our {} coverage, the latest on the {} and every story from our newsroom."
    stored = [*PARAGRAPHS, promo.format("river", "mayor")]
    first = [*PARAGRAPHS, promo.format("storm", "vote")]
    second = [*PARAGRAPHS, promo.format("bridge", "school")]
    assert churned_alike(stored, first, second)
    edited = [[line.replace("Paragraph b", "Paragraph B") for line in x] for x in (first, second)]
    assert not churned_alike(stored, *edited)  # an edit both fetches show
    partners = [[line.replace("newsroom", "partners") for line in x] for x in (first, second)]
    assert not churned_alike(stored, *partners)  # an edit of the words the fetches share
    assert not churned_alike(stored, second, second)  # the same in both: an edit
    assert not churned_alike(stored, first, [*second, "A line that came"])


def test_a_line_drawn_anew_between_the_two_fetches_is_churn_whatever_it_shares() -> None:
    """A promotion whose words are picked on every request: the two fetches agree on "on"
    and "the" by chance where the stored line has other words; most of its words changed
    between two fetches a moment apart, so it is not the article's."""
    stored = [*PARAGRAPHS, "A earn with of protect get why; life, check out the news on BUY"]
    first = [*PARAGRAPHS, "A from on on protect buy data; even, design out the lead on TO"]
    second = [*PARAGRAPHS, "A safer way buy written lead make; even, jeenah out be tracee on AI"]
    assert churned_alike(stored, first, second)
    counter = "The council met for {} hours on Tuesday and voted on the budget for next year."
    sentence = [*PARAGRAPHS, counter.format(3)]
    edited = [[*PARAGRAPHS, counter.format(n).replace("Tuesday", "Monday")] for n in (4, 5)]
    assert not churned_alike(sentence, *edited)  # a counter churns; the edit of a word shows


def test_a_sentence_replaced_by_a_slot_drawn_anew_is_still_a_change() -> None:
    """The stored line was a sentence of the article; the page now has a short slot there
    that is drawn anew on every request: the sentence is gone, and that is a change."""
    stored = [
        *PARAGRAPHS,
        "The mayor said the bridge would reopen in May after two years of works.",
    ]
    first = [*PARAGRAPHS, "Buy now: solar lamp"]
    second = [*PARAGRAPHS, "Sale today: garden chairs"]
    assert not churned_alike(stored, first, second)


def test_a_stored_text_less_its_churn_is_itself() -> None:
    """A stored version holds its lines as churn left them (numbers masked as '#'); taking
    the churn out of it again changes nothing. A line whose numbers were its only words
    beyond a counter's length was kept masked once and dropped the second time: the
    comparison with the stored text then found the line 'added' on every check (a flap to
    the current version, reported each time)."""
    story = [f"Paragraph {n} of the story, as it was published." for n in "abcde"]
    first = [*story, "Day 3, Part 2: Tim Morrison's opening statement"]
    second = [*story, "Day 4, Part 1: Tim Morrison's opening statement"]
    churn = learn(first, second)
    once = churn.apply(first)
    assert once == [*story, "Day #, Part #: Tim Morrison's opening statement"]
    assert churn.apply(once) == once
    assert churn.apply(second) == once


def test_a_sentence_whose_numbers_churn_is_churn_for_one_comparison() -> None:
    """A time drawn anew on every request inside a sentence: two fetches may share a digit
    by chance ("41"); the numbers written with a churning one churn with it."""
    line = "Listen to Newsbeat live at {} and {} weekdays - or listen back here."
    stored = [*PARAGRAPHS, line.format("14:45", "16:45")]
    first = [*PARAGRAPHS, line.format("12:46", "19:41")]
    second = [*PARAGRAPHS, line.format("15:45", "15:41")]
    assert churned_alike(stored, first, second)
    # an edit that both fetches show is no churn
    edited = [*PARAGRAPHS, "About 90 firefighters and 15 engines were sent to the scene."]
    before = [*PARAGRAPHS, "About 80 firefighters and 15 engines were sent to the scene."]
    assert not churned_alike(before, edited, edited)


def test_a_clock_in_a_sentence_is_learned_a_figure_is_not() -> None:
    """A page that renders the time of each request in a sentence ("last refreshed at
    10:32:15"): its two immediate fetches later agree to the second, so the clock is learned
    from the first check's two fetches; a figure in a sentence never is."""
    line = "The figures in this story were last refreshed at {} today."
    learned = learn([*PARAGRAPHS, line.format("10:32:15")], [*PARAGRAPHS, line.format("10:32:17")])
    later = learned.apply([*PARAGRAPHS, line.format("11:32:40")])
    assert later == learned.apply([*PARAGRAPHS, line.format("10:32:15")])
    assert later[-1] == line.format("#:#:#")
