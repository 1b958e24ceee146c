"""Plain retrieval as an answer source: the passage ranked first, when retrieval is confident.

Between the no-answer threshold and the sure threshold the answer is still given, since
most such answers are right, but as what it is: the closest entry of the FAQ, introduced
with a sentence that says the bot is not sure it answers the question (`Answer.hedged`).
Out-of-domain questions that share a product's words with its FAQ mostly land there
rather than among the plain answers (README, "Quality").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from faqbot.answer.sources.base import Asked
from faqbot.core.records import Answer, Passage

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.search.retrieve import Retrieval

HEDGE = "I'm not sure the FAQ answers exactly this. The closest entry I found is {entry}:"


def hedge_line(passage: Passage) -> str:
    """The sentence that introduces an answer the bot is not sure of.

    >>> from types import SimpleNamespace
    >>> print(hedge_line(SimpleNamespace(question="How long is the trial?", doc_title="FAQ", section=None)))
    I'm not sure the FAQ answers exactly this. The closest entry I found is "How long is the trial?":
    >>> print(hedge_line(SimpleNamespace(question=None, doc_title="Trial FAQ", section="Limits")))
    I'm not sure the FAQ answers exactly this. The closest entry I found is "Trial FAQ > Limits":
    """
    where = passage.question or " > ".join(part for part in (passage.doc_title, passage.section) if part)
    return HEDGE.format(entry=f'"{where}"')


class RetrievedPassage:
    """A `retrieval` answer: the top passage's answer, citing the `top_k` best-ranked passages
    (the answer's source first, each with its score); passes below the no-answer threshold,
    and hedges below the sure threshold."""

    timing_key: ClassVar[str | None] = None

    def __init__(self, bot: FAQBot) -> None:
        self.bot = bot

    def answer(self, asked: Asked, retrieval: Retrieval) -> Answer | None:
        if not retrieval.hits or retrieval.confidence < self.bot.settings.no_answer_threshold:
            return None
        top = retrieval.hits[0]
        cited = retrieval.hits[: asked.top_k]
        citations = [self.bot.cite(hit, retrieval.query_vector, asked.searched) for hit in cited]
        hedged = retrieval.confidence < self.sure_threshold()
        text = top.passage.answer_markdown
        return Answer(
            question=asked.searched,
            answer=f"{hedge_line(top.passage)}\n\n{text}" if hedged else text,
            kind="retrieval",
            confidence=round(retrieval.confidence, 4),
            citations=citations,
            related=self.bot.related(retrieval, exclude={hit.passage_index for hit in cited}),
            hedged=hedged,
        )

    def sure_threshold(self) -> float:
        """The setting, else the cut fitted with the model, else no hedging at all."""
        configured = self.bot.settings.sure_threshold
        if configured is not None:
            return configured
        return self.bot.retriever.model.sure_cut(self.bot.settings.no_answer_threshold)
