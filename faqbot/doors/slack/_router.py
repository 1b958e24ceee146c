"""The routes: `/slack/commands` (answered in the response) and `/slack/events` (answered
in the background with chat.postMessage). Asking and logging go through `ConversationDesk`,
the messages through the render layer; this module only reads requests and sends replies."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from faqbot.core.config import Settings
from faqbot.core.errors import InvalidQuestion
from faqbot.doors.render import ResponseType, mattermost_reply, section_block, slack_blocks, slack_notice
from faqbot.doors.slack._dedupe import SeenEvents, claim_delivery
from faqbot.doors.slack._messages import NOT_READY, is_help, notice, refused, slack_plain, usage, wants_answer
from faqbot.doors.slack._verify import (
    Rejected,
    check_token,
    is_slack_signed,
    parse_form,
    read_body,
    secret,
    verify_signature,
)
from faqbot.doors.turns import ConversationDesk, Turn
from faqbot.store import AnswerStore

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot

__all__ = ["POST_TIMEOUT_S", "create_slack_router"]

log = logging.getLogger("faqbot.doors.slack")

POST_TIMEOUT_S = 10.0

NOT_CONFIGURED = (
    "Slash commands are not configured: set FAQBOT_SLACK_SIGNING_SECRET (Slack) or FAQBOT_WEBHOOK_TOKEN (Mattermost)."
)


def create_slack_router(
    settings: Settings,
    get_bot: Callable[[], FAQBot | None],
    *,
    slack_client: WebClient | None = None,
    response_type: ResponseType = "ephemeral",
    public_base_url: str | None = None,
    top_k: int = 3,
    seen_events: SeenEvents | None = None,
    get_store: Callable[[], AnswerStore | None] | None = None,
) -> APIRouter:
    """The `/slack/commands` and `/slack/events` routes, ready for `app.include_router`.

    `get_bot` returns the loaded bot, or None while it is loading (slash commands then get
    a polite "still starting" reply). `slack_client` (a slack_sdk `WebClient`) sends
    `chat.postMessage`; by default one is made for `settings.slack_api_url` with the bot
    token, retrying once on a connection error and on Slack's rate limit (HTTP 429).
    `response_type` is how slash-command answers are shown: "ephemeral" (to the asker
    only) or "in_channel"; help and errors are always ephemeral. `public_base_url` (the
    URL the server is reached at, e.g. "https://faq.example.com") lets citations without a
    public URL link to the bot's own `/faq/<doc>#<anchor>` page.

    `get_store` returns the app's store: answers are logged there (channel "slack" or
    "mattermost"), and a mention is claimed there by its event id before it is answered, so
    of all the replicas sharing the database exactly one replies. When the store fails, the
    claim falls back to this process's memory (`seen_events`) and the answer goes unlogged.
    """
    if response_type not in ("ephemeral", "in_channel"):
        raise ValueError(f"response_type must be 'ephemeral' or 'in_channel', got {response_type!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 10:
        raise ValueError(f"top_k must be an integer from 1 to 10, got {top_k!r}")
    if public_base_url is not None and urlsplit(public_base_url).scheme not in ("http", "https"):
        raise ValueError(f"public_base_url must be an http(s) URL, got {public_base_url!r}")
    door = _SlackDoor(
        settings,
        get_bot,
        get_store=get_store,
        slack_client=slack_client,
        seen_events=seen_events,
        response_type=response_type,
        public_base_url=public_base_url,
        top_k=top_k,
    )
    router = APIRouter(prefix="/slack", tags=["slack"])
    router.post("/commands", summary="Answer a Slack or Mattermost slash command")(door.commands)
    router.post("/events", summary="Receive Slack Events API callbacks")(door.events)
    return router


def _default_client(settings: Settings, bot_token: str | None) -> WebClient:
    return WebClient(
        token=bot_token,
        base_url=settings.slack_api_url.rstrip("/") + "/",
        timeout=int(POST_TIMEOUT_S),
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=1)],
    )


class _SlackDoor:
    """The state behind the two routes: secrets, the Slack client, the desk, the dedupe memory."""

    def __init__(
        self,
        settings: Settings,
        get_bot: Callable[[], FAQBot | None],
        *,
        get_store: Callable[[], AnswerStore | None] | None,
        slack_client: WebClient | None,
        seen_events: SeenEvents | None,
        response_type: ResponseType,
        public_base_url: str | None,
        top_k: int,
    ) -> None:
        signing_secret = secret(settings.slack_signing_secret)
        self.webhook_token = secret(settings.webhook_token)
        self.bot_token = secret(settings.slack_bot_token)
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        # Built without a network call, so the server starts with Slack unreachable.
        self.client = slack_client or _default_client(settings, self.bot_token)
        self.seen = seen_events if seen_events is not None else SeenEvents()
        self.desk = ConversationDesk(settings)
        self.get_bot = get_bot
        self.get_store = get_store
        self.response_type = response_type
        self.public_base_url = public_base_url
        self.top_k = top_k

    def store(self) -> AnswerStore | None:
        return self.get_store() if self.get_store is not None else None

    def claim(self, *keys: str) -> bool:
        return claim_delivery(self.store(), self.seen, *keys)

    def ask_and_log(self, bot: FAQBot, text: str, channel: str, conversation_id: str | None = None) -> Turn:
        # A thread is a conversation: a follow-up in it is read against the thread's last question.
        return self.desk.ask(
            bot, self.store(), text, conversation_id=conversation_id, top_k=self.top_k, channel=channel
        )

    # ------------------------------------------------------------------ slash commands

    async def commands(self, request: Request) -> JSONResponse:
        """A slash command, answered in this response (Slack's 3-second window)."""
        if self.verifier is None and self.webhook_token is None:
            return Rejected(503, NOT_CONFIGURED).response()
        try:
            body = await read_body(request)
            form = parse_form(body)
            if form.get("ssl_check") == "1" and "command" not in form:
                # Slack's certificate probe (distributed apps): asks nothing, gets nothing.
                return JSONResponse({})
            slack = is_slack_signed(request.headers)
            if slack:
                verify_signature(self.verifier, body, request.headers)
            else:
                check_token(self.webhook_token, form)
        except Rejected as refusal:
            return refusal.response()
        return JSONResponse(await self.command_reply(form, slack=slack))

    async def command_reply(self, form: dict[str, str], *, slack: bool) -> dict[str, Any]:
        """The JSON reply to an admitted slash command: an answer, or help, or a notice."""
        bot = self.get_bot()
        if bot is None:
            return notice(NOT_READY, slack=slack)
        text = slack_plain(form.get("text", "")) if slack else form.get("text", "").strip()
        if is_help(text):
            return notice(usage(form.get("command", ""), bot), slack=slack)
        try:
            turn = await run_in_threadpool(self.ask_and_log, bot, text, "slack" if slack else "mattermost")
        except InvalidQuestion as error:
            return notice(refused(error), slack=slack)
        base_url = self.public_base_url
        if not slack:
            return mattermost_reply(turn.answer, self.response_type, public_base_url=base_url, handoff=turn.handoff)
        fallback, blocks = slack_blocks(turn.answer, public_base_url=base_url, handoff=turn.handoff)
        return {"response_type": self.response_type, "text": fallback, "blocks": blocks}

    # ------------------------------------------------------------------ events

    async def events(self, request: Request) -> JSONResponse:
        """Events API: url_verification, mentions and direct messages (answered in the background)."""
        if self.verifier is None:
            return Rejected(503, "Slack events are not configured: set FAQBOT_SLACK_SIGNING_SECRET.").response()
        try:
            body = await read_body(request)
            verify_signature(self.verifier, body, request.headers)
            payload = _json_object(body)
        except Rejected as refusal:
            return refusal.response()
        kind = payload.get("type")
        if kind == "url_verification":
            return JSONResponse({"challenge": str(payload.get("challenge", ""))})
        event = payload.get("event")
        if kind != "event_callback" or not isinstance(event, dict) or not wants_answer(event):
            return JSONResponse({"ok": True})
        message_key = f"{event.get('channel', '')}:{event.get('ts', '')}"
        # A retry (X-Slack-Retry-Num) of a handled event, or the same message arriving both
        # as app_mention and message.im, is acknowledged and dropped.
        # Claimed in the shared store: of all replicas, the first to claim it answers.
        if not await run_in_threadpool(self.claim, str(payload.get("event_id") or ""), message_key):
            retry = request.headers.get("x-slack-retry-num", "0")
            log.info("Slack event %s already handled (retry %s)", payload.get("event_id"), retry)
            return JSONResponse({"ok": True})
        if self.bot_token is None:
            log.warning("cannot answer a Slack mention: FAQBOT_SLACK_BOT_TOKEN is not set")
            return JSONResponse({"ok": True})
        return JSONResponse({"ok": True}, background=BackgroundTask(self.reply, event))

    async def reply(self, event: dict[str, Any]) -> None:
        """Answer a mention or direct message in its thread."""
        channel = str(event.get("channel", ""))
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        base = {"channel": channel, "thread_ts": thread_ts, "unfurl_links": False, "unfurl_media": False}
        bot = self.get_bot()
        text = slack_plain(str(event.get("text") or ""))
        if bot is None:
            fallback, blocks = NOT_READY, [section_block(NOT_READY)]
        elif is_help(text):
            fallback, blocks = slack_notice(usage("", bot, mention=event.get("type") == "app_mention"))
        else:
            try:
                turn = await run_in_threadpool(self.ask_and_log, bot, text, "slack", f"slack:{channel}:{thread_ts}")
            except InvalidQuestion as error:
                fallback, blocks = slack_notice(refused(error))
            except Exception:
                # Nobody waits on this task: log the failure instead of losing it.
                log.exception("answering a Slack event failed")
                return
            else:
                fallback, blocks = slack_blocks(
                    turn.answer, public_base_url=self.public_base_url, echo_question=False, handoff=turn.handoff
                )
        await self.post_message({**base, "text": fallback, "blocks": blocks})

    async def post_message(self, payload: dict[str, Any]) -> None:
        try:
            await run_in_threadpool(self.client.chat_postMessage, **payload)
        except SlackApiError as error:
            # Slack answered, and refused: its error code says why (never the token).
            status, code = error.response.status_code, error.response.get("error")
            log.warning("chat.postMessage refused: HTTP %s, error %r", status, code)
        except (SlackClientError, OSError) as error:
            # Unreachable or timed out: the error names the URL, never the request headers.
            log.warning("chat.postMessage failed: %s: %s", type(error).__name__, error)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise Rejected(400, "The request body is not JSON.") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "The request body is not a JSON object.")
    return payload
