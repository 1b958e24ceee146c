"""`POST /api/feedback`: a thumbs up or down on an answer (one vote per answer, the last counts;
a thumbs-down carries the way to a person when one is configured)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request

from faqbot.doors.http.errors import require_json
from faqbot.doors.http.models import (
    ERROR_RESPONSES,
    ApiError,
    ErrorBody,
    FeedbackRequest,
    FeedbackResponse,
    HandoffLink,
)
from faqbot.store import AnswerStore, Rating, StoreError, UnknownAnswer, warn_store_failure

__all__ = ["UNKNOWN_ANSWER_RETRY_S", "add_feedback", "router"]

router = APIRouter()

UNKNOWN_ANSWER_RETRY_S = (0.05, 0.1, 0.2, 0.3, 0.35)
"""The pauses before looking again for an answer id the log does not hold yet (1 s in all)."""
_ISSUED_ID = re.compile(r"[0-9a-f]{32}")


@router.post(
    "/api/feedback",
    status_code=201,
    response_model=FeedbackResponse,
    responses={**ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "Unknown answer_id"}},
    dependencies=[Depends(require_json)],
    tags=["api"],
    summary="Rate an answer",
)
def feedback(payload: FeedbackRequest, request: Request) -> FeedbackResponse:
    """Store a thumbs up or down (and an optional comment) on an answer from /api/ask."""
    comment = (payload.comment or "").strip() or None
    try:
        feedback_id = add_feedback(request.app.state.store, payload.rating, payload.answer_id, comment)
    except UnknownAnswer as error:
        raise ApiError(
            404,
            "There is no answer with this answer_id: send the answer_id that /api/ask returned.",
            {"answer_id": payload.answer_id},
        ) from error
    except StoreError as error:
        warn_store_failure("feedback not saved", error)
        raise ApiError(
            503, "The feedback could not be saved right now (the database is unavailable). Please try again."
        ) from error
    handoff = request.app.state.conversations.handoff if payload.rating == "down" else None
    if handoff is not None:
        try:
            request.app.state.store.mark_handoff(payload.answer_id)
        except StoreError as error:  # the vote is saved; only the handoff count misses one
            warn_store_failure("handoff not counted", error)
    return FeedbackResponse(
        id=feedback_id,
        answer_id=payload.answer_id,
        rating=payload.rating,
        handoff=HandoffLink(**handoff.as_dict()) if handoff else None,
    )


def add_feedback(
    store: AnswerStore,
    rating: Rating,
    answer_id: str,
    comment: str | None,
    *,
    pauses: tuple[float, ...] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`store.add_feedback` on a logged answer, looking again a few times (`pauses`, about 1 s
    in all) before giving up with UnknownAnswer.

    Answers are logged without waiting for the row (`faqbot.store.LogWriter`): the answer
    reaches the visitor a moment before its row is committed. This process's own rows are
    waited for by the store itself; but a thumbs-up may reach another replica before the
    replica that answered has written the row (a window of a millisecond or so), so an id
    shaped like the ones /api/ask hands out (32 hex digits) is looked for again a few times
    before the 404. Any other id is unknown at once.
    """
    pauses = UNKNOWN_ANSWER_RETRY_S if pauses is None else pauses
    if not _ISSUED_ID.fullmatch(answer_id):
        pauses = ()
    for pause in (*pauses, None):
        try:
            return store.add_feedback(rating, answer_id=answer_id, comment=comment)
        except UnknownAnswer:
            if pause is None:
                raise
            sleep(pause)
    raise AssertionError("unreachable")
