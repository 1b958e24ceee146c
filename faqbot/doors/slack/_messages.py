"""What people type to the bot, and what the door says of its own accord.

Incoming: the text of a Slack message as typed (`slack_plain`), whether an event is one
to answer (`wants_answer`), whether it asks for help (`is_help`). Outgoing: help, "still
starting" and a refused question, as an ephemeral reply (`notice`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from faqbot.doors.render import slack_notice

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.errors import InvalidQuestion

__all__ = ["NOT_READY", "is_help", "notice", "refused", "slack_plain", "usage", "wants_answer"]

NOT_READY = "The FAQ bot is still starting up (loading its index). Please ask again in a minute."

_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_TOKEN = re.compile(r"<((?:[#!]|https?://|mailto:)[^<>]*)>")


def slack_plain(text: str) -> str:
    """Text of a Slack message as typed: mentions dropped, `<url|label>` as the label, `&amp;` as `&`.

    >>> slack_plain("<@U123> is <https://x.test|this> free &amp; open? <!here>")
    'is this free & open? @here'
    """
    text = _USER_MENTION.sub(" ", text)

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if label:
            return f"#{label}" if target.startswith("#") else label
        if target.startswith("!"):  # <!here>, <!channel>
            return "@" + target[1:].split("^", 1)[0]
        return target

    text = _SLACK_TOKEN.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def wants_answer(event: Mapping[str, Any]) -> bool:
    """A person's mention of the bot, or a person's direct message to it (not an edit, not a bot)."""
    if event.get("bot_id") or event.get("subtype") or event.get("bot_profile"):
        return False
    if not event.get("user") or not event.get("channel") or not event.get("ts"):
        return False
    if event.get("type") == "app_mention":
        return True
    return event.get("type") == "message" and event.get("channel_type") == "im"


def is_help(text: str) -> bool:
    """Nothing asked, or a request for help."""
    return not text or text.lower() in ("help", "?")


def _example_question(bot: FAQBot | None) -> str:
    if bot is not None:
        for passage in bot.index.passages:
            if passage.question and len(passage.question) <= 80:
                return passage.question
    return "How do I get started?"


def usage(command: str, bot: FAQBot | None, *, mention: bool = False) -> str:
    """How to ask (markdown), with an example question from the corpus."""
    example = _example_question(bot)
    how = (
        f"Mention me with a question, for example: `@FAQ {example}`"
        if mention
        else (f"Type `{command or '/faq'}` and a question about the FAQ, for example: `{command or '/faq'} {example}`")
    )
    return f"{how}\n\nI answer from the FAQ only and cite where each answer stands."


def refused(error: InvalidQuestion) -> str:
    """A polite refusal of a question the bot does not take (empty, too long)."""
    return f"Sorry, I can't take that question: {error}."


def notice(text: str, *, slack: bool) -> dict[str, Any]:
    """An ephemeral message (help, a refused question, not ready) for Slack or Mattermost."""
    if not slack:
        return {"response_type": "ephemeral", "text": text}
    mrkdwn, blocks = slack_notice(text)
    return {"response_type": "ephemeral", "text": mrkdwn, "blocks": blocks}
