"""Evaluation metrics and the eval file format."""

from __future__ import annotations

import doctest
import importlib
import json

import pytest

from faqbot import FAQBot
from faqbot.evaluate.evaluation import EvalFileError, evaluate, markdown_table, read_eval_file, summarize

from .fakes import item_result as result


def test_summarize_computes_each_metric():
    results = [
        result(rank=1, top1=True, latency_ms=10),
        result(rank=2, top1=False, answered_correctly=False, correct=False, latency_ms=20),
        result(rank=None, top1=False, got_kind="no_answer", answered_correctly=False, correct=False, latency_ms=30),
        result(rank=1, top1=True, must_contain_ok=False, correct=False, latency_ms=40),
        result(
            kind="ood",
            answerable=False,
            expected=[],
            rank=None,
            top1=False,
            got_kind="no_answer",
            answered_correctly=False,
            latency_ms=50,
        ),
        result(
            kind="ood",
            answerable=False,
            expected=[],
            rank=None,
            top1=False,
            answered_correctly=False,
            correct=False,
            latency_ms=60,
        ),
    ]
    metrics = summarize(results)
    assert metrics["items"] == 6 and metrics["answerable"] == 4 and metrics["out_of_domain"] == 2
    assert metrics["top1"] == 0.5
    assert metrics["recall@3"] == 0.75
    assert metrics["mrr"] == round((1 + 0.5 + 0 + 1) / 4, 4)
    assert metrics["answered_correctly"] == 0.5
    assert metrics["must_contain"] == 0.0
    assert metrics["no_answer_recall"] == 0.5
    assert metrics["no_answer_precision"] == 0.5  # one of the two no-answers was right
    assert metrics["false_no_answer_rate"] == 0.25
    assert metrics["score"] == round(2 / 6, 4)
    assert metrics["latency_p50_ms"] == 35.0


def test_hedged_answers_are_counted_apart_from_sure_ones():
    ood = {"kind": "ood", "answerable": False, "expected": [], "rank": None, "top1": False}
    results = [
        result(hedged=True),
        result(),
        result(),
        result(got_kind="no_answer", correct=False),
        result(**ood, got_kind="no_answer", correct=True),
        result(**ood, hedged=True, correct=False),  # answered, but as the closest entry
        result(**ood, correct=False),  # answered as sure: the confident wrong answer
    ]
    metrics = summarize(results)
    assert metrics["hedged"] == 0.25  # one of the four answerable
    assert metrics["ood_answered_as_sure"] == round(1 / 3, 4)
    assert metrics["no_answer_recall"] == round(1 / 3, 4)  # a hedge is not a no-answer


def test_summarize_of_nothing_has_no_figures():
    metrics = summarize([])
    assert metrics["items"] == 0 and metrics["top1"] is None and metrics["latency_p50_ms"] is None


def test_read_eval_file_reports_bad_lines(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Why?"}\n\nnot json\n')
    with pytest.raises(EvalFileError, match="q.jsonl:3"):
        read_eval_file(path)
    path.write_text("\n")
    with pytest.raises(EvalFileError, match="no questions"):
        read_eval_file(path)
    with pytest.raises(EvalFileError, match="cannot read"):
        read_eval_file(tmp_path / "missing.jsonl")


def test_the_dev_set_parses():
    from .conftest import DEV_SET

    items = read_eval_file(DEV_SET)
    assert len(items) == 64
    assert sum(not item.answerable for item in items) == 19
    assert all(group for item in items for group in item.must_contain)


def test_evaluate_scores_items_and_skips_unknown_documents(settings, fake_embedder, tmp_path):
    bot = FAQBot.load(settings=settings, embedder=fake_embedder)
    lines = [
        {
            "id": "hit",
            "question": "How do you define People Unified?",
            "kind": "paraphrase",
            "expected": [{"doc": "ci-faq.md", "question": "How do you define People Unified?"}],
            "must_contain": [["rebranding"], ["profile", "nothing"]],
        },
        {
            "id": "missing-text",
            "question": "How do you define People Unified?",
            "kind": "numeric",
            "expected": [{"doc": "ci-faq.md", "question": "How do you define People Unified?"}],
            "must_contain": [["$99,999"]],
        },
        {"id": "ood", "question": "lorem ipsum dolor sit amet", "kind": "ood", "expected": []},
        {
            "id": "elsewhere",
            "question": "How do I extend the trial?",
            "kind": "paraphrase",
            "expected": [{"doc": "data-trial-faq.md", "question": "How do I extend the trial?"}],
        },
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    report = evaluate(bot, read_eval_file(path))
    by_id = {item.id: item for item in report.items}
    assert report.skipped == ["elsewhere"]
    assert by_id["hit"].correct and by_id["hit"].top1 and by_id["hit"].must_contain_ok
    assert by_id["missing-text"].top1 and by_id["missing-text"].must_contain_ok is False
    assert not by_id["missing-text"].correct
    assert by_id["ood"].correct and by_id["ood"].got_kind == "no_answer"
    assert [item.id for item in report.failures] == ["missing-text"]
    table = markdown_table(report)
    assert table.splitlines()[-1].startswith("| **all** | 3 |")


def test_eval_cv_rejects_a_malformed_group(tmp_path, capsys):
    from faqbot.doors import cli

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "q1", "question": "anything", "expected": []}\n')
    assert cli.main(["eval", str(questions), "--cv", "doc", "--cv-group", "no-equals-sign"]) == 2
    assert "NAME=DIR" in capsys.readouterr().err
    missing = str(tmp_path / "missing")
    code = cli.main(
        ["eval", str(questions), "--cv", "doc", "--cv-group", f"x={missing}", "--cv-work", str(tmp_path / "w")]
    )
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


EVALUATE_MODULES = ["evaluation", "questions", "metrics", "sweep", "baseline", "render", "plots"]


@pytest.mark.parametrize("name", EVALUATE_MODULES)
def test_evaluate_module_doctests_pass(name: str) -> None:
    module = importlib.import_module(f"faqbot.evaluate.{name}")
    assert doctest.testmod(module).failed == 0


def test_evaluation_still_offers_every_name_it_exported() -> None:
    """The CLI, crossval, scripts and tests import these from faqbot.evaluate.evaluation."""
    evaluation = importlib.import_module("faqbot.evaluate.evaluation")
    wanted = {"EvalItem", "EvalFileError", "ItemResult", "Report", "evaluate", "read_eval_file", "summarize"}
    wanted |= {"compare", "load_baseline", "markdown_table", "write_report", "confusions", "recall_at_k"}
    wanted |= {"threshold_sweep", "passage_keys", "OUT_OF_DOMAIN", "TABLE_COLUMNS", "_key", "_dash"}
    assert wanted <= set(evaluation.__all__)
    assert all(getattr(evaluation, name) is not None for name in evaluation.__all__)
