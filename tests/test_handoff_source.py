"""The request-for-a-person answer source (faqbot/answer/sources/handoff.py), on the fake embedder:
with a way to a person offered, a request for one is answered with it; otherwise it passes."""

from __future__ import annotations

import pytest

from faqbot.answer.handoff import Handoff
from faqbot.answer.pipeline import FAQBot
from faqbot.answer.sources import Asked
from faqbot.answer.sources.handoff import PERSON_MESSAGE, PersonRequest

HANDOFF = Handoff(url="https://example.com/help", label="Talk to us")


@pytest.fixture
def bot(settings, fake_embedder) -> FAQBot:
    return FAQBot.load(settings=settings, embedder=fake_embedder)


def test_it_runs_first(bot):
    assert isinstance(bot.sources[0], PersonRequest)


@pytest.mark.parametrize("question", ["Can I talk to a person?", "Hi, agent please", "How do I contact support?"])
def test_a_request_for_a_person_is_answered_with_the_way_to_one(bot, question):
    reply = bot.reply(question, handoff=HANDOFF)
    answer = reply.answer
    assert answer.answer == PERSON_MESSAGE.format(label="Talk to us")
    assert (answer.kind, answer.citations, answer.rule, answer.question) == ("no_answer", [], None, question)
    assert reply.handoff == HANDOFF
    # What the other sources would have cited is offered as suggestions only.
    underlying = bot.reply(question)
    cited = [c.question for c in underlying.answer.citations if c.question]
    offered = cited if underlying.answer.kind != "no_answer" else [r.question for r in underlying.answer.related]
    assert [r.question for r in answer.related] == offered


def test_without_a_way_to_a_person_or_a_request_for_one_it_passes(bot):
    assert bot.reply("Can I talk to a person?").answer.answer != PERSON_MESSAGE.format(label="Talk to us")
    topic = bot.reply("How do you define People Unified?", handoff=HANDOFF)
    assert topic.answer.kind == "retrieval" and topic.handoff is None
    request = "Can I talk to a person?"
    assert PersonRequest(bot).answer(Asked(request, request), bot.retriever.search(request)) is None


def test_a_question_that_also_asks_for_a_person_gets_its_answer_and_the_way_to_one(settings, fake_embedder):
    sure = FAQBot.load(settings=settings.model_copy(update={"sure_threshold": 0.35}), embedder=fake_embedder)
    question = "How do customers purchase more capacity, and who do we talk to if not sure?"
    reply = sure.reply(question, handoff=HANDOFF)
    alone = sure.reply("How do customers purchase more capacity?")
    assert reply.answer.kind == alone.answer.kind == "retrieval"
    assert reply.answer.citations[0].passage_id == alone.answer.citations[0].passage_id
    assert reply.answer.answer != PERSON_MESSAGE.format(label="Talk to us")
    assert reply.handoff == HANDOFF  # the way to a person comes with the answer
    # Unsure of the answer, the bot gives the way to a person instead (a no-answer, never hedged).
    unsure = FAQBot.load(settings=settings.model_copy(update={"sure_threshold": 1.0}), embedder=fake_embedder)
    instead = unsure.reply(question, handoff=HANDOFF).answer
    assert instead.answer == PERSON_MESSAGE.format(label="Talk to us") and instead.kind == "no_answer"
    assert not instead.hedged


def test_a_request_for_a_person_about_a_topic_is_still_a_request(bot):
    reply = bot.reply("I need to talk to somebody about my People Unified quota", handoff=HANDOFF)
    assert reply.answer.answer == PERSON_MESSAGE.format(label="Talk to us") and reply.handoff == HANDOFF
