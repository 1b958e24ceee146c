"""Asking within a conversation, for every door (HTTP, Slack, the terminal).

    >>> desk = ConversationDesk(Settings(handoff_url="https://example.com/help"))  # doctest: +SKIP
    >>> turn = desk.ask(bot, store, "How much is it for new customers?")           # doctest: +SKIP
    >>> desk.ask(bot, store, "and for existing ones?", conversation_id=turn.conversation_id).understood  # doctest: +SKIP
    'How much is it for existing customers?'

One turn: the previous turn of the conversation is read from the store (so a follow-up
may land on any replica), or from this process's bounded memory when the store fails; the
bot answers the question with it (`FAQBot.reply`: its answer sources read a follow-up against
the previous turn, and a no-answer carries the way to a person when `settings.handoff_url` is
set); the turn is remembered; and the answer is logged with its conversation id, the question
as understood and whether a handoff was offered.

The log row is not waited for: the desk picks the answer's id and hands the row to the store's
writer (`faqbot.store.LogWriter`, one thread, in order), so the answer goes out while the row is
written. Reads of the log in this process wait for it; `store.close()` writes what is queued.
A store that just failed (its breaker open, or the previous turn unreadable this very turn) is
written to at once, as before: the answer then goes out unlogged, with no answer id.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache

from faqbot.answer.conversation import PreviousTurn
from faqbot.answer.handoff import Handoff, handoff_of
from faqbot.store import AnswerStore, StoreError, log_answer, new_answer_id, warn_store_failure

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.records import Answer

__all__ = ["ConversationDesk", "Turn", "new_conversation_id"]


def new_conversation_id() -> str:
    """A fresh conversation id (random hex, safe to show to clients)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Turn:
    """One answered question of a conversation: the answer, the question as understood when
    it was resolved as a follow-up, the conversation, the log id and the handoff offered."""

    answer: Answer
    conversation_id: str
    understood: str | None = None
    answer_id: str | None = None
    handoff: Handoff | None = None


class ConversationDesk:
    """Asks questions in conversations and logs them; one per app (it holds the fallback
    memory of recent turns: the last turn of the `memory_limit` most recent conversations)."""

    def __init__(self, settings: object, *, memory_limit: int = 10_000) -> None:
        if memory_limit < 1:
            raise ValueError(f"memory_limit must be at least 1, got {memory_limit!r}")
        self.handoff = handoff_of(settings)
        self._memory: LRUCache[str, PreviousTurn] = LRUCache(maxsize=memory_limit)
        self._memory_lock = threading.Lock()

    def previous_turn(self, bot: FAQBot, store: AnswerStore | None, conversation_id: str) -> PreviousTurn | None:
        """The last turn of the conversation: from the store, else from this process's memory."""
        return self._previous_turn(bot, store, conversation_id)[0]

    def _previous_turn(
        self, bot: FAQBot, store: AnswerStore | None, conversation_id: str
    ) -> tuple[PreviousTurn | None, bool]:
        # The turn, and whether the store failed reading it.
        failed = False
        if store is not None:
            try:
                logged = store.last_turn(conversation_id)
            except StoreError as error:
                failed = True
                warn_store_failure("reading the conversation from this process's memory", error)
            else:
                if logged is not None:
                    question = logged.understood or logged.question
                    answered = logged.kind != "no_answer"
                    previous = PreviousTurn(
                        question, _passage_question(bot, logged.top_passage_id) if answered else None
                    )
                    return previous, False
        with self._memory_lock:
            return self._memory.get(conversation_id), failed

    def remember(self, conversation_id: str, turn: PreviousTurn) -> None:
        """Keep `turn` in this process as the last turn of `conversation_id` (the least
        recently used conversation is forgotten first)."""
        with self._memory_lock:
            self._memory[conversation_id] = turn

    def ask(
        self,
        bot: FAQBot,
        store: AnswerStore | None,
        question: str,
        *,
        conversation_id: str | None = None,
        top_k: int = 3,
        channel: str = "web",
    ) -> Turn:
        """Answer `question` in the conversation `conversation_id` (a new one when None) and
        log it. Raises what `bot.ask` raises (InvalidQuestion)."""
        started = time.perf_counter()
        previous, store_failed = None, False
        if conversation_id is None:
            conversation_id = new_conversation_id()
        else:
            previous, store_failed = self._previous_turn(bot, store, conversation_id)
        reply = bot.reply(question, top_k=top_k, previous=previous, handoff=self.handoff)
        answer = reply.answer
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        top = answer.citations[0] if answer.citations and answer.kind != "no_answer" else None
        self.remember(conversation_id, PreviousTurn(reply.question, top.question if top else None))
        answer_id = log_answer(
            store,
            answer,
            latency_ms=latency_ms,
            channel=channel,
            conversation_id=conversation_id,
            understood=reply.understood,
            handoff=reply.handoff is not None,
            answer_id=new_answer_id(),
            background=not store_failed,
        )
        return Turn(answer, conversation_id, reply.understood, answer_id, reply.handoff)


def _passage_question(bot: FAQBot, passage_id: str | None) -> str | None:
    if passage_id is None:
        return None
    for passage in bot.index.passages:
        if passage.passage_id == passage_id:
            return passage.question
    return None
