"""Where a gate's markup sits against the article: a gate page, or a widget of every page.

Without a baseline, a short page that shows a gate in its markup (a password field, a
consent manager's elements) is taken for that gate (:func:`monitor.identity.first_check_gate`):
a login or consent page has little text of its own. But many sites show a login form or a
consent banner on every page, in the header, a sidebar or an overlay (forums and Q&A sites
most of all), and a short post on such a page is still an article.

Where the markup sits tells the two apart. A gate page's form or notice is its content: it
lies in the region the extraction chose (the deepest element holding every line it kept)
or beside it, under the region's parent, or it encloses them. A widget is part of the
page's frame: the region's parent neither holds it nor lies in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from monitor.extract.replay import find_region
from monitor.extract.text import Element

#: Whether an element (its tag, and a reader of its attributes' values) is markup of a gate.
Mark = Callable[[str, Callable[[str], str | None]], bool]


def gates_apart(root: Element, region: Sequence[str], marks: Mapping[str, Mark]) -> set[str]:
    """The gates (the keys of ``marks``) whose marked elements on the page ``root`` all lie
    apart from the parent of the element the region's path ``region`` leads to; a gate
    with no marked element is not among them. None is apart when there is no such element,
    or it has no parent: nothing then says where the article is."""
    found = find_region(root, region)
    around = found.getparent() if found is not None else None
    if around is None:
        return set()
    marked: dict[str, list[Element]] = {name: [] for name in marks}
    for element in root.iter():
        if isinstance(element.tag, str):
            for name, mark in marks.items():
                if mark(element.tag, element.get):
                    marked[name].append(element)
    return {
        name
        for name, elements in marked.items()
        if elements and not any(_near(e, around) for e in elements)
    }


def _near(element: Element, around: Element) -> bool:
    """Whether ``element`` is ``around``, lies in it, or encloses it."""
    return (
        element is around
        or any(node is around for node in element.iterancestors())
        or any(node is element for node in around.iterancestors())
    )
