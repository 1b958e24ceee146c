"""FAQBot: validation, answer / no-answer decisions and the Answer record, on the fake embedder."""

from __future__ import annotations

import pytest

from faqbot import FAQBot, InvalidQuestion
from faqbot.answer.sources.retrieval import hedge_line
from faqbot.core.text import split_sentences


@pytest.fixture
def bot(settings, fake_embedder) -> FAQBot:
    return FAQBot.load(settings=settings, embedder=fake_embedder)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\x00\x01", "empty"),
        ("x" * 1001, "1001 characters long; the limit is 1000"),
        (None, "must be text"),
        (42, "must be text"),
    ],
)
def test_bad_questions_raise_a_clear_typed_error(bot, question, message):
    with pytest.raises(InvalidQuestion, match=message):
        bot.ask(question)


@pytest.mark.parametrize("top_k", [0, 11, -1, "3", 2.5, True])
def test_bad_top_k_raises(bot, top_k):
    with pytest.raises(InvalidQuestion, match="top_k"):
        bot.ask("How is the new Customer Insights licensed?", top_k=top_k)


def test_a_question_of_exactly_the_limit_is_accepted(bot):
    question = ("How do you define People Unified? " * 30)[:1000]
    assert bot.ask(question).question == question.strip()


def test_a_retrieval_answer_cites_its_passage_with_a_quote(bot):
    answer = bot.ask("  How do you define People Unified?  ")
    assert answer.kind == "retrieval"
    assert answer.question == "How do you define People Unified?"
    citation = answer.citations[0]
    passage = next(p for p in bot.index.passages if p.passage_id == citation.passage_id)
    assert citation.question == "How do you define People Unified?"
    assert answer.answer == passage.answer_markdown
    assert citation.source == "ci-faq.md" and citation.section == "Pricing and licensing"
    assert (citation.line_start, citation.line_end) == (passage.line_start, passage.line_end)
    assert citation.anchor == passage.anchor and citation.url == passage.url
    assert citation.quote in passage.answer_text
    assert any(citation.quote.startswith(sentence) for sentence in split_sentences(passage.answer_text))
    assert 0.0 <= answer.confidence <= 1.0
    assert {"encode", "search", "rules", "total"} <= set(answer.timings_ms)


def test_the_quote_is_the_sentence_that_matches_the_question(bot):
    answer = bot.ask("Can customers reduce capacity only on the agreement anniversary date?")
    assert "anniversary" in answer.citations[0].quote


def test_related_questions_exclude_the_cited_passages(bot):
    answer = bot.ask("How do you define People Unified?", top_k=1)
    cited = {c.passage_id for c in answer.citations}
    assert len(answer.citations) == 1
    assert answer.related and all(r.passage_id not in cited for r in answer.related)
    assert len(answer.related) <= bot.settings.related_count


def test_top_k_caps_the_citations(bot):
    for top_k in (1, 2, 3):
        assert len(bot.ask("People Unified and People Interacted capacity", top_k=top_k).citations) <= top_k


@pytest.mark.parametrize("top_k", [1, 3, 5, 10])
def test_top_k_returns_that_many_ranked_passages_the_answer_source_first(bot, top_k):
    question = "How do customers purchase more capacity?"
    answer, retrieval = bot.ask_traced(question, top_k=top_k)
    assert answer.kind == "retrieval"
    assert len(answer.citations) == min(top_k, len(bot.index.passages))
    ids = [c.passage_id for c in answer.citations]
    assert len(set(ids)) == len(ids)
    assert ids == [hit.passage.passage_id for hit in retrieval.hits[:top_k]]
    scores = [c.score for c in answer.citations]
    assert scores == sorted(scores, reverse=True)
    source = retrieval.hits[0].passage
    if answer.hedged:  # the fake embedder's confidence may fall below the sure threshold
        assert answer.answer == f"{hedge_line(source)}\n\n{source.answer_markdown}"
    else:
        assert answer.answer == source.answer_markdown


def test_nonsense_gets_an_honest_no_answer_with_suggestions(bot):
    answer = bot.ask("lorem ipsum dolor sit amet")
    assert answer.kind == "no_answer"
    assert answer.citations == []
    assert "couldn't find" in answer.answer
    assert answer.confidence < bot.settings.no_answer_threshold
    for suggestion in answer.related:
        assert suggestion.question in answer.answer


def test_the_threshold_is_a_setting(settings, fake_embedder):
    never = FAQBot.load(settings=settings.model_copy(update={"no_answer_threshold": 1.0}), embedder=fake_embedder)
    assert never.ask("How do you define People Unified?").kind == "no_answer"
    always = FAQBot.load(settings=settings.model_copy(update={"no_answer_threshold": 0.0}), embedder=fake_embedder)
    assert always.ask("lorem ipsum dolor sit amet").kind == "retrieval"


def test_answers_serialize_to_the_design_record(bot):
    data = bot.ask("How do you define People Unified?").model_dump(mode="json")
    design = {"question", "answer", "kind", "confidence", "citations", "related", "rule", "timings_ms"}
    assert set(data) == design | {"hedged"}  # one field added to the design record: additive
    assert set(data["citations"][0]) == {
        "passage_id",
        "doc_title",
        "section",
        "question",
        "quote",
        "source",
        "line_start",
        "line_end",
        "anchor",
        "url",
        "score",
    }


def test_a_repeated_question_is_answered_from_the_cache(bot, fake_embedder):
    first = bot.ask("How do you define People Unified?")
    calls = fake_embedder.calls
    again = bot.ask("  How do you define People Unified?  ")
    assert fake_embedder.calls == calls  # no second encode
    assert again.answer == first.answer and again.citations == first.citations
    assert "cache_hit" in again.timings_ms and "cache_hit" not in first.timings_ms
    assert bot.ask("How do you define People Unified?", top_k=1).timings_ms.get("cache_hit") is None


@pytest.mark.parametrize(
    ("message", "core"),
    [
        ("Hi, how do I extend the trial?", "how do I extend the trial?"),
        ("Hey team, how do I extend the trial? Cheers", "how do I extend the trial?"),
        ("Good morning! What is People Unified? Thanks in advance!", "What is People Unified?"),
        ("hello there - is it sold in Brazil? thank you", "is it sold in Brazil?"),
        ("good morning!", "good morning!"),  # only pleasantries: judged as is
        ("Highlights of the release?", "Highlights of the release?"),  # not a greeting
    ],
)
def test_pleasantries_are_not_searched(message, core):
    from faqbot.answer.pipeline import strip_pleasantries

    assert strip_pleasantries(message) == core


def test_a_greeting_does_not_change_the_answer(bot):
    plain = bot.ask("How do you define People Unified?")
    greeted = bot.ask("Hi team, how do you define People Unified? Thanks!")
    assert greeted.citations[0].passage_id == plain.citations[0].passage_id
    assert greeted.question == "Hi team, how do you define People Unified? Thanks!"


def test_invisible_characters_alone_are_an_empty_question(bot):
    with pytest.raises(InvalidQuestion, match="empty"):
        bot.ask("\u200b\u200d\ufeff \u202e")


# --------------------------------------------------------------------------- answer sources


def test_the_sources_follow_one_protocol_in_their_declared_order(bot):
    from faqbot.answer.sources import SOURCES, AnswerSource

    assert [f"{type(s).__module__}:{type(s).__name__}" for s in bot.sources] == list(SOURCES)
    assert all(isinstance(source, AnswerSource) for source in bot.sources)


def test_the_first_source_that_answers_wins_and_the_others_are_not_asked(bot):
    from faqbot.core.records import Answer

    class Canned:
        timing_key = None

        def answer(self, asked, retrieval):
            if "canned" not in asked.question:
                return None
            return Answer(question=asked.searched, answer="A canned answer.", kind="retrieval", confidence=1.0)

    bot.sources.insert(0, Canned())
    canned = bot.ask("Hi, is there a canned answer?")
    assert (canned.answer, canned.question, canned.kind) == (
        "A canned answer.",
        "Hi, is there a canned answer?",
        "retrieval",
    )
    assert "rules" not in canned.timings_ms  # the numeric rules after it were not asked
    assert bot.ask("How do you define People Unified?").kind == "retrieval"  # it passed


def test_when_no_source_answers_the_bot_says_so(bot):
    bot.sources.clear()
    answer = bot.ask("How do you define People Unified?")
    assert answer.kind == "no_answer" and answer.citations == [] and answer.related


def test_a_no_answer_carries_the_way_to_a_person_the_door_offers(bot):
    from faqbot.answer.handoff import Handoff

    handoff = Handoff(url="https://example.com/help", label="Contact support")
    assert bot.reply("lorem ipsum dolor sit amet", handoff=handoff).handoff == handoff
    assert bot.reply("lorem ipsum dolor sit amet").handoff is None
    answered = bot.reply("How do you define People Unified?", handoff=handoff)
    assert answered.answer.kind == "retrieval" and answered.handoff is None and answered.understood is None


@pytest.mark.parametrize(
    "name",
    [
        "pipeline",
        "conversation",
        "handoff",
        "rules.reading",
        "rules.intent",
        "rules.formatting",
        "sources.base",
    ],
)
def test_answer_module_doctests_pass(name: str) -> None:
    import doctest
    import importlib

    module = importlib.import_module(f"faqbot.answer.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
    assert result.attempted > 0
