"""Asking within a conversation, for every door (HTTP, Slack, the terminal).

    >>> desk = ConversationDesk(Settings(handoff_url="https://example.com/help"))  # doctest: +SKIP
    >>> turn = desk.ask(bot, store, "How much is it for new customers?")           # doctest: +SKIP
    >>> desk.ask(bot, store, "and for existing ones?", conversation_id=turn.conversation_id).understood  # doctest: +SKIP
    'How much is it for existing customers?'

One turn: the previous turn of the conversation is read from the store (so a follow-up
may land on any replica), or from this process's bounded memory when the store fails;
the question is resolved against it (faqbot/answer/conversation.py); a way to a person
(faqbot/answer/handoff.py) is attached to a no-answer when `settings.handoff_url` is set, and
is the answer to a request for a person; and the answer is logged with its conversation id, the
question as understood and whether a handoff was offered.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faqbot.answer.conversation import PreviousTurn, Resolution, TurnMemory, resolve
from faqbot.answer.handoff import Handoff, asks_for_person, handoff_of
from faqbot.core.records import RelatedQuestion
from faqbot.store import AnswerStore, StoreError, log_answer, warn_store_failure

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.records import Answer

__all__ = ["ConversationDesk", "Turn", "new_conversation_id"]

PERSON_MESSAGE = "You can reach a person here: {label}."
"""The answer to a request for a person, when a handoff is set (kind `no_answer`: the FAQ
does not answer it; the closest passages are offered as suggestions)."""


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
    memory of recent turns, `memory_limit` conversations)."""

    def __init__(self, settings: object, *, memory_limit: int = 10_000) -> None:
        self.handoff = handoff_of(settings)
        self.memory = TurnMemory(memory_limit)

    def previous_turn(self, bot: FAQBot, store: AnswerStore | None, conversation_id: str) -> PreviousTurn | None:
        """The last turn of the conversation: from the store, else from this process's memory."""
        if store is not None:
            try:
                logged = store.last_turn(conversation_id)
            except StoreError as error:
                warn_store_failure("reading the conversation from this process's memory", error)
            else:
                if logged is not None:
                    question = logged.understood or logged.question
                    answered = logged.kind != "no_answer"
                    return PreviousTurn(question, _passage_question(bot, logged.top_passage_id) if answered else None)
        return self.memory.recall(conversation_id)

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
        previous = None
        if conversation_id is None:
            conversation_id = new_conversation_id()
        else:
            previous = self.previous_turn(bot, store, conversation_id)
        resolution = resolve(bot, question, previous, top_k=top_k)
        answer, handoff = self._with_handoff(question, resolution)
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        top = answer.citations[0] if answer.citations and answer.kind != "no_answer" else None
        self.memory.remember(conversation_id, PreviousTurn(resolution.question, top.question if top else None))
        answer_id = log_answer(
            store,
            answer,
            latency_ms=latency_ms,
            channel=channel,
            conversation_id=conversation_id,
            understood=resolution.understood,
            handoff=handoff is not None,
        )
        return Turn(answer, conversation_id, resolution.understood, answer_id, handoff)

    def _with_handoff(self, question: str, resolution: Resolution) -> tuple[Answer, Handoff | None]:
        answer = resolution.answer
        if self.handoff is None:
            return answer, None
        if asks_for_person(question):
            # The visitor asked for a person: the way to one is the answer. Passages that merely
            # share words with the request ("people", "contact") are offered as suggestions only.
            suggestions = answer.related
            if answer.kind != "no_answer":
                suggestions = [
                    RelatedQuestion(passage_id=c.passage_id, question=c.question)
                    for c in answer.citations
                    if c.question
                ]
            text = PERSON_MESSAGE.format(label=self.handoff.label)
            update = {"answer": text, "kind": "no_answer", "citations": [], "rule": None, "related": suggestions}
            return answer.model_copy(update=update), self.handoff
        if answer.kind == "no_answer":
            return answer, self.handoff
        return answer, None


def _passage_question(bot: FAQBot, passage_id: str | None) -> str | None:
    if passage_id is None:
        return None
    for passage in bot.index.passages:
        if passage.passage_id == passage_id:
            return passage.question
    return None
