"""Question -> ranked passages, from dense and lexical evidence, with a confidence.

1. The question is spell-corrected against the corpus vocabulary (symspellpy:
   "capcity" -> "capacity", "bapacity" -> "capacity"), and a spelled-out phrase
   whose acronym the corpus uses ("Cloud Solution Provider" -> "CSP") is
   searched by that acronym.
2. Candidates: the nearest passages by the question + answer vector and by the
   question vector, and the best by BM25.
3. Each candidate gets the features in `RANKING_FEATURES`: cosine similarity
   per view (question + answer, question, best answer sentence, the heading
   path "document title > section"), BM25 per field (all text, question,
   answer, heading), relative to the best candidate, IDF-weighted coverage of
   the question's words, and whether it is a section rather than a question.
   A logistic model (`fusion.FusionModel.ranking`, fitted leave-one-document-out
   on the labelled dev questions) turns them into P(this passage answers), the
   hit's score.
4. Whether to answer at all: a second logistic model over `ABSTENTION_FEATURES`,
   four signals that mean the same on any FAQ corpus and on any way of wording a
   question: the top passage's ranking probability and its margin over the second,
   its question + answer cosine (raw: a corpus-relative scale moves with the other
   documents of the corpus), and whether the dense ranking agrees. Lexical signals
   (unknown words, coverage) are computed too (`SIGNALS`, for diagnostics) but not
   used: they shift with how loosely a question is worded, so a cut fitted on
   questions written close to the FAQ refuses loosely worded ones.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import bm25s
import numpy as np
from cachetools import LRUCache
from symspellpy import SymSpell, Verbosity

from faqbot.core.records import Passage
from faqbot.core.text import DEFAULT_LANGUAGE, stem_terms, stem_word, tokens
from faqbot.search.embed import Embedder
from faqbot.search.fusion import FusionModel
from faqbot.search.index import Index

# How many passages each source (dense per view, BM25) proposes as candidates.
CANDIDATES = 50
# A question this similar to an FAQ question (question view) is that question asked (near)
# verbatim: its passage ranks first whatever the other evidence. Not fitted: the labelled
# questions are paraphrases, and asking the FAQ's own question must always find it.
VERBATIM_SIMILARITY = 0.97
# FAQ questions sampled to measure the corpus's own question-to-answer scores.
SELF_SCORE_SAMPLE = 2_000

RANKING_FEATURES: tuple[str, ...] = (
    "dense_question_answer",
    "dense_question",
    "dense_sentence",
    "dense_heading",
    "dense_question_answer_gap",
    "dense_question_gap",
    "bm25_all",
    "bm25_question",
    "bm25_answer",
    "bm25_heading",
    "coverage",
    "question_coverage",
    "is_section",
)
"""Per (question, candidate passage). Similarities are cosines; `*_gap` is the
candidate's similarity minus the best candidate's; BM25 scores are divided by
the best candidate's (0..1); coverages are IDF-weighted shares of the
question's content terms found in the passage (all fields / question and
heading)."""

SIGNALS: tuple[str, ...] = (
    "top_probability",
    "margin",
    "top_similarity",
    "dense_scaled",
    "unknown_terms",
    "top_coverage",
    "uncovered_rarity",
    "lexical_agrees",
    "dense_agrees",
    "log_terms",
)
"""Per question, about the top-ranked passage (`Retrieval.signals`). `top_similarity`
is its question + answer cosine; `dense_scaled` the same on the corpus's own scale:
0 at the median similarity of an FAQ question to its nearest *other* answer, 1 at
the median similarity to its own answer. `uncovered_rarity` is the IDF (relative to
a word the corpus never uses) of the rarest known question word that the top
passage lacks. `*_agrees` is 1 / rank of the top passage by BM25 / by dense
similarity."""

ABSTENTION_FEATURES: tuple[str, ...] = ("top_probability", "margin", "top_similarity", "dense_agrees")
"""The signals the abstention model reads: the ones whose meaning does not move with
the corpus (no corpus-relative scale) or with the wording of the question (no
lexical overlap). Leave-one-document-out, adding the lexical ones bought at most a
few points of out-of-domain declines at the same false no-answer rate (within the
noise of 112 such questions) and raised false no-answers on the third of answerable
questions that share the fewest words with their passage: they measure how a
question is worded as much as whether the corpus answers it."""


def heading_text(passage: Passage) -> str:
    """Where the passage stands: "document title > section"."""
    return " > ".join(part for part in (passage.doc_title, passage.section) if part)


def passage_search_text(passage: Passage) -> str:
    """Everything lexical search matches: title, section, question and answer."""
    return " ".join(part for part in (heading_text(passage), passage.question, passage.answer_text) if part)


@dataclass(frozen=True)
class Hit:
    """One ranked passage with the evidence behind its rank; `score` is P(it answers)."""

    passage_index: int
    passage: Passage
    score: float
    dense: float
    lexical: float
    views: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidates:
    """The passages considered for one question and their ranking features."""

    searched: str
    lexical_query: str
    query_vector: np.ndarray
    rows: np.ndarray
    features: np.ndarray  # len(rows) x len(RANKING_FEATURES)
    bm25_all: np.ndarray  # raw BM25 over all fields, per candidate

    def column(self, name: str) -> np.ndarray:
        return self.features[:, RANKING_FEATURES.index(name)]


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


class _FieldBM25:
    """BM25 (bm25s) over one field of every passage."""

    def __init__(self, documents: list[list[str]]) -> None:
        self.size = len(documents)
        self._bm25: bm25s.BM25 | None = None
        if any(documents):
            self._bm25 = bm25s.BM25()
            self._bm25.index(documents, show_progress=False)

    def scores(self, terms: list[str]) -> np.ndarray:
        if self._bm25 is None or not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)


class Retriever:
    """Dense + lexical search over one loaded index, fused and judged by `model`.

    >>> retriever = Retriever(index, embedder)            # doctest: +SKIP
    >>> retriever.search("How do I extend the trial?").hits[0].passage.question  # doctest: +SKIP
    'How do I extend the trial?'
    """

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        *,
        cache_size: int = 1024,
        model: FusionModel | None = None,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        if embedder.dimension != index.manifest.dimension:
            raise ValueError(
                f"embedder dimension {embedder.dimension} does not match the index's {index.manifest.dimension}"
            )
        if "question_answer" not in index.view_vectors:
            raise ValueError("the index has no 'question_answer' view: rebuild it")
        self.index = index
        self.embedder = embedder
        self.language = language  # the stemmer's: lexical fields and queries are stemmed alike
        self.model = model or FusionModel.load()
        # cachetools caches are not thread-safe: server threads share one retriever.
        self._lock = threading.Lock()
        self._vectors: LRUCache[str, np.ndarray] | None = LRUCache(cache_size) if cache_size > 0 else None
        passages = index.passages
        qa = index.view_vectors["question_answer"]
        self._question_vectors = index.view_vectors.get("question", qa)

        documents = [stem_terms(passage_search_text(p), self.language) for p in passages]
        self._bm25 = {
            "all": _FieldBM25(documents),
            "question": _FieldBM25([stem_terms(p.question or "", self.language) for p in passages]),
            "answer": _FieldBM25([stem_terms(p.answer_text, self.language) for p in passages]),
            "heading": _FieldBM25([stem_terms(heading_text(p), self.language) for p in passages]),
        }
        self._document_frequency = Counter(term for terms in documents for term in set(terms))
        self._passage_terms = [set(terms) for terms in documents]
        self._question_terms = [
            set(stem_terms(f"{heading_text(p)} {p.question or ''}", self.language)) for p in passages
        ]
        self._is_section = np.array([p.question is None for p in passages], dtype=np.float32)

        # The heading path is embedded once per distinct heading (a corpus has few).
        headings = [heading_text(p) for p in passages]
        distinct = sorted(set(headings))
        heading_vectors = embedder.encode(distinct) if distinct else np.zeros((0, embedder.dimension), np.float32)
        row_of = {text: i for i, text in enumerate(distinct)}
        self._heading_vectors = heading_vectors[[row_of[h] for h in headings]] if passages else heading_vectors

        self._own_scale = self._self_scores()

        self._vocabulary = Counter(word for p in passages for word in tokens(passage_search_text(p)))
        self._speller: SymSpell | None = None  # built at the first unknown word (see `_closest_known_word`)
        self._corrections: LRUCache[str, str | None] = LRUCache(10_000)  # strangers type anything

    def _self_scores(self) -> tuple[float, float]:
        """Median similarity of the corpus's FAQ questions to their own answer (question +
        answer view) and to the nearest other passage's: the corpus's own scale."""
        rows = np.flatnonzero(self._is_section == 0)
        if len(rows) < 2 or "question" not in self.index.view_vectors:
            return 0.3, 0.7  # no FAQ questions to measure: typical MiniLM figures
        rows = rows[np.linspace(0, len(rows) - 1, min(len(rows), SELF_SCORE_SAMPLE)).astype(int)]
        queries = np.ascontiguousarray(self._question_vectors[rows], dtype=np.float32)
        scores, found = self.index.view_indexes["question_answer"].search(queries, 2)
        own = np.einsum("ij,ij->i", queries, self.index.view_vectors["question_answer"][rows])
        other = np.where(found[:, 0] == rows, scores[:, 1], scores[:, 0])
        low, high = float(np.median(other)), float(np.median(own))
        return (low, high) if high - low > 0.05 else (low, low + 0.05)

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
        """Replace words the corpus never uses by the most frequent known word one edit
        away (two for words of 8+ letters), the first letter included."""
        corrected = question
        for word in set(tokens(question)):
            if len(word) < 4 or not word.isalpha() or word in self._vocabulary:
                continue
            with self._lock:
                known = word in self._corrections
                best = self._corrections.get(word)
            if not known:
                best = self._closest_known_word(word)
                with self._lock:
                    self._corrections[word] = best
            if best is not None:
                corrected = _replace_word(corrected, word, best)
        return corrected

    def _closest_known_word(self, word: str) -> str | None:
        if stem_word(word, self.language) in self._document_frequency:
            return None  # another form of a known word ("solution" for "solutions")
        if self._speller is None:
            # Building the deletes dictionary costs ~0.1 s per 1,000 words, so a corpus whose
            # questions are all spelled right never pays it; lookups then take well under 1 ms.
            speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            for known, count in self._vocabulary.items():
                if known.isalpha():
                    speller.create_dictionary_entry(known, count)
            self._speller = speller
        limit = 2 if len(word) >= 8 else 1
        found = self._speller.lookup(word, Verbosity.TOP, max_edit_distance=limit)
        return found[0].term if found else None

    def known_terms(self, question: str) -> float:
        """Share of the question's content terms that occur anywhere in the corpus (0..1)."""
        terms = stem_terms(question, self.language)
        if not terms:
            return 0.0
        return sum(term in self._document_frequency for term in terms) / len(terms)

    def coverage(self, question: str, passage_index: int) -> float:
        """IDF-weighted share of the question's content terms that the passage contains."""
        return self._coverage(stem_terms(question, self.language), self._passage_terms[passage_index])

    def _coverage(self, terms: list[str], found_in: set[str]) -> float:
        if not terms:
            return 0.0
        weights = {t: self.idf(t) for t in terms}
        return sum(w for t, w in weights.items() if t in found_in) / sum(weights.values())

    def idf(self, term: str) -> float:
        """How rare a stemmed term is in the corpus (a term the corpus never uses is rarest)."""
        total = len(self.index.passages)
        return math.log(1 + (total + 1) / (1 + self._document_frequency.get(term, 0)))

    def passage_terms(self, passage_index: int) -> set[str]:
        """The stemmed content terms of a passage's title, section, question and answer."""
        return self._passage_terms[passage_index]

    # ------------------------------------------------------------------ search

    def search(self, question: str, k: int = 10) -> Retrieval:
        """Rank the passages for `question`; the best `k` are returned with their evidence."""
        started = time.perf_counter()
        candidates = self.candidates(question)
        encoded = time.perf_counter()
        hits, signals, confidence = self.rank(candidates, k)
        ranked = time.perf_counter()
        return Retrieval(
            question=question,
            searched=candidates.searched,
            query_vector=candidates.query_vector,
            hits=hits,
            signals=signals,
            confidence=confidence,
            timings_ms={"encode": (encoded - started) * 1000, "search": (ranked - encoded) * 1000},
        )

    def rank(
        self, candidates: Candidates, k: int = 10, model: FusionModel | None = None
    ) -> tuple[list[Hit], dict[str, float], float]:
        """The best `k` hits by the ranking model, the abstention signals and the confidence
        (`model` defaults to the retriever's own; evaluation passes the one of each fold)."""
        model = model or self.model
        if len(candidates.rows) == 0:
            return [], {}, 0.0
        probability = model.ranking.probability(candidates.features)
        verbatim = (candidates.column("dense_question") >= VERBATIM_SIMILARITY) & (candidates.column("is_section") == 0)
        if verbatim.any():
            best = int(np.flatnonzero(verbatim)[np.argmax(candidates.column("dense_question")[verbatim])])
            probability = probability.copy()
            probability[best] = max(float(probability.max()), float(probability[best]))
            probability[np.arange(len(probability)) != best] = np.minimum(
                probability[np.arange(len(probability)) != best], np.nextafter(probability[best], 0)
            )
        order = np.argsort(-probability, kind="stable")
        signals = self.abstention_signals(candidates, probability)
        row = np.array([signals[name] for name in ABSTENTION_FEATURES])
        confidence = float(model.abstention.probability(row[None, :])[0])
        views = ("dense_question_answer", "dense_question", "dense_sentence", "dense_heading")
        hits = [
            Hit(
                passage_index=int(candidates.rows[i]),
                passage=self.index.passages[int(candidates.rows[i])],
                score=float(probability[i]),
                dense=float(candidates.column("dense_question_answer")[i]),
                lexical=float(candidates.bm25_all[i]),
                views={name.removeprefix("dense_"): float(candidates.column(name)[i]) for name in views},
            )
            for i in order[:k]
        ]
        return hits, signals, confidence

    def candidates(self, question: str) -> Candidates:
        """Spell-correct and encode the question, gather candidate passages and their
        ranking features (see `RANKING_FEATURES`)."""
        searched = self.correct_spelling(question)
        # The model reads the phrase and its acronym; BM25 gets the corpus's own word only.
        lexical_query = searched
        acronyms = self.acronyms(searched)
        for phrase, acronym in acronyms.items():
            lexical_query = lexical_query.replace(phrase, acronym)
        if acronyms:
            searched = f"{searched} ({', '.join(acronyms.values())})"
        vector = self._cached_vector(searched)
        if vector is None:
            vector = self.embedder.encode([searched])[0]
            if self._vectors is not None:
                with self._lock:
                    self._vectors[searched] = vector
        return self._features(searched, lexical_query, vector)

    def _cached_vector(self, text: str) -> np.ndarray | None:
        if self._vectors is None:
            return None
        with self._lock:
            return self._vectors.get(text)

    def _features(self, searched: str, lexical_query: str, vector: np.ndarray) -> Candidates:
        passages = self.index.passages
        width = len(RANKING_FEATURES)
        if not passages:
            empty = np.zeros(0, dtype=np.int64)
            return Candidates(searched, lexical_query, vector, empty, np.zeros((0, width)), np.zeros(0))
        depth = min(CANDIDATES, len(passages))
        query = vector[None, :].astype(np.float32)
        found = [self.index.view_indexes[view].search(query, depth)[1][0] for view in self.index.view_indexes]
        terms = stem_terms(lexical_query, self.language)
        bm25 = {name: field_index.scores(terms) for name, field_index in self._bm25.items()}
        best_lexical = np.argpartition(-bm25["all"], depth - 1)[:depth]
        found.append(best_lexical[bm25["all"][best_lexical] > 0])
        rows = np.unique(np.concatenate(found))
        rows = rows[rows >= 0]  # faiss pads with -1 when it finds fewer than asked

        qa = self.index.view_vectors["question_answer"][rows] @ vector
        question = self._question_vectors[rows] @ vector
        sentence = self.index.best_sentence_scores(rows, vector, default=qa)
        heading = self._heading_vectors[rows] @ vector
        columns = {
            "dense_question_answer": qa,
            "dense_question": question,
            "dense_sentence": sentence,
            "dense_heading": heading,
            "dense_question_answer_gap": qa - qa.max(),
            "dense_question_gap": question - question.max(),
            "coverage": np.array([self._coverage(terms, self._passage_terms[r]) for r in rows]),
            "question_coverage": np.array([self._coverage(terms, self._question_terms[r]) for r in rows]),
            "is_section": self._is_section[rows],
        }
        for name, scores in bm25.items():
            candidate_scores = scores[rows]
            best = candidate_scores.max()
            columns[f"bm25_{name}"] = candidate_scores / best if best > 0 else candidate_scores
        features = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in RANKING_FEATURES])
        return Candidates(searched, lexical_query, vector, rows, features, bm25["all"][rows])

    def abstention_signals(self, candidates: Candidates, probability: np.ndarray) -> dict[str, float]:
        """The question-level `SIGNALS` (`ABSTENTION_FEATURES` among them), given the
        candidates' ranking probabilities."""
        order = np.argsort(-probability, kind="stable")
        top = int(order[0])
        row = int(candidates.rows[top])
        terms = stem_terms(candidates.lexical_query, self.language)
        low, high = self._own_scale
        dense = candidates.column("dense_question_answer")
        unknown_idf = math.log(1 + (len(self.index.passages) + 1))
        uncovered = [
            self.idf(t) / unknown_idf
            for t in terms
            if t in self._document_frequency and t not in self._passage_terms[row]
        ]
        unknown = sum(t not in self._document_frequency for t in terms) / len(terms) if terms else 1.0
        return {
            "top_probability": float(probability[top]),
            "margin": float(probability[top] - (probability[order[1]] if len(order) > 1 else 0.0)),
            "top_similarity": float(dense[top]),
            "dense_scaled": float((dense[top] - low) / (high - low)),
            "unknown_terms": float(unknown),
            "top_coverage": self._coverage(terms, self._passage_terms[row]),
            "uncovered_rarity": max(uncovered, default=0.0),
            "lexical_agrees": 1.0 / (1 + int(np.sum(candidates.bm25_all > candidates.bm25_all[top]))),
            "dense_agrees": 1.0 / (1 + int(np.sum(dense > dense[top]))),
            "log_terms": math.log1p(len(terms)),
        }


_CAPITALIZED_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,4}\b")


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)\b{re.escape(word)}\b", replacement, text)
