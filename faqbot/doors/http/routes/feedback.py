"""`POST /api/feedback`: a thumbs up or down on an answer (one vote per answer, the last counts;
a thumbs-down carries the way to a person when one is configured)."""

from __future__ import annotations

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
from faqbot.store import StoreError, UnknownAnswer, warn_store_failure

__all__ = ["router"]

router = APIRouter()


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
        feedback_id = request.app.state.store.add_feedback(payload.rating, answer_id=payload.answer_id, comment=comment)
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
