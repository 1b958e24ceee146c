"""Answer sources: the ways FAQBot answers, behind one protocol (faqbot/answer/sources/base.py).

FAQBot asks its sources in the order of `SOURCES`; the first that answers wins, and when none
does, the question gets an honest no-answer with the nearest questions the FAQ answers.
Adding a source is one new module here with a class that follows `AnswerSource`, and one line
below ("module:Class", where it should run in the order).
"""

from __future__ import annotations

from faqbot.answer.sources.base import AnswerSource, Asked, Reply, SourceFactory, load_sources

__all__ = ["SOURCES", "AnswerSource", "Asked", "Reply", "SourceFactory", "load_sources"]

SOURCES: tuple[str, ...] = (
    "faqbot.answer.sources.handoff:PersonRequest",  # a request for a person: the way to one
    "faqbot.answer.sources.followup:FollowUp",  # a follow-up, read against the previous turn
    "faqbot.answer.sources.numeric:NumericRules",  # a figure from the corpus's facts, arithmetic shown
    "faqbot.answer.sources.retrieval:RetrievedPassage",  # the passage retrieval trusts
)
