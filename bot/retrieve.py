"""Question -> ranked passages, from dense and lexical evidence, with a confidence.

Ranking (weights measured on the dev set, see README "How retrieval works"):

1. The question is spell-corrected against the corpus vocabulary ("capcity"
   -> "capacity") when a word is unknown and one edit away from a known one,
   and a spelled-out phrase whose acronym the corpus uses ("Cloud Solution
   Provider" -> "CSP") is searched by that acronym.
2. Dense: the question vector is compared with each passage's view(s)
   (question + answer ranks best of the views measured) and with its best
   answer sentence; the dense score is a weighted mean of those similarities.
3. Lexical: BM25 (bm25s) over stemmed content words of question + answer.
4. Fusion: dense + LEXICAL_WEIGHT * bm25 / (bm25 + BM25_HALF), a saturating
   transform that keeps the lexical score's absolute meaning (a weak match
   stays weak even when it is the best one).

The confidence that the top passage answers the question combines signals
that raw similarity alone does not separate: the fused score, its margin over
the runner-up, how much of the question's vocabulary the corpus knows at all,
and how much of it the top passage contains.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import bm25s
import numpy as np
import Stemmer

from .cache import LRUCache
from .embed import Embedder
from .index import Index
from .records import Passage
from .text import content_terms, edit_distance_at_most, tokens

# Measured on the dev set (scripts/tune_retrieval.py): "question + answer" alone
# ranks best (top-1 0.84 dense only, vs 0.60 question, 0.78 answer, 0.62
# title/section/question, 0.71 max over views); mixing in the other views adds
# nothing, and lexical weights from 0.5 to 1.0 with BM25_HALF from 1 to 4 form
# a plateau (top-1 0.93): the constants sit in its middle.
VIEW_WEIGHTS: dict[str, float] = {"question_answer": 1.0}
# The passage's best-matching answer sentence, mixed in at this weight, lifts
# passages whose answer matches in one sentence while the whole reads
# differently: recall@3 0.98 -> 1.00 on the dev set, top-1 unchanged (stable for
# weights 0.3-0.5 and lexical weights 0.5-1.0).
SENTENCE_WEIGHT = 0.3
# A question that is (nearly) the FAQ's own question gets a bonus, so asking an
# FAQ question verbatim always finds it: +QUESTION_MATCH_WEIGHT per unit of
# question-view similarity above QUESTION_MATCH_FLOOR. Dev-set metrics are
# unchanged by it; verbatim questions go from 41/42 to 42/42 first.
QUESTION_MATCH_FLOOR = 0.8
QUESTION_MATCH_WEIGHT = 2.0
LEXICAL_WEIGHT = 0.7
BM25_HALF = 2.0
# Text outside any question (intros, notes) rarely answers a question by itself:
# it ranks below a question passage with similar evidence.
SECTION_PENALTY = 0.1
CANDIDATES = 50

# Logistic model of P(the corpus answers the question) over the signals below,
# fitted on the dev set as a whole (`scripts/tune_retrieval.py confidence`;
# it also prints leave-one-out figures and the threshold sweep behind
# Settings.no_answer_threshold). The margin over the runner-up is reported but
# did not help once coverage is in.
CONFIDENCE_WEIGHTS: dict[str, float] = {
    "bias": -7.81,
    "fused": 5.4,
    "known_terms": 3.51,
    "top_coverage": 2.95,
}

_stemmer = Stemmer.Stemmer("english")


def stem_terms(text: str) -> list[str]:
    """Stemmed content terms: the unit of lexical matching."""
    return list(_stem_terms(text))


@functools.lru_cache(maxsize=8192)
def _stem_terms(text: str) -> tuple[str, ...]:
    # The same question and answer sentences are stemmed by several stages: once is enough.
    return tuple(_stemmer.stemWords(content_terms(text)))


def passage_search_text(passage: Passage) -> str:
    return " ".join(part for part in (passage.section, passage.question, passage.answer_text) if part)


@dataclass(frozen=True)
class Hit:
    """One ranked passage with the evidence behind its rank."""

    passage_index: int
    passage: Passage
    score: float
    dense: float
    lexical: float
    views: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Retrieval:
    """The outcome of one search."""

    question: str
    searched: str
    query_vector: np.ndarray
    hits: list[Hit]
    signals: dict[str, float]
    confidence: float
    timings_ms: dict[str, float]


class Retriever:
    """Dense + lexical search over one loaded index.

    >>> retriever = Retriever(index, embedder)            # doctest: +SKIP
    >>> retriever.search("How do I extend the trial?").hits[0].passage.question  # doctest: +SKIP
    'How do I extend the trial?'
    """

    def __init__(self, index: Index, embedder: Embedder, *, cache_size: int = 1024) -> None:
        if embedder.dimension != index.manifest["dimension"]:
            raise ValueError(
                f"embedder dimension {embedder.dimension} does not match the index's "
                f"{index.manifest['dimension']}"
            )
        self.index = index
        self.embedder = embedder
        self._vectors: LRUCache[str, np.ndarray] = LRUCache(cache_size)
        self.views = [view for view in VIEW_WEIGHTS if view in index.view_vectors]
        if not self.views:
            raise ValueError(f"the index has none of the views {sorted(VIEW_WEIGHTS)}: rebuild it")
        documents = [stem_terms(passage_search_text(p)) for p in index.passages]
        self._bm25 = bm25s.BM25()
        if index.passages:
            self._bm25.index(documents, show_progress=False)
        self._document_frequency = Counter(term for terms in documents for term in set(terms))
        self._passage_terms = [set(terms) for terms in documents]
        self._is_section = np.array([p.question is None for p in index.passages], dtype=np.float32)
        self._vocabulary = Counter(
            word for p in index.passages for word in tokens(passage_search_text(p) + " " + p.doc_title)
        )
        # Spelling candidates by first letter, most frequent first; corrections are memoized.
        self._words_by_initial: dict[str, list[str]] = {}
        for word, _ in self._vocabulary.most_common():
            if word.isalpha():
                self._words_by_initial.setdefault(word[0], []).append(word)
        self._corrections: dict[str, str | None] = {}

    # ------------------------------------------------------------------ parts

    def acronyms(self, question: str) -> dict[str, str]:
        """Capitalized phrases the question spells out whose acronym the corpus uses
        instead: {"Cloud Solution Provider": "CSP"}."""
        found = {}
        for phrase in _CAPITALIZED_PHRASE.findall(question):
            acronym = "".join(word[0] for word in phrase.split()).lower()
            if acronym in self._vocabulary and acronym not in tokens(question):
                found[phrase] = acronym.upper()
        return found

    def correct_spelling(self, question: str) -> str:
        """Replace words the corpus never uses by a known word one edit away (two for long words)."""
        corrected = question
        for word in set(tokens(question)):
            if len(word) < 4 or not word.isalpha() or word in self._vocabulary:
                continue
            if word not in self._corrections:
                if len(self._corrections) >= 10_000:  # strangers type anything: stay bounded
                    self._corrections.clear()
                self._corrections[word] = self._closest_known_word(word)
            if (best := self._corrections[word]) is not None:
                corrected = _replace_word(corrected, word, best)
        return corrected

    def _closest_known_word(self, word: str) -> str | None:
        if _stemmer.stemWord(word) in self._document_frequency:
            return None  # another form of a known word ("solution" for "solutions")
        limit = 2 if len(word) >= 8 else 1
        for known in self._words_by_initial.get(word[0], []):  # most frequent first
            if abs(len(known) - len(word)) <= limit and edit_distance_at_most(word, known, limit):
                return known
        return None

    def known_terms(self, question: str) -> float:
        """Share of the question's content terms that occur anywhere in the corpus (0..1)."""
        terms = stem_terms(question)
        if not terms:
            return 0.0
        return sum(term in self._document_frequency for term in terms) / len(terms)

    def coverage(self, question: str, passage_index: int) -> float:
        """IDF-weighted share of the question's content terms that the passage contains."""
        terms = stem_terms(question)
        if not terms:
            return 0.0
        weights = {t: self.idf(t) for t in terms}
        found = sum(w for t, w in weights.items() if t in self._passage_terms[passage_index])
        return found / sum(weights.values())

    def idf(self, term: str) -> float:
        """How rare a stemmed term is in the corpus (a term the corpus never uses is rarest)."""
        total = len(self.index.passages)
        return math.log(1 + (total + 1) / (1 + self._document_frequency.get(term, 0)))

    def passage_terms(self, passage_index: int) -> set[str]:
        """The stemmed content terms of a passage's section, question and answer."""
        return self._passage_terms[passage_index]

    # ------------------------------------------------------------------ search

    def search(self, question: str, k: int = 10) -> Retrieval:
        """Rank the passages for `question`; the best `k` are returned with their evidence."""
        started = time.perf_counter()
        searched = self.correct_spelling(question)
        # The model reads the phrase and its acronym; BM25 gets the corpus's own word only.
        lexical_query = searched
        acronyms = self.acronyms(searched)
        for phrase, acronym in acronyms.items():
            lexical_query = lexical_query.replace(phrase, acronym)
        if acronyms:
            searched = f"{searched} ({', '.join(acronyms.values())})"
        vector = self._vectors.get(searched)
        if vector is None:
            vector = self.embedder.encode([searched])[0]
            self._vectors.put(searched, vector)
        encoded = time.perf_counter()
        hits = self._rank(vector, lexical_query, k)
        ranked = time.perf_counter()
        signals = self._signals(lexical_query, hits)
        return Retrieval(
            question=question,
            searched=searched,
            query_vector=vector,
            hits=hits,
            signals=signals,
            confidence=confidence(signals),
            timings_ms={
                "encode": (encoded - started) * 1000,
                "search": (ranked - encoded) * 1000,
            },
        )

    def _rank(self, vector: np.ndarray, lexical_query: str, k: int) -> list[Hit]:
        passages = self.index.passages
        if not passages:
            return []
        depth = min(CANDIDATES, len(passages))
        found = [
            self.index.view_indexes[view].search(vector[None, :], depth)[1][0] for view in self.views
        ]
        query_terms = stem_terms(lexical_query)
        lexical_all = self._bm25.get_scores(query_terms) if query_terms else np.zeros(len(passages))
        best_lexical = np.argpartition(-lexical_all, depth - 1)[:depth]
        found.append(best_lexical[lexical_all[best_lexical] > 0])
        rows = np.unique(np.concatenate(found))
        rows = rows[rows >= 0]  # faiss pads with -1 when it finds fewer than asked
        view_scores = {view: self.index.view_vectors[view][rows] @ vector for view in self.views}
        weighted_views = sum(VIEW_WEIGHTS[view] * view_scores[view] for view in self.views)
        main_view = view_scores[self.views[0]]
        best_sentence = self.index.best_sentence_scores(rows, vector, default=main_view)
        weight_sum = sum(VIEW_WEIGHTS[view] for view in self.views) + SENTENCE_WEIGHT
        dense = (weighted_views + SENTENCE_WEIGHT * best_sentence) / weight_sum
        lexical = lexical_all[rows]
        fused = dense + LEXICAL_WEIGHT * lexical / (lexical + BM25_HALF) - SECTION_PENALTY * self._is_section[rows]
        if "question" in self.index.view_vectors:
            question_similarity = self.index.view_vectors["question"][rows] @ vector
            bonus = np.maximum(0.0, question_similarity - QUESTION_MATCH_FLOOR) * (1.0 - self._is_section[rows])
            fused = fused + QUESTION_MATCH_WEIGHT * bonus
        order = np.argsort(-fused)[:k]
        return [
            Hit(
                passage_index=int(rows[i]),
                passage=passages[int(rows[i])],
                score=float(fused[i]),
                dense=float(dense[i]),
                lexical=float(lexical[i]),
                views={view: float(view_scores[view][i]) for view in self.views},
            )
            for i in order
        ]

    def _signals(self, lexical_query: str, hits: list[Hit]) -> dict[str, float]:
        if not hits:
            return {"fused": 0.0, "margin": 0.0, "known_terms": 0.0, "top_coverage": 0.0}
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        return {
            "fused": hits[0].score,
            "margin": hits[0].score - runner_up,
            "known_terms": self.known_terms(lexical_query),
            "top_coverage": self.coverage(lexical_query, hits[0].passage_index),
        }


def confidence(signals: dict[str, float]) -> float:
    """P(the top passage answers the question) from the retrieval signals (logistic model)."""
    z = CONFIDENCE_WEIGHTS["bias"] + sum(
        CONFIDENCE_WEIGHTS[name] * value for name, value in signals.items() if name in CONFIDENCE_WEIGHTS
    )
    return 1.0 / (1.0 + math.exp(-z))


_CAPITALIZED_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,4}\b")


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)\b{re.escape(word)}\b", replacement, text)
