"""Hedged answers: between the no-answer threshold and the sure threshold the bot gives the
closest entry and says it is not sure; above it, the answer plainly; below, no answer."""

from __future__ import annotations

import pytest

from faqbot import FAQBot
from faqbot.answer.sources.retrieval import hedge_line
from faqbot.search.index import build_index, load_index

QUESTION = "How do customers purchase more capacity?"


@pytest.fixture
def index(settings, fake_embedder):
    build_index(settings, fake_embedder)
    return load_index(settings.index_dir)


def _bot(index, embedder, settings, **changes) -> FAQBot:
    return FAQBot(index, embedder, settings.model_copy(update=changes))


def test_below_the_sure_threshold_the_closest_entry_is_given_as_uncertain(index, fake_embedder, settings):
    plain = _bot(index, fake_embedder, settings, sure_threshold=settings.no_answer_threshold)
    answer, retrieval = plain.ask_traced(QUESTION, top_k=3)
    assert answer.kind == "retrieval" and not answer.hedged
    # The same question, with the sure threshold just above its confidence.
    unsure = _bot(index, fake_embedder, settings, sure_threshold=min(1.0, answer.confidence + 0.01))
    hedged = unsure.ask(QUESTION, top_k=3)
    assert hedged.kind == "retrieval" and hedged.hedged
    source = retrieval.hits[0].passage
    assert hedged.answer.startswith("I'm not sure the FAQ answers exactly this.")
    assert f'"{source.question}"' in hedged.answer.split("\n\n", 1)[0]  # it names the entry it gives
    assert hedged.answer.endswith(source.answer_markdown)
    # Citations, confidence and suggestions are those of the plain answer.
    assert hedged.citations == answer.citations and hedged.confidence == answer.confidence


def test_at_or_above_the_sure_threshold_the_answer_is_plain(index, fake_embedder, settings):
    probe = _bot(index, fake_embedder, settings, sure_threshold=settings.no_answer_threshold).ask(QUESTION)
    sure = _bot(index, fake_embedder, settings, sure_threshold=probe.confidence).ask(QUESTION)
    assert not sure.hedged and sure.answer == probe.answer


def test_without_a_setting_the_fitted_cut_decides(index, fake_embedder, settings):
    bot = _bot(index, fake_embedder, settings)
    fitted = bot.retriever.model.sure_threshold
    assert fitted is not None
    answer = bot.ask(QUESTION)
    assert answer.kind == "retrieval" and answer.hedged == (answer.confidence < fitted)


def test_no_answers_and_rule_answers_are_never_hedged(index, fake_embedder, settings):
    bot = _bot(index, fake_embedder, settings, sure_threshold=1.0)  # hedge every retrieval answer
    assert not bot.ask("lorem ipsum dolor sit amet").hedged
    rule = bot.ask("How much does the base SKU cost for new customers per month?")
    assert rule.kind == "rule" and not rule.hedged  # an exact figure from a cited sentence


def test_a_section_passage_is_named_by_its_heading():
    from types import SimpleNamespace

    line = hedge_line(SimpleNamespace(question=None, doc_title="Trial FAQ", section="Limits"))
    assert line.endswith('"Trial FAQ > Limits":')
