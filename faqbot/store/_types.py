"""The store's records (shared by the protocol and every backend); its errors, defined in
`faqbot.core.errors`, are re-exported here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from faqbot.core.errors import StoreError, UnknownAnswer

__all__ = [
    "MAX_COMMENT_CHARS",
    "RATINGS",
    "BucketResult",
    "FeedbackEntry",
    "LoggedAnswer",
    "Rating",
    "StoreError",
    "StoreStats",
    "UnknownAnswer",
]

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class LoggedAnswer:
    """One row of the conversation log."""

    id: str
    created_at: dt.datetime
    channel: str
    question: str
    kind: str
    top_passage_id: str | None
    confidence: float
    latency_ms: float | None
    conversation_id: str | None = None
    understood: str | None = None
    """The question as the bot answered it, when it resolved a follow-up (else None)."""
    handoff: bool = False
    """Whether a way to a person was offered on this answer."""
    hedged: bool = False
    """Whether the answer was given as the closest entry, the bot not sure it answers."""


@dataclass(frozen=True)
class FeedbackEntry:
    """One thumbs up or down, with what it was about."""

    id: int
    created_at: dt.datetime
    answer_id: str | None
    question: str | None
    kind: str | None
    passage_id: str | None
    rating: str
    comment: str | None


@dataclass(frozen=True)
class BucketResult:
    """One take from a rate budget: whether a token was taken, the tokens left, and (when
    refused) the seconds until the next token."""

    taken: bool
    tokens: float
    wait_s: float


@dataclass(frozen=True)
class StoreStats:
    """Traffic over a period: questions, answered (hedged among them: given as the closest
    entry), no-answers, thumbs, handoffs (answers that offered a way to a person) and
    questions per day."""

    questions: int
    answered: int
    no_answer: int
    thumbs_up: int
    thumbs_down: int
    handoffs: int = 0
    hedged: int = 0
    by_day: dict[str, int] = field(default_factory=dict)
