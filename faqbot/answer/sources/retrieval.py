"""Plain retrieval as an answer source: the passage ranked first, when retrieval is confident."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from faqbot.answer.sources.base import Asked
from faqbot.core.records import Answer

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.search.retrieve import Retrieval


class RetrievedPassage:
    """A `retrieval` answer: the top passage's answer, citing the `top_k` best-ranked passages
    (the answer's source first, each with its score); passes below the no-answer threshold."""

    timing_key: ClassVar[str | None] = None

    def __init__(self, bot: FAQBot) -> None:
        self.bot = bot

    def answer(self, asked: Asked, retrieval: Retrieval) -> Answer | None:
        if not retrieval.hits or retrieval.confidence < self.bot.settings.no_answer_threshold:
            return None
        top = retrieval.hits[0]
        cited = retrieval.hits[: asked.top_k]
        citations = [self.bot.cite(hit, retrieval.query_vector, asked.searched) for hit in cited]
        return Answer(
            question=asked.searched,
            answer=top.passage.answer_markdown,
            kind="retrieval",
            confidence=round(retrieval.confidence, 4),
            citations=citations,
            related=self.bot.related(retrieval, exclude={hit.passage_index for hit in cited}),
        )
