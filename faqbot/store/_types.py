"""The store's records and errors (shared by the protocol and every backend)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
MAX_COMMENT_CHARS = 2000


class StoreError(Exception):
    """The database failed (down, unreachable, full, locked too long, closed). Callers on a
    request path degrade instead: answer without logging, fall back to process memory."""


class UnknownAnswer(LookupError):
    """Feedback named an answer id that the log does not hold."""


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
    """Traffic over a period: questions, answered, no-answers, thumbs, handoffs (answers that
    offered a way to a person) and questions per day."""

    questions: int
    answered: int
    no_answer: int
    thumbs_up: int
    thumbs_down: int
    handoffs: int = 0
    by_day: dict[str, int] = field(default_factory=dict)
