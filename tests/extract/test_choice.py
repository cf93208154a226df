"""The candidate choice: when the page's evidence does not confirm the densest part, the
JSON-LD body's part and a second extractor's part are candidates, and the evidence decides.

Most tests pass their own second view (a function returning a text), so they say exactly
what the second extractor said; the data cases in tests/data/extract run the real one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monitor.extract import explain_article, extract_article
from monitor.extract.second import SecondView, no_view, trafilatura_view

CASES = Path(__file__).parents[1] / "data" / "extract"

FERRY = (
    "The ferry to the northern islands will run twice a day from next month, the operator said.",
    "Residents had asked for a second crossing since the old timetable was cut in the spring.",
    "A new boat, built at the yard across the bay, joins the service in time for the summer.",
)
HISTORY = (
    "The harbour was dug by hand in the eighteenth century, when the town still traded salt.",
    "Its first lighthouse burned oil from the fish that the boats brought in every evening.",
    "A stone pier replaced the wooden one after the great storm that most families remember.",
    "The museum by the quay keeps the old logbooks, the charts and a model of every ferry.",
    "Guided walks along the walls start at the museum door on Saturdays in the summer months.",
)


def _page(title: str = "Island ferry timetable") -> str:
    """A page with two parts and a long menu between: the town's history (denser) and a
    short ferry story; no heading or description says which is the article."""
    menu = "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(30))
    history = "".join(f"<p>{s}</p>" for s in HISTORY)
    ferry = "".join(f"<p>{s}</p>" for s in FERRY)
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"<div class='intro'>{history}</div><nav><ul>{menu}</ul></nav>"
        f"<div class='story'>{ferry}</div></body></html>"
    )


def _says(text: str | None) -> Callable[[str, str | None], SecondView]:
    """A second extractor that says ``text`` of every page."""

    def view(html: str, url: str | None) -> SecondView:
        return lambda: text

    return view


def test_without_a_second_view_the_densest_part_is_chosen_and_unconfirmed() -> None:
    article = extract_article(_page(), second_view=_says(None))
    assert article.text.splitlines() == list(HISTORY)
    assert article.confidence.level != "high"


def test_a_second_view_of_another_part_moves_the_choice_but_leaves_it_uncertain() -> None:
    # Only the second extractor is with the ferry story: watched, but flagged uncertain.
    article = extract_article(_page(), second_view=_says("\n".join(FERRY)))
    assert article.text.splitlines() == list(FERRY)
    assert article.confidence.level == "low"
    assert "second extractor" in article.confidence.reason


def test_a_second_view_and_the_headline_together_are_sure() -> None:
    heading = "<div class='story'><h2>Island ferry timetable</h2>"
    html = _page().replace("<div class='story'>", heading)
    article = extract_article(html, second_view=_says("\n".join(FERRY)))
    assert article.text.splitlines() == list(FERRY)
    assert article.confidence.level == "high"
    assert "headline" in article.confidence.reason


def test_a_second_view_that_finds_the_same_text_confirms_the_densest_part() -> None:
    article = extract_article(_page(), second_view=_says("\n".join(HISTORY)))
    assert article.text.splitlines() == list(HISTORY)
    assert article.confidence.level == "high"
    assert article.confidence.reason == "a second extractor finds the same text"


def test_the_text_is_monitors_serialisation_whatever_the_view_says() -> None:
    # Two views of the same part, one with other spacing, quotes, a stray menu line and a
    # sentence of its own, give byte-identical text: the view only picks the part.
    plain = extract_article(_page(), second_view=_says("\n".join(FERRY)))
    noisy_view = "Section 3\n" + "  ".join(FERRY).replace("'", "’") + "\nShare this story now."
    noisy = extract_article(_page(), second_view=_says(noisy_view))
    assert noisy.document == plain.document


def test_a_page_the_evidence_confirms_never_asks_the_second_extractor() -> None:
    asked: list[str] = []

    def counting(html: str, url: str | None) -> SecondView:
        def view() -> str | None:
            asked.append(url or "")
            return None

        return view

    for case in ("generic_en_news", "article_header_standfirst", "jannah_ja"):
        html = (CASES / f"{case}.html").read_text(encoding="utf-8")
        assert extract_article(html, f"https://example.test/{case}/", second_view=counting)
    assert asked == []


def test_a_second_view_is_asked_once_at_most() -> None:
    asked: list[int] = []

    def counting(html: str, url: str | None) -> SecondView:
        def view() -> str | None:
            asked.append(1)
            return "\n".join(FERRY)

        return view

    extract_article(_page(), second_view=counting)
    assert asked == [1]


def test_the_json_ld_body_decides_without_a_second_view() -> None:
    html = (CASES / "json_ld_body_decides.html").read_text(encoding="utf-8")
    explanation = explain_article(html, second_view=lambda html, url: no_view)
    assert explanation.article.text.startswith("The broken stones seen from the fish market")
    assert "This week in town" not in explanation.article.text
    assert explanation.confidence.level == "high"
    assert "JSON-LD" in explanation.confidence.reason
    assert "no second extractor's view of this page" in explanation.notes


def test_the_explanation_names_the_candidates_and_the_choice() -> None:
    explanation = explain_article(_page(), second_view=_says("\n".join(FERRY)))
    assert explanation.notes[-1] == (
        "candidates: the densest part, the part a second extractor chose; "
        "chose the part a second extractor chose"
    )
    assert explanation.content == ("body > div.story",)


def test_trafilatura_is_a_second_view_that_says_nothing_of_an_empty_page() -> None:
    assert trafilatura_view("<html><body></body></html>", None)() is None
    assert trafilatura_view("", "https://example.test/")() is None


def test_trafilatura_finds_the_article_after_a_consent_notice() -> None:
    html = (CASES / "consent_before_the_headline_nl.html").read_text(encoding="utf-8")
    view = trafilatura_view(html, "https://example.test/veerboot/")()
    assert view is not None and "De nieuwe veerboot" in view
    # without it, the notice and the story are one run of text, and the notice is kept
    alone = extract_article(html, second_view=lambda html, url: no_view)
    assert "Wij en onze partners" in alone.text


def test_churn_around_the_article_does_not_move_the_choice() -> None:
    # The same article after the site's menu, the consent notice's wording and a teaser
    # changed: the same text, through the real second extractor.
    html = (CASES / "consent_before_the_headline_nl.html").read_text(encoding="utf-8")
    churned = (
        html.replace("Regio", "Nieuws uit de regio")
        .replace("unieke identificatiecodes", "cookies en vergelijkbare technieken")
        .replace("<footer>", "<footer><p><a href='/x'>Meest gelezen: storm op zee</a></p>")
    )
    first = extract_article(html, "https://example.test/veerboot/")
    second = extract_article(churned, "https://example.test/veerboot/")
    assert first.document == second.document
    assert first.text.startswith("De nieuwe veerboot")
