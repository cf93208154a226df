"""Package data of the sample site: ``monitor/data`` files, site chrome and template sections."""

from __future__ import annotations

import json
import pkgutil
import re
from functools import cache
from string import Template
from typing import Any


def data_text(name: str) -> str:
    """A file of ``monitor/data`` as text."""
    data = pkgutil.get_data("monitor", f"data/{name}")
    if data is None:
        raise FileNotFoundError(f"package data monitor/data/{name} is missing")
    return data.decode("utf-8")


@cache
def load_site(lang: str) -> dict[str, Any]:
    """The site chrome for ``lang`` (``site_<lang>.json``): name, menus, other posts."""
    site: dict[str, Any] = json.loads(data_text(f"site_{lang}.json"))
    return site


@cache
def _templates(name: str) -> dict[str, Template]:
    """The ``@@ section`` parts of one template file."""
    parts = re.split(r"^@@ (\w+)\n", data_text(name), flags=re.MULTILINE)
    return {
        key: Template(body.rstrip("\n")) for key, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def fill(name: str, section: str, **values: object) -> str:
    """Section ``section`` of template file ``name`` with ``values`` substituted."""
    return _templates(name)[section].substitute(values)
