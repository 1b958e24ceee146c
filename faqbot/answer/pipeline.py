"""FAQBot: the one entry point. Validates the question, asks its answer sources in their
declared order (faqbot/answer/sources/: follow-ups, numeric rules, retrieval...), and
decides between the first answer and an honest "I don't know", with its citations.

    >>> from bot import FAQBot
    >>> bot = FAQBot.load("index")                       # doctest: +SKIP
    >>> answer = bot.ask("How do I extend the trial?")   # doctest: +SKIP
    >>> answer.kind, answer.citations[0].quote           # doctest: +SKIP
    ('retrieval', 'You can extend the trial in the app directly.')
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from cachetools import LRUCache

from faqbot.answer.sources import SOURCES, AnswerSource, Asked, Reply, load_sources
from faqbot.core.config import Settings
from faqbot.core.errors import InvalidQuestion
from faqbot.core.records import Answer, Citation, RelatedQuestion
from faqbot.core.text import stem_terms
from faqbot.search.embed import Embedder, MicroBatchingEmbedder, load_configured_embedder
from faqbot.search.index import Index, Progress, ensure_index
from faqbot.search.retrieve import Hit, Retrieval, Retriever

if TYPE_CHECKING:
    from faqbot.answer.conversation import PreviousTurn
    from faqbot.answer.handoff import Handoff

# How many hits to look at for citations, related questions and suggestions.
SEARCH_DEPTH = 10

# Control characters, and invisible format characters (zero-width spaces, direction marks
# and overrides, BOM) that would otherwise make an empty question look like text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Greetings and sign-offs carry no topic but pull the question toward chatty passages.
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|all|team|everyone|folks|guys|y'all))?[\s,!.:;-]+)+",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"[\s,.!;-]+(?:(?:many\s+)?thanks(?:\s+(?:a lot|in advance|so much))?|thank you(?:\s+(?:so much|in advance))?"
    r"|thx|cheers|regards|best regards|kind regards)[\s,.!]*$",
    re.IGNORECASE,
)

NO_ANSWER_MESSAGE = "Sorry, I couldn't find an answer to that in the FAQ, and I'd rather not guess."


def validate_question(question: object, max_chars: int) -> str:
    """The question without control characters and surrounding space, or InvalidQuestion
    saying what is wrong (not text, empty, longer than `max_chars`)."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"the question must be text, got {type(question).__name__}")
    cleaned = _CONTROL_CHARACTERS.sub(" ", question).strip()
    if not cleaned:
        raise InvalidQuestion("the question is empty: type a question about the FAQ")
    if len(cleaned) > max_chars:
        raise InvalidQuestion(
            f"the question is {len(cleaned)} characters long; the limit is {max_chars}: please shorten it"
        )
    return cleaned


def strip_pleasantries(question: str) -> str:
    """The question without a leading greeting or a trailing thanks; a message that is
    nothing but pleasantries is returned as it is (and will find no answer).

    >>> strip_pleasantries("Hi team, how do I extend the trial? Thanks!")
    'how do I extend the trial?'
    """
    core = _SIGN_OFF.sub("", _GREETING.sub("", question.strip())).strip()
    return core or question


class FAQBot:
    """Answers questions about one loaded index of FAQ passages, asking `sources` in order."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.index = index
        self.embedder = embedder
        self.retriever = Retriever(
            index, embedder, cache_size=self.settings.cache_size, language=self.settings.language
        )
        # Answers depend on what was asked (with its conversation and door) and today's date;
        # a new index means a new FAQBot. Size 0 turns the cache off.
        size = self.settings.cache_size
        self._answers: LRUCache[tuple[Asked, dt.date], tuple[Reply, Retrieval]] | None = (
            LRUCache(maxsize=size) if size else None
        )
        self._answers_lock = threading.Lock()
        self.sources: list[AnswerSource] = [source(self) for source in load_sources(SOURCES)]

    @classmethod
    def load(
        cls,
        index_dir: str | Path | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        progress: Progress | None = None,
    ) -> FAQBot:
        """Load the model and the index (building or rebuilding it when needed, see `ensure_index`)."""
        settings = settings or Settings()
        if index_dir is not None:
            settings = settings.model_copy(update={"index_dir": Path(index_dir)})
        if embedder is None:
            embedder = load_configured_embedder(settings)
            if settings.micro_batching:
                embedder = MicroBatchingEmbedder(embedder)
        index = ensure_index(settings, embedder, progress=progress)
        return cls(index, embedder, settings)

    # ------------------------------------------------------------------ asking

    def validate(self, question: object) -> str:
        """The question as it will be searched, or InvalidQuestion saying what is wrong."""
        return validate_question(question, self.settings.max_question_chars)

    def ask(self, question: str, top_k: int = 3) -> Answer:
        """Answer one question; the citations are up to `top_k` (1..10) ranked passages,
        the first being the answer's source, each with its score."""
        return self.ask_traced(question, top_k)[0]

    def ask_traced(self, question: str, top_k: int = 3) -> tuple[Answer, Retrieval]:
        """`ask`, also returning the retrieval behind the answer (for evaluation and debugging)."""
        reply, retrieval = self._reply(question, top_k)
        return reply.answer, retrieval

    def reply(
        self,
        question: str,
        *,
        top_k: int = 3,
        previous: PreviousTurn | None = None,
        handoff: Handoff | None = None,
    ) -> Reply:
        """Answer one question of a conversation: `previous` is its previous turn (a follow-up
        is read against it) and `handoff` the way to a person the door offers (a no-answer
        carries it). The reply says how the question was understood, when it was reinterpreted."""
        return self._reply(question, top_k, previous, handoff)[0]

    def _reply(
        self, question: str, top_k: int, previous: PreviousTurn | None = None, handoff: Handoff | None = None
    ) -> tuple[Reply, Retrieval]:
        started = time.perf_counter()
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 10:
            raise InvalidQuestion(f"top_k must be an integer from 1 to 10, got {top_k!r}")
        cleaned = self.validate(question)
        asked = Asked(cleaned, strip_pleasantries(cleaned), top_k, previous, handoff)
        key = (asked, self.settings.today_or_now())
        cached = self._cached(key)
        if cached is not None:
            reply, retrieval = cached
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            answer = reply.answer.model_copy(update={"timings_ms": {"cache_hit": elapsed, "total": elapsed}})
            return replace(reply, answer=answer), retrieval
        retrieval = self.retriever.search(asked.searched, k=max(SEARCH_DEPTH, top_k))
        reply, source_ms = self._ask_sources(asked, retrieval)
        answer = reply.answer
        timings = {
            **answer.timings_ms,  # an answer the bot gave when a source asked it again
            **{name: round(ms, 3) for name, ms in retrieval.timings_ms.items()},
            **{name: round(ms, 3) for name, ms in source_ms.items()},
            "total": round((time.perf_counter() - started) * 1000, 3),
        }
        answer = answer.model_copy(update={"question": cleaned, "timings_ms": timings})
        # A no-answer carries the way to a person, when the door offers one; an answer carries
        # it when a source says so (a message that also asked for a person).
        reply = Reply(answer, reply.understood, handoff if answer.kind == "no_answer" else reply.handoff)
        self._remember(key, (reply, retrieval))
        return reply, retrieval

    def _ask_sources(self, asked: Asked, retrieval: Retrieval) -> tuple[Reply, dict[str, float]]:
        """The first source's answer, in order, or the no-answer; and the sources' timings."""
        timings: dict[str, float] = {}
        for source in self.sources:
            started = time.perf_counter()
            result = source.answer(asked, retrieval)
            if source.timing_key is not None:
                timings[source.timing_key] = (time.perf_counter() - started) * 1000
            if result is not None:
                return (result if isinstance(result, Reply) else Reply(result)), timings
        return Reply(self.no_answer(asked.searched, retrieval)), timings

    def _cached(self, key: tuple[Asked, dt.date]) -> tuple[Reply, Retrieval] | None:
        if self._answers is None:
            return None
        with self._answers_lock:
            return self._answers.get(key)

    def _remember(self, key: tuple[Asked, dt.date], value: tuple[Reply, Retrieval]) -> None:
        if self._answers is not None:
            with self._answers_lock:
                self._answers[key] = value

    # ------------------------------------------------------------------ composing

    def no_answer(self, question: str, retrieval: Retrieval, message: str = NO_ANSWER_MESSAGE) -> Answer:
        """The honest answer: say so, and offer the nearest questions the FAQ does answer."""
        suggestions = self.related(retrieval, exclude=set())
        text = message
        if suggestions:
            text += "\n\nThe closest questions I can answer:\n" + "\n".join(
                f"- {item.question}" for item in suggestions
            )
        return Answer(
            question=question,
            answer=text,
            kind="no_answer",
            confidence=round(retrieval.confidence, 4),
            related=suggestions,
        )

    def related(self, retrieval: Retrieval, exclude: set[int]) -> list[RelatedQuestion]:
        """The best-ranked question passages not already cited."""
        related: list[RelatedQuestion] = []
        seen_questions: set[str] = set()
        for hit in retrieval.hits:
            question = hit.passage.question
            if hit.passage_index in exclude or not question or question in seen_questions:
                continue
            seen_questions.add(question)
            related.append(RelatedQuestion(passage_id=hit.passage.passage_id, question=question))
            if len(related) == self.settings.related_count:
                break
        return related

    def cite(self, hit: Hit, query_vector: np.ndarray, question: str) -> Citation:
        """A citation of `hit` quoting its sentence(s) closest to the question."""
        quote = self.best_quote(hit.passage_index, query_vector, question)
        return Citation.of(hit.passage, quote, hit.score)

    def best_quote(self, passage_index: int, query_vector: np.ndarray, question: str) -> str:
        """The answer sentence that best matches the question (by meaning and shared words);
        a very short best sentence brings its successor along for context."""
        sentences = self.index.sentences_of(passage_index)
        if not sentences:
            return self.index.passages[passage_index].answer_text
        rows = [row for row, _ in sentences]
        similarity = self.index.sentence_vectors[rows] @ query_vector
        question_terms = set(stem_terms(question))
        overlap = np.array(
            [
                len(question_terms & set(stem_terms(sentence.text))) / (len(question_terms) or 1)
                for _, sentence in sentences
            ]
        )
        best = int(np.argmax(similarity + 0.2 * overlap))
        quote = sentences[best][1].text
        if len(quote) < 40 and best + 1 < len(sentences):
            quote = f"{quote} {sentences[best + 1][1].text}"
        return quote
