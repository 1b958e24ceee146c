"""A request for a person as an answer source: when the door offers a way to a person
(`FAQBOT_HANDOFF_URL`) and the visitor asks for one ("Can I talk to a human?",
faqbot/answer/handoff.py), that way is the answer.

The answer is kind `no_answer` (the FAQ does not answer it, so it carries the handoff); the
passages the other sources would have cited are offered as suggestions only, since they merely
share words with the request ("people", "contact").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from faqbot.answer.handoff import asks_for_person
from faqbot.answer.sources.base import Asked, Reply
from faqbot.core.records import RelatedQuestion

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.search.retrieve import Retrieval

PERSON_MESSAGE = "You can reach a person here: {label}."


class PersonRequest:
    """Answers a request for a person with the way to one; passes on any other question, and
    when the door offers no way to a person."""

    timing_key: ClassVar[str | None] = None

    def __init__(self, bot: FAQBot) -> None:
        self.bot = bot

    def answer(self, asked: Asked, retrieval: Retrieval) -> Reply | None:
        if asked.handoff is None or not asks_for_person(asked.question):
            return None
        # What the other sources would answer (the bot asked again without the handoff).
        underlying = self.bot.reply(asked.question, top_k=asked.top_k, previous=asked.previous)
        answer = underlying.answer
        suggestions = answer.related
        if answer.kind != "no_answer":
            suggestions = [
                RelatedQuestion(passage_id=c.passage_id, question=c.question) for c in answer.citations if c.question
            ]
        text = PERSON_MESSAGE.format(label=asked.handoff.label)
        update = {"answer": text, "kind": "no_answer", "citations": [], "rule": None, "related": suggestions}
        return Reply(answer.model_copy(update=update), understood=underlying.understood)
