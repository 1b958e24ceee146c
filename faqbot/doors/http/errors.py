"""Errors as the API answers them: `{"error": "<a sentence for a person>", "detail": ...}`.

    >>> error_response(404, "There is nothing here.").status_code
    404

Domain and framework errors are translated here (`install_error_handlers`): `ApiError`
from route code as it says; `StoreError` -> 503; an invalid body -> 400 (not JSON),
415 (not declared JSON) or 422 (fields, each described in a sentence); other HTTP
errors -> JSON for the API, the error page for a browser. Bugs are the catch-all
middleware's (see middleware.py).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from faqbot.doors.http.faq_pages import TEMPLATES, not_found_page, page_context
from faqbot.doors.http.models import API_PREFIX, MAX_BODY_BYTES, ApiError
from faqbot.store import MAX_COMMENT_CHARS, StoreError, warn_store_failure

__all__ = ["BodyTooLarge", "error_response", "install_error_handlers", "require_json", "wants_html"]

EXAMPLE_BODY = '{"question": "How is the new Customer Insights licensed?"}'


def error_response(
    status: int, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The API's error body, with `status` and `headers`."""
    return JSONResponse({"error": message, "detail": jsonable_encoder(detail)}, status_code=status, headers=headers)


class BodyTooLarge(StarletteHTTPException):
    """A request body over the cap (raised while it is read, see middleware.BodyCap)."""

    # An HTTPException so that FastAPI, reading the body, passes it on instead of turning it into a 400.
    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(413, f"The request body is too large: the limit is {limit // 1024} KiB.")
        self.limit = limit


def too_large_response(exc: BodyTooLarge) -> JSONResponse:
    return error_response(413, str(exc.detail), {"limit_bytes": exc.limit})


def wants_html(request: Request) -> bool:
    """A browser asking for a page (GET or HEAD accepting HTML), not a program."""
    accept = request.headers.get("accept", "")
    return request.method in ("GET", "HEAD") and ("text/html" in accept or "*/*" in accept or not accept)


# --------------------------------------------------------------------------- invalid bodies


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else _json_type(value)
    return text if len(text) <= 40 else text[:37] + "..."


_FIELD_HINTS = {
    "question": "a JSON string (text)",
    "top_k": "a whole number from 1 to 10",
    "answer_id": "the answer_id that /api/ask returned (text)",
    "conversation_id": "the conversation_id that /api/ask returned (letters, digits, '_', '.', ':', '-'; "
    "at most 64), or null",
    "rating": '"up" or "down"',
    "comment": f"text of at most {MAX_COMMENT_CHARS} characters",
}


def _describe(error: dict[str, Any]) -> tuple[str, str | None]:
    """A sentence for one pydantic error, and the field it is about."""
    loc = [part for part in error.get("loc", ()) if part != "body"]
    kind = error.get("type", "")
    given = error.get("input")
    if not loc:
        if kind == "missing":
            return f"The request body is empty: send a JSON object such as {EXAMPLE_BODY}.", None
        return (
            f"The request body must be a JSON object such as {EXAMPLE_BODY}, not {_json_type(given)}.",
            None,
        )
    name = str(loc[0])
    shown = ".".join(str(part) for part in loc)
    if kind == "missing":
        return f"`{shown}` is missing: it is required.", name
    if kind in ("question_empty", "question_too_long", "text_not_unicode"):
        return f"`{shown}`: {error['msg']}.", name
    hint = _FIELD_HINTS.get(name)
    if hint is not None and kind != "string_too_long":
        return f"`{shown}` must be {hint}, not {_shown(given)}.", name
    return f"`{shown}`: {error.get('msg', 'invalid value')}.", name


def _content_type_is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _not_json(content_type: str | None) -> ApiError:
    return ApiError(
        415,
        "The request body must be JSON, sent with the header Content-Type: application/json"
        + (f" (got {content_type!r})." if content_type else " (no Content-Type was sent)."),
        {"content_type": content_type},
    )


async def require_json(request: Request) -> None:
    """415 unless the body is declared JSON (a route dependency: runs before the body is validated)."""
    content_type = request.headers.get("content-type")
    if not _content_type_is_json(content_type):
        raise _not_json(content_type)


def _invalid_json(error: dict[str, Any]) -> Response:
    ctx = error.get("ctx") or {}
    position = error.get("loc", ("body", None))[-1]
    reason = ctx.get("error", "JSON decode error")
    where = f" at character {position}" if isinstance(position, int) else ""
    return error_response(
        400,
        f"The request body is not valid JSON ({reason}{where}). Send a JSON object such as {EXAMPLE_BODY}.",
        {"reason": reason, "position": position},
    )


def _invalid_fields(errors: list[dict[str, Any]]) -> Response:
    described = [_describe(e) for e in errors]
    details = [
        {"field": name, "message": message, "type": e.get("type")}
        for (message, name), e in zip(described, errors, strict=True)
    ]
    messages = list(dict.fromkeys(message for message, _ in described))
    summary = messages[0]
    if len(messages) > 1:
        summary = f"The request has {len(messages)} problems: " + " ".join(messages)
    return error_response(422, summary, details)


# --------------------------------------------------------------------------- the handlers


async def _api_error(request: Request, exc: ApiError) -> Response:
    return error_response(exc.status, exc.message, exc.detail)


async def _store_error(request: Request, exc: StoreError) -> Response:
    # A page that reads the store (/admin) while the database is down: unavailable, not a bug.
    warn_store_failure(f"{request.url.path} unavailable", exc)
    return error_response(
        503, "The database is unavailable right now. Please try again shortly.", None, headers={"Retry-After": "5"}
    )


async def _body_too_large(request: Request, exc: BodyTooLarge) -> Response:
    return too_large_response(exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    content_type = request.headers.get("content-type")
    if not _content_type_is_json(content_type):
        # A body FastAPI did not parse as JSON: say so, not that fields are missing.
        error = _not_json(content_type)
        return error_response(error.status, error.message, error.detail)
    broken = [e for e in errors if e.get("type") == "json_invalid"]
    if broken:
        return _invalid_json(broken[0])
    return _invalid_fields(errors)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    headers = getattr(exc, "headers", None)
    if not request.url.path.startswith(API_PREFIX) and wants_html(request):
        if exc.status_code == 404:
            return not_found_page(request)
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            page_context(request, title=f"Error {exc.status_code}", message=str(exc.detail)),
            status_code=exc.status_code,
            headers=headers,
        )
    messages = {
        400: "The request could not be read.",
        404: f"There is nothing at {request.url.path}.",
        405: f"{request.method} is not allowed on {request.url.path}.",
    }
    message = messages.get(exc.status_code, str(exc.detail))
    if exc.status_code == 405 and headers and "allow" in {k.lower() for k in headers}:
        allow = next(v for k, v in headers.items() if k.lower() == "allow")
        message += f" Use {allow}."
    return error_response(exc.status_code, message, exc.detail, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the translations above on `app` (the most specific exception type wins)."""
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(BodyTooLarge, _body_too_large)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
