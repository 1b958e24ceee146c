"""Who is let in, and reading the request: body size, Slack's signature, the webhook token.

request has X-Slack-Signature / X-Slack-Request-Timestamp
    -> judged by the signature alone (slack_sdk's SignatureVerifier: HMAC-SHA256 of
       `v0:{timestamp}:{body}`, timestamp within 5 minutes); no signing secret -> 401
request has neither header (Mattermost)
    -> form field `token` must equal FAQBOT_WEBHOOK_TOKEN (constant-time compare), else 401
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import JSONResponse
from slack_sdk.signature import SignatureVerifier

__all__ = [
    "MAX_BODY_BYTES",
    "TIMESTAMP_TOLERANCE_S",
    "Rejected",
    "check_token",
    "is_slack_signed",
    "parse_form",
    "read_body",
    "secret",
    "verify_signature",
]

MAX_BODY_BYTES = 64 * 1024
"""Slack's payloads are a few kB; a body past this gets 413 without being read whole."""
TIMESTAMP_TOLERANCE_S = 5 * 60
"""Slack's replay window, the same one `SignatureVerifier` enforces."""

_SIGNATURE_HEADERS = ("x-slack-signature", "x-slack-request-timestamp")


class Rejected(Exception):
    """A request turned away: status code and a sentence for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused (413) past `limit` bytes without reading it whole."""
    length = request.headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > limit:
        raise Rejected(413, f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def is_slack_signed(headers: Mapping[str, str]) -> bool:
    """Whether the request carries either of Slack's signature headers."""
    return any(name in headers for name in _SIGNATURE_HEADERS)


def verify_signature(verifier: SignatureVerifier | None, body: bytes, headers: Mapping[str, str]) -> None:
    """Raise Rejected(401) unless Slack signed this body within the last five minutes."""
    if verifier is None:
        raise Rejected(
            401, "This server does not accept Slack-signed requests: FAQBOT_SLACK_SIGNING_SECRET is not set."
        )
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise Rejected(401, "Missing X-Slack-Signature or X-Slack-Request-Timestamp header.")
    if not timestamp.strip().isdigit() or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE_S:
        raise Rejected(401, "The request timestamp is missing or more than 5 minutes off.")
    try:
        valid = signature.isascii() and verifier.is_valid(body=body, timestamp=timestamp.strip(), signature=signature)
    except (UnicodeDecodeError, ValueError, TypeError):
        valid = False
    if not valid:
        raise Rejected(401, "The Slack signature does not match this request.")


def check_token(expected: str | None, form: Mapping[str, str]) -> None:
    """Raise Rejected(401) unless the form's `token` is the webhook token."""
    if expected is None:
        raise Rejected(
            401,
            "Missing Slack signature headers; requests without them need a webhook token, "
            "and FAQBOT_WEBHOOK_TOKEN is not set.",
        )
    given = form.get("token", "")
    # Constant time, so the token cannot be guessed byte by byte from response times.
    if not given or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise Rejected(401, "Missing or wrong webhook token.")


def parse_form(body: bytes) -> dict[str, str]:
    """A form-encoded body as a dict of first values; 400 when it is not UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "The request body is not UTF-8 form data.") from None
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def secret(value: Any) -> str | None:
    """A configured secret as a string, or None when unset or blank."""
    if value is None:
        return None
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw if raw.strip() else None
