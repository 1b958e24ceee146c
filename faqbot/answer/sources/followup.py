"""Follow-ups as an answer source: an elliptical question ("and for existing ones?") is merged
with the conversation's previous turn and answered as merged, unless the question as typed
scores better (faqbot/answer/conversation.py holds the reading and the merge)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from faqbot.answer.conversation import is_follow_up, resolve
from faqbot.answer.sources.base import Asked, Reply

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.search.retrieve import Retrieval


class FollowUp:
    """Answers a follow-up in a conversation; passes on a first turn or a question that stands
    on its own."""

    timing_key: ClassVar[str | None] = None

    def __init__(self, bot: FAQBot) -> None:
        self.bot = bot

    def answer(self, asked: Asked, retrieval: Retrieval) -> Reply | None:
        if asked.previous is None or not is_follow_up(asked.question):
            return None
        # The bot is asked again, without the previous turn: the question as typed and merged.
        resolution = resolve(self.bot, asked.question, asked.previous, top_k=asked.top_k)
        return Reply(resolution.answer, understood=resolution.understood)
