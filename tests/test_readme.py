"""The README stays true: its quick start works, and every command is documented there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from server import LocalServer

from monitor import samplesite
from monitor.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
EXAMPLE_URL = "https://www.example.com/news/2026/11/some-article"


def quickstart() -> list[str]:
    block = README.split("<!-- quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("monitor ")]


def test_the_first_commands_install_and_run_the_demo_and_the_tests() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert first_block[0].endswith("pip install -e . && monitor demo")
    assert first_block[1].endswith("pip install -e '.[dev]' && python -m pytest")


def test_quick_start_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_server: LocalServer
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    article = samplesite.load_article("ja")
    http_server.set("/article", samplesite.render_page(article))
    outputs = []
    for number, line in enumerate(quickstart()):
        if line == "monitor check" and number > 1:  # the page changes between two checks
            edited = samplesite.replace_text(article, "1万人", "1万2000人")
            http_server.set("/article", samplesite.render_page(edited))
        args = shlex.split(line.replace(EXAMPLE_URL, http_server.url("/article")))[1:]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, (line, result.output)
        outputs.append(result.output)
    assert outputs[0].startswith("added watch 1: article") and "version 1: " in outputs[0]
    assert outputs[1].startswith("unchanged")
    assert outputs[2].startswith("changed")
    assert "{+2000+}" in outputs[-1]
    assert (tmp_path / "snapshots" / "monitor.db").exists()


def test_every_command_is_documented() -> None:
    documented = set(re.findall(r"^monitor (\w+)", README, re.MULTILINE))
    commands = set(cli.list_commands(click.Context(cli)))
    assert "run" in commands and commands <= documented


def test_the_test_command_says_what_the_browser_tests_need_and_how_long_it_takes() -> None:
    opening = README.split("## What it does", 1)[0]
    assert "chromium fonts-ipafont-gothic" in opening and "about 4 minutes" in opening


def test_the_lxml_extra_is_asked_for_before_trafilatura() -> None:
    """pip 23.2 (what python -m venv bundles) cannot merge lxml[html_clean] (justext, for
    trafilatura) with lxml[html-clean] (readability-lxml, the bench extra) unless the extra
    is asked for first, by the project itself."""
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    names = [req.split("[")[0].split(">")[0] for req in project["dependencies"]]
    lxml = names.index("lxml")
    assert project["dependencies"][lxml].startswith("lxml[html-clean]")
    assert lxml < names.index("trafilatura")
    bench = project["optional-dependencies"]["bench"]
    assert any(req.startswith("readability-lxml") for req in bench)
