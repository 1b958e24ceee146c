"""The JSON API's request and response models, its error body and the errors route code raises.

    >>> AskRequest(question="How is it licensed?").top_k
    3

Types are strict: `"3"` is not a `top_k` and `42` is not a question. The sentences a
client sees for invalid fields are written in `errors.py`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from faqbot.core.config import MAX_QUESTION_CHARS
from faqbot.core.records import Answer
from faqbot.store import MAX_COMMENT_CHARS

__all__ = [
    "ERROR_RESPONSES",
    "MAX_BODY_BYTES",
    "SLACK_RESPONSES",
    "ApiError",
    "AskRequest",
    "AskResponse",
    "ErrorBody",
    "FeedbackRequest",
    "FeedbackResponse",
    "HandoffLink",
]

MAX_BODY_BYTES = 64 * 1024
"""Request bodies of the JSON API above this size get 413 before they are read."""

API_PREFIX = "/api/"

QUESTION_PATTERN = "[^\\u0000-\\u0020\\u007f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class HandoffLink(BaseModel):
    """Where a visitor reaches a person (FAQBOT_HANDOFF_URL, FAQBOT_HANDOFF_LABEL)."""

    url: str
    label: str


class AskRequest(BaseModel):
    """A question for the bot. Types are strict: `"3"` is not a `top_k`, `42` is not a question."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "How is the new Customer Insights licensed?", "top_k": 3}]}
    )

    question: StrictStr = Field(
        description=f"The question, 1 to {MAX_QUESTION_CHARS} characters once control characters "
        "and leading and trailing white space are trimmed.",
        # For the schema only (the validator below decides): at least one character that is
        # neither white space (Python's str.isspace) nor a control character.
        json_schema_extra={"minLength": 1, "pattern": QUESTION_PATTERN},
    )
    top_k: StrictInt = Field(3, ge=1, le=10, description="The most citations to return (1 to 10).")
    conversation_id: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=CONVERSATION_ID_PATTERN,
        description="The `conversation_id` of the previous answer, so that a follow-up ('and for existing "
        "ones?') is read against it; none starts a new conversation.",
    )

    @field_validator("top_k", mode="before")
    @classmethod
    def _integral_number(cls, value: object) -> object:
        # JSON Schema counts 2.0 as an integer, and so do JavaScript clients; 2.5 and "2" stay errors.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("question")
    @classmethod
    def _question_length(cls, value: str) -> str:
        _require_unicode(value)
        length = len(value.strip())
        if length == 0:
            raise PydanticCustomError("question_empty", "the question is empty: type a question about the FAQ")
        if length > MAX_QUESTION_CHARS:
            raise PydanticCustomError(
                "question_too_long",
                "the question is {length} characters long; the limit is {limit}: please shorten it",
                {"length": length, "limit": MAX_QUESTION_CHARS},
            )
        return value


def _require_unicode(value: str) -> None:
    """Refuse text that JSON can carry but UTF-8 cannot: an unpaired surrogate such as "\\ud800".
    (It would fail later, when the log or the response is written.)"""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PydanticCustomError(
            "text_not_unicode",
            "the text holds an unpaired UTF-16 surrogate at character {position}: send valid Unicode text",
            {"position": error.start},
        ) from None


class AskResponse(Answer):
    """The `Answer` record, plus the id under which it was logged (null if logging failed)."""

    answer_id: str | None = Field(None, description="Send it back with /api/feedback.")
    conversation_id: str = Field(description="Send it with the next question of this conversation.")
    understood: str | None = Field(
        None, description="The question as answered, when the question was resolved as a follow-up."
    )
    handoff: HandoffLink | None = Field(
        None, description="A way to a person, on a no-answer or a request for one (when configured)."
    )


class FeedbackRequest(BaseModel):
    """A thumbs up or down on an answer that /api/ask returned."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answer_id": "3f2b9c0e8a4d4f7e9b1c2d3e4f5a6b7c", "rating": "up"}]}
    )

    answer_id: StrictStr = Field(min_length=1, max_length=64, description="`answer_id` from /api/ask.")
    rating: Literal["up", "down"]
    comment: StrictStr | None = Field(None, max_length=MAX_COMMENT_CHARS)

    @field_validator("answer_id", "comment")
    @classmethod
    def _unicode(cls, value: str | None) -> str | None:
        if value is not None:
            _require_unicode(value)
        return value


class FeedbackResponse(BaseModel):
    id: int
    answer_id: str
    rating: str
    handoff: HandoffLink | None = Field(None, description="A way to a person, after a thumbs-down (when configured).")


class ErrorBody(BaseModel):
    """Every error of the API: a sentence for a person, and details for a program."""

    error: str
    detail: Any = None


class ApiError(Exception):
    """Raised by route code; rendered as `{"error": message, "detail": detail}`."""

    def __init__(self, status: int, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "The body is not valid JSON",
        413: f"The body is over {MAX_BODY_BYTES // 1024} KiB",
        415: "The body is not JSON (Content-Type must be application/json)",
        422: "The JSON does not have the expected fields and types",
        429: "Too many requests from this client (when FAQBOT_RATE_LIMIT is set); see Retry-After",
        500: "A bug on the server (logged); the body holds an error id, never details",
        503: "The bot is not loaded yet",
    }.items()
}


# What the Slack routes answer besides 200 (documented here so that the schema is complete).
SLACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "The body is not UTF-8 form data, or not a JSON event",
        401: "No valid Slack signature, and no valid webhook token",
        413: "The body is too large",
        503: "Slack is not configured on this server (no signing secret, no webhook token)",
    }.items()
}
