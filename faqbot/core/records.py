"""The records handed between pipeline stages, defined once.

Passages come from the corpus parser, facts from the fact extractor;
`Answer` (with its `Citation`s) is what every door of the product returns.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Passage(_Record):
    """One FAQ question with its answer, or a stretch of text outside any question.

    `passage_id` is `<doc-stem>#<slug>` and survives rebuilds as long as the
    question's wording does; `source` is the path relative to the corpus folder.
    """

    passage_id: str
    doc_title: str
    section: str | None
    question: str | None
    answer_markdown: str
    answer_text: str
    source: str
    line_start: int = Field(ge=1)
    line_end: int = Field(ge=1)
    anchor: str
    url: str | None = None


class Document(_Record):
    """A parsed FAQ markdown file."""

    source: str
    title: str
    url: str | None = None
    passages: tuple[Passage, ...]
    warnings: tuple[str, ...] = ()


class Citation(_Record):
    """Where an answer stands: the passage and the sentence(s) that carry it."""

    passage_id: str
    doc_title: str
    section: str | None
    question: str | None
    quote: str
    source: str
    line_start: int
    line_end: int
    anchor: str
    url: str | None = None
    score: float

    @classmethod
    def of(cls, passage: Passage, quote: str, score: float) -> Citation:
        """A citation of `passage` quoting `quote`."""
        return cls(
            passage_id=passage.passage_id,
            doc_title=passage.doc_title,
            section=passage.section,
            question=passage.question,
            quote=quote,
            source=passage.source,
            line_start=passage.line_start,
            line_end=passage.line_end,
            anchor=passage.anchor,
            url=passage.url,
            score=round(score, 4),
        )


class RelatedQuestion(_Record):
    """A question the corpus can answer, offered as a follow-up or suggestion."""

    passage_id: str
    question: str


class RuleTrace(_Record):
    """For rule answers: which rule fired, on what inputs, and the arithmetic shown."""

    name: str
    inputs: dict[str, str] = Field(default_factory=dict)
    steps: list[str] = Field(default_factory=list)


class Answer(_Record):
    """What the bot says to a question. Every door returns this record as is."""

    question: str
    answer: str
    kind: Literal["rule", "retrieval", "no_answer"]
    confidence: float = Field(ge=0.0, le=1.0)
    citations: list[Citation] = Field(default_factory=list)
    related: list[RelatedQuestion] = Field(default_factory=list)
    rule: RuleTrace | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    hedged: bool = False
    """A `retrieval` answer the bot is not sure of: the closest entry, introduced as such."""


class Fact(_Record):
    """A number or date stated in a passage, with what it is about.

    `text` is the figure exactly as the corpus writes it ("$1,700",
    "September 1, 2023", "10,000 People Interacted"); `sentence` is the sentence
    it stands in and `start`/`end` are the offsets of `text` in `sentence`.
    `clause` is the part of the sentence that belongs to this figure (so two
    dates in one sentence keep their own subjects), `subject` the noun phrase
    the figure is about when one is found, and `qualifiers` the phrases that
    narrow it ("for new Dynamics 365 customers").
    """

    kind: Literal["money", "date", "quantity"]
    text: str
    value: float | None = None
    currency: str | None = None
    period: str | None = None
    per: str | None = None
    unit: str | None = None
    date: dt.date | None = None
    subject: str = ""
    qualifiers: list[str] = Field(default_factory=list)
    clause: str
    sentence: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    passage_id: str
