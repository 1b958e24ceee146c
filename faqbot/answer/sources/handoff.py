"""A request for a person as an answer source: when the door offers a way to a person
(`FAQBOT_HANDOFF_URL`) and the visitor asks for one ("Can I talk to a human?",
faqbot/answer/handoff.py), that way is the answer.

The answer is kind `no_answer` (the FAQ does not answer it, so it carries the handoff); the
passages the other sources would have cited are offered as suggestions only, since they merely
share words with the request ("people", "contact").

A message that also asks something else ("How do I buy more capacity, and who do we talk to if
not sure?") gets the answer to that, when the bot is sure of it, with the way to a person beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from faqbot.answer.handoff import asks_for_person
from faqbot.answer.rules.reading import split_parts
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
        if also_asks_something_else(asked.question) and answer.kind != "no_answer" and not answer.hedged:
            return Reply(answer, understood=underlying.understood, handoff=asked.handoff)
        suggestions = answer.related
        if answer.kind != "no_answer":
            suggestions = [
                RelatedQuestion(passage_id=c.passage_id, question=c.question) for c in answer.citations if c.question
            ]
        text = PERSON_MESSAGE.format(label=asked.handoff.label)
        update = {
            "answer": text,
            "kind": "no_answer",
            "citations": [],
            "rule": None,
            "related": suggestions,
            "hedged": False,
        }
        return Reply(answer.model_copy(update=update), understood=underlying.understood)


def also_asks_something_else(question: str) -> bool:
    """True when a part of the message is a question that does not ask for a person.

    >>> also_asks_something_else("How do I buy more capacity, and who do we talk to if not sure?")
    True
    >>> also_asks_something_else("I need to talk to somebody about my quota")
    False
    """
    parts = split_parts(question)
    return len(parts) > 1 and any(not asks_for_person(part) for part in parts)
