"""Every command the README shows in a fenced `console` or `sh` block is run here, with the
real model on the shipped corpus, and its output compared with what the README prints; the
two set-up commands (`make run`, `make test`) are run by `.ci/run` on a fresh clone. A README
that drifts from what ships fails this file."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .conftest import REPO

README = REPO / "README.md"
_BLOCK = re.compile(r"^```(console|sh)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_ENV_ASSIGNMENT = re.compile(r"^[A-Z][A-Z0-9_]*=")
RUN_BY_CI = {"make run", "make test"}
"""`.ci/run` runs these on a clean clone (make run: start, wait for /api/ready, ask, stop)."""
ELIDED = "..."
"""A README example shows the first lines of an output, then this line."""


@dataclass
class Shown:
    command: str
    output: list[str] = field(default_factory=list)


def shown_commands(markdown: str) -> list[Shown]:
    """The commands of the README's console blocks (`$ ` lines, with the output printed
    under each) and sh blocks (every line; a trailing backslash continues it)."""
    commands: list[Shown] = []
    for language, body in _BLOCK.findall(markdown):
        if language == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    commands.append(Shown(line[2:].strip()))
                elif commands and (line.strip() or commands[-1].output):
                    commands[-1].output.append(line.rstrip())
        else:
            joined = body.replace("\\\n", " ")
            for line in joined.splitlines():
                command = line.split("  #", 1)[0].strip()
                if command and not command.startswith("#"):
                    commands.append(Shown(" ".join(command.split())))
    for shown in commands:
        while shown.output and not shown.output[-1]:
            shown.output.pop()
    return commands


def expected_lines(shown: Shown) -> list[str]:
    """The output lines the README promises: those before an elision mark."""
    lines = shown.output
    return lines[: lines.index(ELIDED)] if ELIDED in lines else lines


def test_the_readme_shows_commands_and_each_kind_is_covered():
    commands = [shown.command for shown in shown_commands(README.read_text(encoding="utf-8"))]
    assert set(commands) >= RUN_BY_CI, "the two set-up commands are in the README"
    unknown = [
        command
        for command in commands
        if command not in RUN_BY_CI and not _faqbot_args(command) and not command.startswith("curl ")
    ]
    assert unknown == [], "a README command no test runs: add it to tests/test_readme.py"


def _faqbot_args(command: str) -> tuple[dict[str, str], list[str]] | None:
    """(environment, arguments) of a `.venv/bin/faqbot ...` command, else None."""
    words = shlex.split(command)
    env = {}
    while words and _ENV_ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words or words[0] != ".venv/bin/faqbot":
        return None
    return env, words[1:]


def _faqbot_commands() -> list[Shown]:
    return [s for s in shown_commands(README.read_text(encoding="utf-8")) if _faqbot_args(s.command)]


@pytest.fixture(scope="module")
def shipped_index(tmp_path_factory) -> Path:
    """The shipped corpus's index, built once for this module by the real `faqbot index`."""
    index = tmp_path_factory.mktemp("readme") / "index"
    subprocess.run(
        [sys.executable, "-m", "faqbot.doors.cli", "index", "--index", str(index)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return index


@pytest.mark.slow
@pytest.mark.parametrize("shown", _faqbot_commands(), ids=lambda shown: shown.command[:60])
def test_a_faqbot_command_prints_what_the_readme_shows(shown, shipped_index, tmp_path):
    env_overrides, args = _faqbot_args(shown.command)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(env_overrides, HF_HUB_OFFLINE="1", FAQBOT_DB_PATH=str(tmp_path / "log.sqlite3"))
    result = subprocess.run(
        [sys.executable, "-m", "faqbot.doors.cli", *args, "--index", str(shipped_index)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    expected = expected_lines(shown)
    assert expected, f"the README shows no output for {shown.command!r}"
    assert printed[: len(expected)] == expected


def _curl_questions() -> list[dict]:
    bodies = []
    for shown in shown_commands(README.read_text(encoding="utf-8")):
        if shown.command.startswith("curl "):
            words = shlex.split(shown.command)
            bodies.append(json.loads(words[words.index("-d") + 1]))
    return bodies


@pytest.mark.slow
@pytest.mark.parametrize("body", _curl_questions(), ids=lambda body: body["question"][:60])
def test_the_readme_s_http_example_gets_an_answer(body, shipped_index, real_embedder, tmp_path):
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.config import Settings
    from faqbot.doors.http.app import create_app

    settings = Settings(corpus_dir=REPO / "corpus", index_dir=shipped_index, db_path=tmp_path / "log.sqlite3")
    bot = FAQBot.load(settings=settings, embedder=real_embedder)
    with TestClient(create_app(settings, bot=bot)) as client:
        response = client.post("/api/ask", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["kind"] != "no_answer", "the README's example question is one the shipped FAQ answers"
    assert len(answer["citations"]) >= 1
