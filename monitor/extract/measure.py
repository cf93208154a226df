"""How much text a line is, and whether it reads as a sentence: pure string measures.

They need no parsed page, so what compares texts (:mod:`.volatile`, and through it the
checking process, which never parses a page itself) uses them without importing lxml.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Entries in each of the caches of what a page repeats (its class names, a block's text
#: measured by several rules). They live as long as the process: at 1,024 entries each they
#: hold about 1 MB in all, where 8,192 held 9 MB in every extraction process after 300
#: corpus pages and answered 3-10% more lookups (extraction as fast).
PAGE_CACHE = 1024

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORDS = re.compile(r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


@lru_cache(maxsize=PAGE_CACHE)  # the same block's text is measured by several rules
def units(text: str) -> float:
    """The amount of text: words, plus half a unit per CJK character."""
    words = len(_WORDS.findall(text))
    return words if text.isascii() else words + 0.5 * len(_CJK.findall(text))


def is_sentence(text: str) -> bool:
    """True for a line ending as a sentence ends ("特此通告。"), not as a label."""
    return text.endswith(("。", "！", "？", "!", "?")) or (
        text.endswith(".") and not text.endswith("..")
    )
