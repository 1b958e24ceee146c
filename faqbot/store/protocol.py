"""`AnswerStore`: what the doors, the rate limiter and the reports need from a store.

Every backend implements this protocol and raises only `StoreError` when its
database fails (and `UnknownAnswer` for feedback on an answer it never logged).
`SqlStore` (SQLite, PostgreSQL) is the one implementation today; a new backend
is one new module with a class of these methods, plus its line in `open_store`.
Check one with `isinstance(store, AnswerStore)` (the protocol is runtime-checkable).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from faqbot.core.records import Answer
from faqbot.store._types import BucketResult, FeedbackEntry, LoggedAnswer, Rating, StoreStats

__all__ = ["AnswerStore"]


@runtime_checkable
class AnswerStore(Protocol):
    """What the doors, the rate limiter and the reports need from a store."""

    backend: str
    failures: int

    def ensure_schema(self) -> None:
        """Create or upgrade the tables now (to fail at start-up, not on first write)."""
        ...

    def close(self) -> None:
        """Release the connections; later use raises StoreError."""
        ...

    def describe(self) -> str:
        """The database, for logs and /api/ready, without any password."""
        ...

    def log_answer(
        self,
        answer: Answer,
        *,
        latency_ms: float | None = None,
        channel: str = "web",
        conversation_id: str | None = None,
        understood: str | None = None,
        handoff: bool = False,
        answer_id: str | None = None,
    ) -> str:
        """Log one answer (under `answer_id` when given, else a new id); its id."""
        ...

    def last_turn(self, conversation_id: str) -> LoggedAnswer | None:
        """The latest logged answer of a conversation, or None."""
        ...

    def mark_handoff(self, answer_id: str) -> bool:
        """Record that a way to a person was offered on a logged answer."""
        ...

    def add_feedback(
        self,
        rating: Rating,
        *,
        answer_id: str | None = None,
        question: str | None = None,
        kind: str | None = None,
        passage_id: str | None = None,
        comment: str | None = None,
    ) -> int:
        """Store a thumbs up or down (one per answer, the last counts); the feedback id."""
        ...

    def claim_delivery(self, *keys: str) -> bool:
        """True when none of `keys` was claimed before by any process on this store."""
        ...

    def take_token(self, key: str, capacity: int, refill_per_s: float) -> BucketResult:
        """Take one token from `key`'s rate budget, shared by every process on this store."""
        ...

    def conversations(
        self, *, kind: str | None = None, hedged: bool | None = None, limit: int | None = None
    ) -> list[LoggedAnswer]:
        """Logged answers, newest first (of one kind, hedged or not)."""
        ...

    def feedback(
        self, *, rating: Rating | None = None, answer_id: str | None = None, limit: int | None = None
    ) -> list[FeedbackEntry]:
        """Feedback, newest first."""
        ...

    def stats(self, *, days: int = 30) -> StoreStats:
        """Traffic over the last `days` days."""
        ...
