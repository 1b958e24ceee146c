"""The Slack and Mattermost door: a FastAPI router answering slash commands and mentions.

    >>> from fastapi import FastAPI
    >>> from faqbot.core.config import Settings
    >>> app = FastAPI()
    >>> bot = None   # FAQBot.load(...) in real use; None means "still loading"
    >>> app.include_router(create_slack_router(Settings(), lambda: bot))

Routes:

    POST /slack/commands  a slash command (form-encoded `text`, `command`, `user_id`, ...),
                          answered in the HTTP response within Slack's 3 s: JSON with
                          `response_type`, `text` (fallback) and Block Kit `blocks`.
                          Mattermost-style webhooks post the same form fields without
                          Slack's signature headers and prove themselves with the form
                          field `token` (= FAQBOT_WEBHOOK_TOKEN); they get markdown `text`.
    POST /slack/events    the Events API: `url_verification` returns the challenge;
                          `app_mention` and direct messages (`message`, channel_type "im")
                          are acknowledged at once and answered in their thread with
                          `chat.postMessage` at `settings.slack_api_url`, once per event.
                          A thread is a conversation (key `slack:<channel>:<thread_ts>`):
                          a follow-up asked in it ("and for existing ones?") is read
                          against the thread's previous question.

With FAQBOT_HANDOFF_URL set, a no-answer and a request for a person end with a link to
it (FAQBOT_HANDOFF_LABEL), in Slack and in Mattermost.

Who is let in (nothing is ever open): a request with Slack's signature headers is judged
by the signature alone; one without them (Mattermost) by its form field `token`, compared
in constant time with FAQBOT_WEBHOOK_TOKEN; /slack/events never accepts a token; neither
secret nor webhook token configured -> 503 "not configured" (see _verify.py).

Errors are JSON `{"error": "<a sentence for a person>"}`. Input the bot refuses (an empty
or over-long question) is answered with a polite ephemeral message, since Slack only shows
what comes back with status 200. Secrets never appear in logs or responses. No network
call happens when the router is built, so the server starts with Slack unreachable;
failures of chat.postMessage are logged (without the token) and never reach the app.

The messages are drawn by the render layer (faqbot/doors/render/): Slack blocks in
mrkdwn, Mattermost markdown. Modules:

    _router.py    the two routes (create_slack_router)
    _verify.py    body size, Slack's signature, the webhook token
    _dedupe.py    one answer per event: claimed in the store, else in memory (SeenEvents)
    _messages.py  reading a message as typed; help, "still starting" and refusals
"""

from faqbot.doors.render import (
    MAX_BLOCKS,
    MAX_SECTION_CHARS,
    citation_url,
    escape_mrkdwn,
    markdown_to_mrkdwn,
    mattermost_reply,
    slack_blocks,
    slack_link,
)
from faqbot.doors.slack._dedupe import SeenEvents
from faqbot.doors.slack._router import create_slack_router

__all__ = [
    "MAX_BLOCKS",
    "MAX_SECTION_CHARS",
    "SeenEvents",
    "citation_url",
    "create_slack_router",
    "escape_mrkdwn",
    "markdown_to_mrkdwn",
    "mattermost_reply",
    "slack_blocks",
    "slack_link",
]
