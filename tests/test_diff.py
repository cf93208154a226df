"""Tests for monitor.diff: granularity, line structure, stats and the time-bound fallback."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff import MAX_REGION_TOKENS, diff_texts, tokenize
from monitor.models import DiffLine, TextDiff

ALL = 10**6  # context wide enough to put every line of a diff in one hunk


def pairs(diff: TextDiff) -> list[tuple[int, str]]:
    return [(piece.op, piece.text) for piece in diff.ops]


def line_view(line: DiffLine) -> tuple[int | None, int | None, list[tuple[int, str]]]:
    return line.old_lineno, line.new_lineno, [(piece.op, piece.text) for piece in line.ops]


def rebuilt(diff: TextDiff) -> tuple[str, str]:
    old = "".join(piece.text for piece in diff.ops if piece.op <= 0)
    new = "".join(piece.text for piece in diff.ops if piece.op >= 0)
    return old, new


def test_japanese_insertion_is_exactly_the_inserted_number() -> None:
    diff = diff_texts("死者は1万人に上った。", "死者は1万2000人に上った。")
    assert pairs(diff) == [(0, "死者は1万"), (1, "2000"), (0, "人に上った。")]
    assert (diff.chars_added, diff.chars_removed) == (4, 0)


def test_full_width_digits_are_one_word() -> None:
    diff = diff_texts("死者は１万人", "死者は１万２０００人")
    assert pairs(diff) == [(0, "死者は１万"), (1, "２０００"), (0, "人")]


def test_japanese_one_character_substitution() -> None:
    diff = diff_texts("違法な取引が行われた。", "不法な取引が行われた。")
    assert pairs(diff) == [(-1, "違"), (1, "不"), (0, "法な取引が行われた。")]
    assert diff.granularity == "token"


def test_english_substitution_is_whole_words() -> None:
    diff = diff_texts("The quick brown fox jumps.", "The slow brown fox jumps.")
    assert pairs(diff) == [(0, "The "), (-1, "quick"), (1, "slow"), (0, " brown fox jumps.")]


def test_english_edits_never_split_words() -> None:
    old = "Officials said the storm killed twelve people and injured forty."
    new = "Officials said the storm killed fifteen people and injured fifty."
    changed = [text for op, text in pairs(diff_texts(old, new)) if op != 0]
    assert changed == ["twelve", "fifteen", "forty", "fifty"]


def test_added_paragraph_is_one_added_line() -> None:
    old = "Title\nFirst paragraph.\nLast paragraph."
    new = "Title\nFirst paragraph.\nA new paragraph.\nLast paragraph."
    diff = diff_texts(old, new)
    assert (1, "A new paragraph.\n") in pairs(diff)
    changed = [line_view(line) for hunk in diff.hunks for line in hunk.lines if line.is_changed]
    assert changed == [(None, 3, [(1, "A new paragraph.")])]
    assert diff.chars_removed == 0
    assert diff.chars_added == len("A new paragraph.")


def test_removed_paragraph_is_one_removed_line() -> None:
    old = "Title\nFirst paragraph.\nA retracted claim.\nLast paragraph."
    new = "Title\nFirst paragraph.\nLast paragraph."
    diff = diff_texts(old, new)
    assert pairs(diff) == [
        (0, "Title\nFirst paragraph.\n"),
        (-1, "A retracted claim.\n"),
        (0, "Last paragraph."),
    ]
    assert [line_view(line) for line in diff.hunks[0].lines] == [
        (2, 2, [(0, "First paragraph.")]),
        (3, None, [(-1, "A retracted claim.")]),
        (4, 3, [(0, "Last paragraph.")]),
    ]


def test_paragraph_edited_and_paragraph_added_after_it() -> None:
    old = "首相は会見で述べた。\n以上。"
    new = "首相は記者会見で述べた。\n追加の段落です。\n以上。"
    diff = diff_texts(old, new, context=0)
    assert [line_view(line) for line in diff.hunks[0].lines] == [
        (1, 1, [(0, "首相は"), (1, "記者"), (0, "会見で述べた。")]),
        (None, 2, [(1, "追加の段落です。")]),
    ]


def test_reordered_paragraphs() -> None:
    old = "Alpha paragraph.\nBeta paragraph.\nGamma paragraph."
    new = "Gamma paragraph.\nAlpha paragraph.\nBeta paragraph."
    diff = diff_texts(old, new, context=0)
    assert rebuilt(diff) == (old, new)
    changed = [line_view(line) for hunk in diff.hunks for line in hunk.lines if line.is_changed]
    assert (None, 1, [(1, "Gamma paragraph.")]) in changed
    assert (3, None, [(-1, "Gamma paragraph.")]) in changed


def test_rewritten_paragraph_is_replaced_whole() -> None:
    old = "Keep.\nThe mayor opened the new bridge on Monday morning.\nEnd."
    new = "Keep.\nHeavy rain flooded several streets downtown overnight.\nEnd."
    diff = diff_texts(old, new, context=0)
    # a kept final "." would make it read as an edit of the paragraph: it is replaced
    assert [line_view(line) for line in diff.hunks[0].lines] == [
        (2, None, [(-1, "The mayor opened the new bridge on Monday morning.")]),
        (None, 2, [(1, "Heavy rain flooded several streets downtown overnight.")]),
    ]


def test_rewritten_paragraphs_keep_no_stray_words_and_number_each_line_once() -> None:
    old = "Keep.\nThe board postponed the vote.\nIts president said more.\nA vote is due.\nEnd."
    new = "Keep.\nThe city opened a park.\nThe mayor cut the ribbon.\nIt opens daily.\nEnd."
    diff = diff_texts(old, new, context=0)
    lines = [line_view(line) for line in diff.hunks[0].lines]
    assert all(op != 0 for _, _, ops in lines for op, _ in ops)  # nothing "kept" in between
    assert [n for n, _, _ in lines if n] == [2, 3, 4] and [n for _, n, _ in lines if n] == [2, 3, 4]


def test_identical_texts_have_no_changes() -> None:
    text = "見出し\n本文です。"
    diff = diff_texts(text, text)
    assert pairs(diff) == [(0, text)]
    assert diff.hunks == ()
    assert diff.is_empty
    assert diff.share_changed == 0.0
    assert diff.granularity == "token"


def test_two_empty_texts() -> None:
    diff = diff_texts("", "")
    assert (diff.ops, diff.hunks, diff.share_changed) == ((), (), 0.0)


def test_empty_old_text_is_all_added() -> None:
    diff = diff_texts("", "Title\nBody.")
    assert pairs(diff) == [(1, "Title\nBody.")]
    assert [line_view(line) for line in diff.hunks[0].lines] == [
        (None, 1, [(1, "Title")]),
        (None, 2, [(1, "Body.")]),
    ]
    assert (diff.chars_added, diff.chars_removed) == (10, 0)
    assert diff.share_changed == round(10 / 11, 4)  # line breaks count in the total only


def test_stats_count_characters_without_line_breaks() -> None:
    diff = diff_texts("a\nb", "a\nb\ncd")
    assert (diff.chars_added, diff.chars_removed) == (2, 0)
    assert diff.share_changed == round(2 / (3 + 6), 4)


NUMBERED = [f"Paragraph number {index}." for index in range(1, 11)]


def edited(*numbers: int) -> str:
    return "\n".join(
        line.replace("number", "No.") if index in numbers else line
        for index, line in enumerate(NUMBERED, start=1)
    )


def test_hunks_have_line_numbers_and_context() -> None:
    diff = diff_texts(edited(), edited(3, 9), context=1)
    numbers = [[(line.old_lineno, line.new_lineno) for line in hunk.lines] for hunk in diff.hunks]
    assert numbers == [[(2, 2), (3, 3), (4, 4)], [(8, 8), (9, 9), (10, 10)]]
    middle = diff.hunks[0].lines[1]
    assert line_view(middle) == (3, 3, [(0, "Paragraph "), (-1, "number"), (1, "No."), (0, " 3.")])


def test_overlapping_context_merges_hunks() -> None:
    assert len(diff_texts(edited(), edited(3, 9), context=3).hunks) == 1
    only_changed = diff_texts(edited(), edited(3, 9), context=0)
    assert [[line.old_lineno for line in hunk.lines] for hunk in only_changed.hunks] == [[3], [9]]


def test_hunks_at_text_edges_are_clipped() -> None:
    diff = diff_texts(edited(), edited(1, 10), context=2)
    assert [[line.new_lineno for line in hunk.lines] for hunk in diff.hunks] == [
        [1, 2, 3],
        [8, 9, 10],
    ]


def test_tokens() -> None:
    assert tokenize("１２万人がＡＢＣで2000ドル。カーテン　한국 hi_there!") == [
        "１２", "万", "人", "が", "ＡＢＣ", "で", "2000", "ド", "ル", "。", "カ", "ー", "テ", "ン",
        "\u3000", "한", "국", " ", "hi_there", "!",
    ]  # fmt: skip


def test_zero_timeout_falls_back_to_lines() -> None:
    old = "Same.\nThe quick brown fox.\nEnd."
    new = "Same.\nThe slow brown fox.\nEnd."
    diff = diff_texts(old, new, timeout=0)
    assert diff.granularity == "line"
    assert rebuilt(diff) == (old, new)
    assert pairs(diff) == [
        (0, "Same.\n"),
        (-1, "The quick brown fox.\n"),
        (1, "The slow brown fox.\n"),
        (0, "End."),
    ]


def test_huge_changed_region_falls_back_to_lines() -> None:
    words = MAX_REGION_TOKENS // 2 + 1  # a word and a space each: over the limit
    old = "Intro.\n" + "alpha " * words + "\nOutro."
    new = "Intro.\n" + "beta " * words + "\nOutro."
    diff = diff_texts(old, new)
    assert diff.granularity == "line"
    assert rebuilt(diff) == (old, new)
    assert [op for op, _ in pairs(diff)] == [0, -1, 1, 0]


def test_long_article_with_small_edits_stays_token_level() -> None:
    paragraphs = [f"Paragraph {index} is about topic {index * 7}." for index in range(2000)]
    old = "\n".join(paragraphs)
    paragraphs[1000] = paragraphs[1000].replace("about", "not about")
    diff = diff_texts(old, "\n".join(paragraphs))
    assert diff.granularity == "token"
    assert [(op, text) for op, text in pairs(diff) if op] == [(1, "not ")]


TEXT = st.lists(
    st.sampled_from(["a", "b", "word", " ", "\n", "\n\n", "漢", "字", "ー", "。", "1", "万", "é"]),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(old=TEXT, new=TEXT, context=st.integers(min_value=0, max_value=3))
def test_ops_rebuild_both_texts(old: str, new: str, context: int) -> None:
    diff = diff_texts(old, new, context=context)
    assert rebuilt(diff) == (old, new)
    assert all(piece.text for piece in diff.ops)
    assert all(a.op != b.op for a, b in zip(diff.ops, diff.ops[1:], strict=False))
    assert bool(diff.hunks) == (old != new)
    if old == new:
        assert diff.is_empty


@settings(max_examples=400, deadline=None)
@given(old=TEXT, new=TEXT)
def test_numbered_lines_rebuild_each_line(old: str, new: str) -> None:
    olds: defaultdict[int, str] = defaultdict(str)
    news: defaultdict[int, str] = defaultdict(str)
    for hunk in diff_texts(old, new, context=ALL).hunks:
        for line in hunk.lines:
            assert all(piece.text and "\n" not in piece.text for piece in line.ops)
            if line.old_lineno is None:
                assert all(piece.op == 1 for piece in line.ops)
            else:
                olds[line.old_lineno] += "".join(p.text for p in line.ops if p.op <= 0)
            if line.new_lineno is None:
                assert all(piece.op == -1 for piece in line.ops)
            else:
                news[line.new_lineno] += "".join(p.text for p in line.ops if p.op >= 0)
    if old != new:
        assert [olds[number] for number in range(1, len(olds) + 1)] == old.splitlines()
        assert [news[number] for number in range(1, len(news) + 1)] == new.splitlines()


@settings(max_examples=100, deadline=None)
@given(old=TEXT, new=TEXT)
def test_line_fallback_rebuilds_both_texts(old: str, new: str) -> None:
    diff = diff_texts(old, new, timeout=0)
    assert rebuilt(diff) == (old, new)


def test_numbers_with_separators_change_as_whole_numbers() -> None:
    diff = diff_texts("Ridership rose to 31,000 riders.", "Ridership rose to 32,000 riders.")
    assert [(op.op, op.text) for op in diff.ops if op.op] == [(-1, "31,000"), (1, "32,000")]


def test_a_large_region_of_edited_paragraphs_is_diffed_paragraph_by_paragraph() -> None:
    paragraphs = [
        f"Paragraph {i} says the council met on Tuesday to discuss item {i}." * 8
        for i in range(400)
    ]
    old = "\n".join(paragraphs)
    new = "\n".join(p.replace("Tuesday", "Monday", 1) for p in paragraphs)
    diff = diff_texts(old, new)
    assert diff.granularity == "token"
    assert (diff.chars_added, diff.chars_removed) == (400 * len("Monday"), 400 * len("Tuesday"))
    changed = {op.text for op in diff.ops if op.op}
    assert changed == {"Tuesday", "Monday"}
