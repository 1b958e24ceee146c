"""The answer-source protocol: what a source reads (`Asked`, and the retrieval result) and
what it returns (an `Answer`, a `Reply` when it reinterpreted the question, or None to pass).

    >>> class Echo:
    ...     timing_key = None
    ...     def __init__(self, bot): self.bot = bot
    ...     def answer(self, asked, retrieval):
    ...         return None  # pass: the next source in SOURCES is asked
    >>> isinstance(Echo(None), AnswerSource)
    True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from faqbot.answer.conversation import PreviousTurn
    from faqbot.answer.handoff import Handoff
    from faqbot.answer.pipeline import FAQBot
    from faqbot.core.records import Answer
    from faqbot.search.retrieve import Retrieval

__all__ = ["AnswerSource", "Asked", "Reply", "SourceFactory", "load_sources"]


@dataclass(frozen=True)
class Asked:
    """One question as the sources read it (hashable: it keys the answer cache)."""

    question: str  # as typed, validated: control characters removed, trimmed
    searched: str  # without greetings and thanks: what retrieval and the rules read
    top_k: int = 3  # how many ranked passages a retrieval answer cites
    previous: PreviousTurn | None = None  # the conversation's previous turn, if any
    handoff: Handoff | None = None  # the way to a person the door offers, if configured


@dataclass(frozen=True)
class Reply:
    """An answer, with the question as it was understood when a source reinterpreted it (a
    follow-up merged with the previous turn) and the way to a person offered with it (FAQBot
    sets it on a no-answer when the door offers one)."""

    answer: Answer
    understood: str | None = None
    handoff: Handoff | None = None

    @property
    def question(self) -> str:
        """The question as the bot answered it: the one understood, or the one typed."""
        return self.understood or self.answer.question


@runtime_checkable
class AnswerSource(Protocol):
    """One way to answer: it looks at the question (and the conversation's previous turn, if
    any) and the retrieval result, and returns an answer or None to pass to the next source.

    A source is built once per FAQBot with the bot (`Source(bot)`), so it may use the bot's
    index, retriever, settings and helpers (`related`, `cite`), or ask the bot again.
    """

    # The key of `Answer.timings_ms` that reports the time this source took, or None.
    timing_key: ClassVar[str | None]

    def answer(self, asked: Asked, retrieval: Retrieval) -> Answer | Reply | None: ...


SourceFactory = Callable[["FAQBot"], AnswerSource]


def load_sources(names: Iterable[str]) -> list[SourceFactory]:
    """The source classes named `"package.module:Class"`, in order (see `SOURCES`)."""
    factories: list[SourceFactory] = []
    for name in names:
        module, _, attribute = name.partition(":")
        if not attribute:
            raise ValueError(f"an answer source is named 'package.module:Class', got {name!r}")
        factories.append(getattr(importlib.import_module(module), attribute))
    return factories
