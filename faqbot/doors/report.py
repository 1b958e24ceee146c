"""The unanswered-questions loop: what visitors asked that the FAQ did not answer well.

From the conversation log and the feedback (`store.py`) come every question
that got `no_answer`, every question answered with the hedge (the closest entry,
the bot not sure it answers) and every question whose answer got a thumbs-down. They
are grouped by similarity, so the FAQ owner sees which questions are missing
from the FAQ, how often they are asked and in which wordings, most frequent
first; `export_items` turns the groups into an evaluation file to label (the
dev-set format with `expected: []` and `kind: "unlabelled"`, plus `count`).

    >>> similarity = load_similarity(None)                          # lexical, nothing to load
    >>> with Store("faqbot.sqlite3") as store:                       # doctest: +SKIP
    ...     groups = group_unanswered(store, similarity)
    >>> groups[0].question, groups[0].count                          # doctest: +SKIP
    ('How do I cancel my subscription?', 12)

Similarity: the bot's embedding model (cosine of the normalised vectors) when
it is available, else a deterministic lexical measure, the Jaccard overlap of
stemmed content words. Grouping is greedy: distinct wordings, most frequent
first, each join the group whose first (most frequent) wording is the most
similar one if that similarity reaches the threshold, else start a group.

Errors: `ReportError` (a `FAQBotError`) for a bad threshold or an export file
that cannot be written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from faqbot.core.errors import ReportError
from faqbot.core.text import DEFAULT_LANGUAGE, content_terms, stemmer, tokens
from faqbot.store import AnswerStore

__all__ = [
    "DEFAULT_EMBEDDING_THRESHOLD",
    "DEFAULT_LEXICAL_THRESHOLD",
    "Asked",
    "EmbeddingSimilarity",
    "LexicalSimilarity",
    "QuestionGroup",
    "ReportError",
    "Wording",
    "collect_unanswered",
    "export_items",
    "export_jsonl",
    "group_questions",
    "group_unanswered",
    "load_similarity",
    "write_export",
]

log = logging.getLogger(__name__)

DEFAULT_EMBEDDING_THRESHOLD = 0.6
"""Cosine similarity from which two wordings count as the same question. With all-MiniLM-L6-v2,
paraphrases of one support question scored 0.48-0.95 (most above 0.6) on a hand-made set, and
different questions at most 0.54 ("cancel my subscription" vs "delete my account")."""
DEFAULT_LEXICAL_THRESHOLD = 0.5
"""Share of stemmed content words two wordings must share (Jaccard) to count as the same question."""
DEFAULT_LIMIT = 5000
"""The most recent no-answers, hedged answers and thumbs-down read (each)."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Asked:
    """One question from the log that went unanswered, was answered without certainty
    (hedged) or got a thumbs-down."""

    question: str
    created_at: dt.datetime
    no_answer: bool
    thumbs_down: bool
    passage_id: str | None = None  # what a thumbs-down or hedged answer cited
    comment: str | None = None
    unsure: bool = False  # answered with the hedge: the closest entry, maybe not the answer


@dataclass(frozen=True)
class Wording:
    """One way the question was written (wordings that differ only in case, spaces and
    final punctuation are one), and how often."""

    text: str
    count: int


@dataclass
class QuestionGroup:
    """Questions that ask the same thing, by similarity."""

    id: str  # stable: built from the first wording
    question: str  # the most frequent wording
    count: int  # every ask in the group
    no_answer: int
    thumbs_down: int
    wordings: list[Wording]
    first_seen: dt.datetime
    last_seen: dt.datetime
    # Passages of thumbs-down and hedged answers, most frequent first.
    answered_with: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    unsure: int = 0  # asks answered with the hedge

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "count": self.count,
            "no_answer": self.no_answer,
            "thumbs_down": self.thumbs_down,
            "unsure": self.unsure,
            "wordings": [{"text": w.text, "count": w.count} for w in self.wordings],
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "answered_with": self.answered_with,
            "comments": self.comments,
        }

    def to_eval_item(self) -> dict[str, Any]:
        """A line of an evaluation file, to be labelled: fill `expected` (or keep it empty for a
        question the FAQ should not answer) and `kind`."""
        return {
            "id": self.id,
            "question": self.question,
            "expected": [],
            "kind": "unlabelled",
            "count": self.count,
            "wordings": [w.text for w in self.wordings],
            "no_answer": self.no_answer,
            "thumbs_down": self.thumbs_down,
            "unsure": self.unsure,
        }


# --------------------------------------------------------------------------- reading the log


def collect_unanswered(store: AnswerStore, *, limit: int | None = DEFAULT_LIMIT) -> list[Asked]:
    """Every question that got no_answer, every hedged answer and every thumbs-down, newest
    first (`limit` of each).

    A thumbs-down on a logged answer counts once with that answer: a no_answer or hedged
    answer that also got a thumbs-down is one ask, marked both ways.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ReportError(f"limit must be a positive integer, got {limit!r}")
    asked: dict[str, Asked] = {
        entry.id: Asked(entry.question, entry.created_at, no_answer=True, thumbs_down=False)
        for entry in store.conversations(kind="no_answer", limit=limit)
    }
    for entry in store.conversations(hedged=True, limit=limit):
        asked[entry.id] = Asked(
            entry.question,
            entry.created_at,
            no_answer=False,
            thumbs_down=False,
            passage_id=entry.top_passage_id,
            unsure=True,
        )
    for feedback in store.feedback(rating="down", limit=limit):
        if not feedback.question:
            continue
        key = feedback.answer_id or f"feedback:{feedback.id}"
        known = asked.get(key)
        if known is not None:
            if not known.thumbs_down:  # several thumbs-down on one answer: one ask
                asked[key] = replace(known, thumbs_down=True, comment=known.comment or feedback.comment)
            continue
        asked[key] = Asked(
            feedback.question,
            feedback.created_at,
            no_answer=feedback.kind == "no_answer",
            thumbs_down=True,
            passage_id=feedback.passage_id if feedback.kind != "no_answer" else None,
            comment=feedback.comment,
        )
    return sorted(asked.values(), key=lambda a: a.created_at, reverse=True)


# --------------------------------------------------------------------------- similarity

_TRAILING = re.compile(r"[\s?!.。？！]+$")


def wording_key(text: str) -> str:
    """Two wordings with the same key are the same wording (case, spaces, final ?!. ignored)."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    return _TRAILING.sub("", " ".join(text.split()).casefold())


class Similarity(Protocol):
    """How alike two wordings are, 0..1, and from which value they count as one question."""

    threshold: float
    description: str

    def prepare(self, texts: list[str]) -> Any:
        """Features of all `texts` at once (vectors, word sets)."""
        ...

    def scores(self, prepared: Any, row: int, others: list[int]) -> np.ndarray:
        """Similarity of text `row` to each text of `others`."""
        ...


class LexicalSimilarity:
    """Jaccard overlap of stemmed content words ("cancelling my plans" ~ "cancel plan"):
    deterministic, needs no model. Texts with no content word fall back to all their words."""

    def __init__(
        self, threshold: float = DEFAULT_LEXICAL_THRESHOLD, note: str = "", *, language: str = DEFAULT_LANGUAGE
    ) -> None:
        self.threshold = _check_threshold(threshold)
        self.description = f"shared stemmed words (Jaccard >= {self.threshold:g})" + (f"; {note}" if note else "")
        self.language = language

    def words(self, text: str) -> frozenset[str]:
        terms = content_terms(text) or tokens(text)
        return frozenset(stemmer(self.language).stemWords(terms))

    def prepare(self, texts: list[str]) -> list[frozenset[str]]:
        return [self.words(text) for text in texts]

    def scores(self, prepared: list[frozenset[str]], row: int, others: list[int]) -> np.ndarray:
        mine = prepared[row]
        return np.array([_jaccard(mine, prepared[other]) for other in others], dtype=float)

    def __call__(self, a: str, b: str) -> float:
        return _jaccard(self.words(a), self.words(b))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class EmbeddingSimilarity:
    """Cosine similarity of the embedding model's (normalised) vectors."""

    def __init__(self, embedder: Any, threshold: float = DEFAULT_EMBEDDING_THRESHOLD) -> None:
        self.embedder = embedder
        self.threshold = _check_threshold(threshold)
        name = getattr(embedder, "name", type(embedder).__name__)
        self.description = f"meaning, with the model {name} (cosine >= {self.threshold:g})"

    def prepare(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self.embedder.encode(list(texts)), dtype=np.float32)

    def scores(self, prepared: np.ndarray, row: int, others: list[int]) -> np.ndarray:
        return prepared[others] @ prepared[row]

    def __call__(self, a: str, b: str) -> float:
        vectors = self.prepare([a, b])
        return float(vectors[0] @ vectors[1])


def _check_threshold(threshold: float) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ReportError(f"the similarity threshold must be a number from 0 to 1, got {threshold!r}")
    return float(threshold)


def load_similarity(settings: Any | None, *, threshold: float | None = None, embedder: Any | None = None) -> Similarity:
    """The bot's embedding model (loaded with `settings`, or `embedder` if given), or, with
    neither, the lexical measure. A model that cannot be loaded falls back to the lexical
    measure, and its `description` says why."""
    if embedder is None and settings is not None:
        from faqbot.search import embed

        try:
            embedder = embed.load_configured_embedder(settings)
        except (OSError, ImportError, ValueError) as error:
            log.warning("could not load the model %r; grouping by words instead: %s", settings.model, error)
            note = f"the model {settings.model} could not be loaded: {' '.join(str(error).split())[:160]}"
            return LexicalSimilarity(
                DEFAULT_LEXICAL_THRESHOLD if threshold is None else threshold, note=note, language=settings.language
            )
    if embedder is not None:
        return EmbeddingSimilarity(embedder, DEFAULT_EMBEDDING_THRESHOLD if threshold is None else threshold)
    language = getattr(settings, "language", DEFAULT_LANGUAGE)
    return LexicalSimilarity(DEFAULT_LEXICAL_THRESHOLD if threshold is None else threshold, language=language)


# --------------------------------------------------------------------------- grouping


def group_questions(asked: Iterable[Asked], similarity: Similarity) -> list[QuestionGroup]:
    """Group the asks by similarity (greedy, see the module docstring); most frequent first."""
    by_key: dict[str, list[Asked]] = {}
    for ask in asked:
        key = wording_key(ask.question)
        if key:
            by_key.setdefault(key, []).append(ask)
    # Most frequent wording first, then the most recent, then by text: the order decides the leaders.
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), -max(a.created_at for a in by_key[k]).timestamp(), k))
    shown = [_shown_text(by_key[key]) for key in keys]
    prepared = similarity.prepare(shown)
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for row in range(len(keys)):
        if leaders:
            scores = similarity.scores(prepared, row, leaders)
            best = int(np.argmax(scores))
            if scores[best] >= similarity.threshold:
                members[leaders[best]].append(row)
                continue
        leaders.append(row)
        members[row] = [row]
    groups = [_make_group([keys[r] for r in rows], [shown[r] for r in rows], by_key) for rows in members.values()]
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.question))


def _shown_text(asks: list[Asked]) -> str:
    """The spelling to show for one wording: the most common one, the newest on a tie."""
    counts = Counter(" ".join(a.question.split()) for a in asks)
    return max(counts, key=lambda text: counts[text])  # Counter keeps first-seen (newest) order on ties


def _make_group(keys: list[str], texts: list[str], by_key: dict[str, list[Asked]]) -> QuestionGroup:
    asks = [a for key in keys for a in by_key[key]]
    wordings = [Wording(text, len(by_key[key])) for key, text in zip(keys, texts, strict=True)]
    answered_with = Counter(a.passage_id for a in asks if a.passage_id)
    comments = list(dict.fromkeys(a.comment.strip() for a in asks if a.comment and a.comment.strip()))
    return QuestionGroup(
        id="u-" + hashlib.sha1(keys[0].encode("utf-8")).hexdigest()[:10],
        question=texts[0],
        count=len(asks),
        no_answer=sum(a.no_answer for a in asks),
        thumbs_down=sum(a.thumbs_down for a in asks),
        unsure=sum(a.unsure for a in asks),
        wordings=wordings,
        first_seen=min(a.created_at for a in asks),
        last_seen=max(a.created_at for a in asks),
        answered_with=[passage for passage, _ in answered_with.most_common()],
        comments=comments[:10],
    )


def group_unanswered(
    store: AnswerStore, similarity: Similarity, *, limit: int | None = DEFAULT_LIMIT
) -> list[QuestionGroup]:
    """`collect_unanswered` then `group_questions`: the report `faqbot report` and /admin show."""
    return group_questions(collect_unanswered(store, limit=limit), similarity)


# --------------------------------------------------------------------------- export


def export_items(groups: list[QuestionGroup]) -> list[dict[str, Any]]:
    """The groups as evaluation-file lines (see `QuestionGroup.to_eval_item`)."""
    return [group.to_eval_item() for group in groups]


def export_jsonl(groups: list[QuestionGroup]) -> str:
    """The groups as an evaluation file (JSONL), ready to label."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in export_items(groups))


def write_export(groups: list[QuestionGroup], path: Path) -> None:
    """Write `export_jsonl(groups)` to `path` (whole or not at all)."""
    path = Path(path)
    text = export_jsonl(groups)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(text)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {error.strerror or error}") from error
