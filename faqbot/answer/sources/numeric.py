"""Numeric rules as an answer source: a price, a date or a quantity from the facts of the
corpus, exactly as written, with any arithmetic shown (faqbot/answer/rules/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from faqbot.answer.rules import RuleEngine
from faqbot.answer.sources.base import Asked

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.records import Answer
    from faqbot.search.retrieve import Retrieval


class NumericRules:
    """A `rule` answer (or a `no_answer` refusing a figure the FAQ does not give) for a numeric
    question; passes when the question asks for no figure or the evidence is weak."""

    timing_key: ClassVar[str | None] = "rules"

    def __init__(self, bot: FAQBot) -> None:
        self.bot = bot
        self.engine = RuleEngine(bot.retriever, today=bot.settings.today_or_now)

    def answer(self, asked: Asked, retrieval: Retrieval) -> Answer | None:
        threshold = self.bot.settings.no_answer_threshold
        answer = self.engine.answer(asked.searched, retrieval, min_confidence=threshold)
        if answer is None:
            return None
        cited = {c.passage_id for c in answer.citations}
        exclude = {hit.passage_index for hit in retrieval.hits if hit.passage.passage_id in cited}
        return answer.model_copy(update={"related": self.bot.related(retrieval, exclude=exclude)})
