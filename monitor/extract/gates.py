"""A captcha that guards a form, not the page.

Without a baseline, a short page with a captcha in its markup is taken for a bot challenge
(:func:`monitor.identity.first_check_gate`): a challenge page has little text of its own.
But a blog's comment form, a contact form, a newsletter form or a "share by e-mail" form
carries a captcha on every page that shows it, and a short post with one is still an
article.

What tells them apart is what the captcha's form asks for. A form one writes in asks for a
text (a ``<textarea>``) or an e-mail address (``type="email"``, or a field named for one);
a challenge page's form asks for nothing but the check. A page's captcha guards its forms
when every captcha widget on it lies in such a form. Where a widget sits on the page is no
evidence: a challenge page's widget may be a few levels from its message or anywhere else,
and a gate page stored as an article's first version would make every later version
"another page".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from monitor.extract.text import Element

#: Whether an element (its tag, and a reader of its attributes' values) is a captcha widget.
Mark = Callable[[str, Callable[[str], str | None]], bool]

_EMAIL_NAME = re.compile(r"e[-_]?mail", re.IGNORECASE)
_CAPTCHA_ANSWER = re.compile(r"captcha-response", re.IGNORECASE)


def guard_forms(root: Element, is_widget: Mark) -> bool:
    """Whether the page ``root`` has captcha widgets (what ``is_widget`` marks) and every one
    lies in a form one writes in (:func:`_asks_for_writing`)."""
    widgets = [e for e in root.iter() if isinstance(e.tag, str) and is_widget(e.tag, e.get)]
    if not widgets:
        return False
    return all(_in_writing_form(widget) for widget in widgets)


def _in_writing_form(element: Element) -> bool:
    form = next((node for node in element.iterancestors() if node.tag == "form"), None)
    return form is not None and _asks_for_writing(form)


def _asks_for_writing(form: Element) -> bool:
    """Whether a form asks for a text or an e-mail address (a captcha's own answer field,
    ``g-recaptcha-response``, is no text to write)."""
    for field in form.iter("textarea", "input"):
        name = field.get("name") or ""
        if field.tag == "textarea":
            if not _CAPTCHA_ANSWER.search(f"{name} {field.get('id') or ''}"):
                return True
            continue
        kind = (field.get("type") or "").strip().lower()
        if kind == "email" or (kind in ("", "text") and _EMAIL_NAME.search(name)):
            return True
    return False
