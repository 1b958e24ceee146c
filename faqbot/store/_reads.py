"""The store's reads: the conversation log, feedback and traffic stats, as SQL over one connection.

`SqlStore` opens the transaction (and turns database failures into StoreError);
these functions only build the statements and the records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from faqbot.store._types import FeedbackEntry, LoggedAnswer, Rating, StoreStats

__all__ = [
    "LOGGED_COLUMNS",
    "conversations_query",
    "feedback_entry",
    "feedback_query",
    "logged_answer",
    "read_stats",
    "with_limit",
]

LOGGED_COLUMNS = (
    "id, created_at, channel, question, kind, top_passage_id, confidence, latency_ms, conversation_id, understood,"
    " handoff, hedged"
)
_FEEDBACK_COLUMNS = "id, created_at, answer_id, question, kind, passage_id, rating, comment"


def with_limit(sql: str, params: dict[str, object], limit: int | None) -> tuple[str, dict[str, object]]:
    """`sql` with a LIMIT when `limit` is given (a non-negative integer, else ValueError)."""
    if limit is None:
        return sql, params
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
    return sql + " LIMIT :limit", {**params, "limit": limit}


def conversations_query(
    *, kind: str | None = None, conversation_id: str | None = None, hedged: bool | None = None
) -> tuple[str, dict[str, object]]:
    """Logged answers, newest first, of one `kind`, one conversation and/or hedged or not."""
    clauses: list[str] = []
    params: dict[str, object] = {}
    if kind is not None:
        clauses.append("kind = :kind")
        params["kind"] = kind
    if hedged is not None:
        clauses.append("hedged = :hedged")
        params["hedged"] = int(hedged)
    if conversation_id is not None:
        clauses.append("conversation_id = :conversation_id")
        params["conversation_id"] = conversation_id
    return _select("conversations", LOGGED_COLUMNS, clauses) + " ORDER BY created_at DESC, id DESC", params


def feedback_query(*, rating: Rating | None = None, answer_id: str | None = None) -> tuple[str, dict[str, object]]:
    """Feedback, newest first, with one `rating` and/or on one answer."""
    clauses: list[str] = []
    params: dict[str, object] = {}
    if rating is not None:
        clauses.append("rating = :rating")
        params["rating"] = rating
    if answer_id is not None:
        clauses.append("answer_id = :answer_id")
        params["answer_id"] = answer_id
    return _select("feedback", _FEEDBACK_COLUMNS, clauses) + " ORDER BY created_at DESC, id DESC", params


def _select(table: str, columns: str, clauses: list[str]) -> str:
    sql = f"SELECT {columns} FROM {table}"
    return sql + (" WHERE " + " AND ".join(clauses) if clauses else "")


def logged_answer(row: Any) -> LoggedAnswer:
    """A row of `conversations` (LOGGED_COLUMNS) as a record."""
    return LoggedAnswer(
        id=row.id,
        created_at=dt.datetime.fromisoformat(row.created_at),
        channel=row.channel,
        question=row.question,
        kind=row.kind,
        top_passage_id=row.top_passage_id,
        confidence=row.confidence,
        latency_ms=row.latency_ms,
        conversation_id=row.conversation_id,
        understood=row.understood,
        handoff=bool(row.handoff),
        hedged=bool(row.hedged),
    )


def feedback_entry(row: Any) -> FeedbackEntry:
    """A row of `feedback` as a record."""
    return FeedbackEntry(
        id=row.id,
        created_at=dt.datetime.fromisoformat(row.created_at),
        answer_id=row.answer_id,
        question=row.question,
        kind=row.kind,
        passage_id=row.passage_id,
        rating=row.rating,
        comment=row.comment,
    )


def read_stats(connection: Connection, since: str) -> StoreStats:
    """Counts of the answers and votes logged at or after `since` (ISO 8601, UTC)."""
    by_day = connection.execute(
        sa.text(
            "SELECT substr(created_at, 1, 10) AS day, count(*) AS questions,"
            " sum(CASE WHEN kind = 'no_answer' THEN 1 ELSE 0 END) AS no_answer,"
            " sum(CASE WHEN handoff = 1 THEN 1 ELSE 0 END) AS handoffs,"
            " sum(CASE WHEN hedged = 1 THEN 1 ELSE 0 END) AS hedged"
            " FROM conversations WHERE created_at >= :since GROUP BY substr(created_at, 1, 10) ORDER BY day"
        ),
        {"since": since},
    ).all()
    votes: dict[str, int] = {
        str(row.rating): int(row.votes)
        for row in connection.execute(
            sa.text("SELECT rating, count(*) AS votes FROM feedback WHERE created_at >= :since GROUP BY rating"),
            {"since": since},
        ).all()
    }
    questions = sum(row.questions for row in by_day)
    no_answer = sum(int(row.no_answer) for row in by_day)
    return StoreStats(
        questions=questions,
        answered=questions - no_answer,
        no_answer=no_answer,
        thumbs_up=votes.get("up", 0),
        thumbs_down=votes.get("down", 0),
        handoffs=sum(int(row.handoffs) for row in by_day),
        hedged=sum(int(row.hedged) for row in by_day),
        by_day={row.day: int(row.questions) for row in by_day},
    )
