"""`POST /api/ask`: a question in, the answer with its citations out (asked and logged by the
app's `ConversationDesk`, the one ask-and-log path every door shares)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from faqbot.core.errors import InvalidQuestion
from faqbot.doors.http.errors import require_json
from faqbot.doors.http.lifecycle import ready_bot
from faqbot.doors.http.models import ERROR_RESPONSES, ApiError, AskRequest, AskResponse

__all__ = ["router"]

router = APIRouter()


@router.post(
    "/api/ask",
    response_model=AskResponse,
    responses=ERROR_RESPONSES,
    dependencies=[Depends(require_json)],
    tags=["api"],
    summary="Ask a question",
)
def ask(payload: AskRequest, request: Request) -> JSONResponse:
    """Answer a question from the FAQ, with citations and related questions.

    `kind` is `retrieval` (an FAQ answer), `rule` (an exact figure) or
    `no_answer` (the FAQ does not say; `related` holds the closest questions).
    Send `conversation_id` back with the next question: a follow-up ("and for
    existing ones?") is then read against this one, and `understood` says how.
    """
    faq_bot = ready_bot(request.app)
    try:
        # With the store down the visitor still gets the answer; only the log (and thumbs on
        # it) is lost, warned about and counted in /api/ready; the conversation falls back
        # to this process's memory.
        turn = request.app.state.conversations.ask(
            faq_bot,
            request.app.state.store,
            payload.question,
            conversation_id=payload.conversation_id,
            top_k=payload.top_k,
            channel="web",
        )
    except InvalidQuestion as error:
        raise ApiError(422, f"`question`: {error}.", [{"field": "question", "message": str(error)}]) from error
    return JSONResponse(
        {
            **turn.answer.model_dump(mode="json"),
            "answer_id": turn.answer_id,
            "conversation_id": turn.conversation_id,
            "understood": turn.understood,
            "handoff": turn.handoff.as_dict() if turn.handoff else None,
        }
    )
