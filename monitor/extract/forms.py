"""Where a page's password fields sit against its article: a login page, or a login widget.

Without a baseline, a short page with a password field is taken for a login page
(:func:`monitor.identity.first_check_gate`): a page that asks for a password has little text
of its own. But many sites show a login form on every page, in the header or in a sidebar
(forums most of all), and a short post on such a page is still an article.

Where the field sits tells the two apart. A login page's form is its content: it lies in
the region the extraction chose (the deepest element holding every line it kept) or beside
it, under the region's parent, with the words that ask for the password. A widget's form is
part of the page's frame: the region's parent does not hold it.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.extract.replay import find_region
from monitor.extract.text import Element


def passwords_apart(root: Element, region: Sequence[str]) -> bool:
    """Whether the page ``root`` has password fields and every one lies outside the parent of
    the element the region's path ``region`` leads to (False when there is no such element,
    or it has no parent: nothing then says where the article is)."""
    found = find_region(root, region)
    around = found.getparent() if found is not None else None
    if around is None:
        return False
    fields = [e for e in root.iter("input") if _is_password(e)]
    return bool(fields) and not any(_within(e, around) for e in fields)


def _is_password(element: Element) -> bool:
    return (element.get("type") or "").strip().lower() == "password"


def _within(element: Element, ancestor: Element) -> bool:
    return any(node is ancestor for node in element.iterancestors())
