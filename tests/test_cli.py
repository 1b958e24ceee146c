"""The `faqbot` command, in-process with the fake embedder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from faqbot.core.records import Answer
from faqbot.doors import cli

from .fakes import HashingEmbedder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch):
    """Every command gets the fake embedder instead of loading the real model."""
    monkeypatch.setattr("faqbot.search.embed.load_embedder", lambda model=None, **options: HashingEmbedder())


@pytest.fixture
def paths(settings):
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


def test_help_does_not_load_heavy_libraries():
    code = "import sys; from faqbot.doors import cli; cli.build_parser(); print(sorted({'torch', 'faiss', 'sentence_transformers'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("index", "ask", "eval"))


def test_index_builds_and_reports(paths, settings, capsys):
    assert cli.main(["index", *paths]) == 0
    out, err = capsys.readouterr()
    assert "Indexed 20 passages" in out and "from 1 documents" in out
    assert "footer-banner" in err  # the skipped include is reported
    assert (settings.index_dir / "CURRENT").is_file()


def test_ask_builds_the_index_on_first_use_and_prints_a_readable_answer(paths, settings, capsys):
    assert cli.main(["ask", "How do you define People Unified?", *paths]) == 0
    out = capsys.readouterr().out
    assert "People Unified is a rebranding" in out
    assert (
        "Source: Dynamics 365 Customer Insights FAQs > Pricing and licensing > How do you define People Unified?" in out
    )
    assert "ci-faq.md, lines 100-104" in out
    assert "Confidence:" in out


def test_ask_json_prints_the_answer_record(paths, capsys):
    assert cli.main(["ask", "How do you define People Unified?", "--json", *paths]) == 0
    answer = Answer.model_validate_json(capsys.readouterr().out)
    assert answer.citations[0].question == "How do you define People Unified?"


def test_bad_question_is_one_line_and_exit_1(paths, capsys):
    assert cli.main(["ask", "   ", *paths]) == 1
    err = capsys.readouterr().err
    assert err.startswith("faqbot: error: the question is empty")
    assert "Traceback" not in err


def test_missing_corpus_is_a_clear_error(tmp_path, capsys):
    code = cli.main(["ask", "hello", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "index")])
    assert code == 1
    assert "faqbot: error:" in capsys.readouterr().err


def test_no_rebuild_refuses_a_missing_index(paths, capsys):
    assert cli.main(["ask", "hello there", "--no-rebuild", *paths]) == 1
    assert "faqbot index" in capsys.readouterr().err


def test_eval_prints_the_table_writes_the_report_and_gates_on_min_score(paths, tmp_path, capsys):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "q1",
                "question": "How do you define People Unified?",
                "kind": "paraphrase",
                "expected": [{"doc": "ci-faq.md", "question": "How do you define People Unified?"}],
            }
        )
        + "\n"
        + json.dumps({"id": "q2", "question": "lorem ipsum dolor sit amet", "kind": "ood", "expected": []})
        + "\n"
    )
    report = tmp_path / "report"
    assert cli.main(["eval", str(questions), "--report", str(report), *paths]) == 0
    out = capsys.readouterr().out
    assert "| paraphrase |" in out and "| **all** |" in out
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["metrics"]["items"] == 2 and metrics["metrics"]["score"] == 1.0
    assert (report / "report.md").read_text().startswith("# Evaluation")
    assert cli.main(["eval", str(questions), "--min-score", "1.01", *paths]) == cli.EXIT_BELOW_MIN_SCORE


def test_eval_file_errors_name_the_line(paths, tmp_path, capsys):
    questions = tmp_path / "broken.jsonl"
    questions.write_text('{"id": "q1", "question": "ok"}\n{"id": 5}\n')
    assert cli.main(["eval", str(questions), *paths]) == 1
    assert "broken.jsonl:2" in capsys.readouterr().err


def test_a_bad_setting_is_named(paths, monkeypatch, capsys):
    monkeypatch.setenv("FAQBOT_NO_ANSWER_THRESHOLD", "lots")
    assert cli.main(["ask", "hello there", *paths]) == 1
    assert "FAQBOT_NO_ANSWER_THRESHOLD" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, value",
    [
        ("FAQBOT_CORS_ORIGINS", '["https://a.example"'),  # broken JSON
        ("FAQBOT_TRUSTED_PROXIES", "[1, 2"),
        ("FAQBOT_THREADS", "several"),
        ("FAQBOT_TODAY", "2026-13-01"),
        ("FAQBOT_AUTO_REBUILD", "maybe"),
    ],
)
def test_every_bad_setting_is_one_line(paths, monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    for command in (["ask", "hello there", *paths], ["index", *paths]):
        assert cli.main(command) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("faqbot: error: ") and name in err and "\n" not in err, err


def test_a_comma_separated_cors_list_is_accepted(paths, monkeypatch, capsys):
    monkeypatch.setenv("FAQBOT_CORS_ORIGINS", "http://a.example, http://b.example")
    assert cli.main(["ask", "hello there", *paths]) == 0


# --------------------------------------------------------------------------- chat


def chat(monkeypatch, capsys, paths, lines: list[str], *extra: str) -> tuple[int, str, list[str]]:
    """Run `faqbot chat` on scripted input lines (Ctrl-D after the last); the exit code, the
    output and the lines that were left unread."""
    remaining = list(lines)

    def scripted_input(prompt: str = "") -> str:
        print(prompt, end="")
        if not remaining:
            raise EOFError
        return remaining.pop(0)

    monkeypatch.setattr("builtins.input", scripted_input)
    code = cli.main(["chat", *paths, *extra])
    return code, capsys.readouterr().out, remaining


@pytest.mark.parametrize("word", ["exit", "quit", "  QUIT  ", "Exit"])
def test_chat_ends_on_exit_and_quit_without_answering_them(monkeypatch, capsys, paths, word):
    code, out, unread = chat(monkeypatch, capsys, paths, [word, "How do you define People Unified?"])
    assert code == 0
    assert unread == ["How do you define People Unified?"]
    assert "Confidence:" not in out  # the word was not asked as a question


def test_chat_goes_on_after_an_empty_line_and_ends_on_ctrl_d(monkeypatch, capsys, paths):
    code, out, unread = chat(monkeypatch, capsys, paths, ["", "   ", "How do you define People Unified?"])
    assert code == 0 and unread == []
    assert "People Unified is a rebranding" in out
    assert out.count("you> ") == 4  # three lines, then Ctrl-D


def test_chat_reads_a_follow_up_against_the_previous_question_until_reset(monkeypatch, capsys, paths):
    lines = [
        "What is the base SKU price for new customers?",
        "and for existing ones?",
        "/reset",
        "and for existing ones?",
    ]
    code, out, _ = chat(monkeypatch, capsys, paths, lines)
    assert code == 0
    assert "$1,700" in out
    assert out.count("Understood as: What is the base SKU price for existing customers?") == 1
    assert "New conversation" in out
    before_reset = out.split("New conversation")[0]
    assert "$1,000" in before_reset and "Understood as" in before_reset


def test_chat_shows_the_handoff_on_a_no_answer_when_configured(monkeypatch, capsys, paths):
    monkeypatch.setenv("FAQBOT_HANDOFF_URL", "https://support.example.com/")
    _, out, _ = chat(monkeypatch, capsys, paths, ["What is the weather like on Mars tonight?"])
    assert "Contact support: https://support.example.com/" in out
