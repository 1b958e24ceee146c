"""The rule engine: which facts answer a numeric question (evidence first), or whether to
refuse or leave the question to retrieval. See the package docstring for the steps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from faqbot.answer.rules.answers import FigureAnswers, _Scored
from faqbot.answer.rules.formatting import _same_noun
from faqbot.answer.rules.intent import (
    _ACTION_DEADLINE,
    _DEADLINE_WORDS,
    _DURATION_UNITS,
    _END_OF_TERM,
    _SIZE_UNITS,
    _YES_NO,
    Intent,
    detect_intent,
    subject_terms,
)
from faqbot.answer.rules.reading import _NAME, _PRONOUN, normalize_question, split_parts
from faqbot.core.records import Answer, Citation, Fact, RuleTrace
from faqbot.core.text import split_sentences, stem_terms
from faqbot.search.retrieve import Retrieval, Retriever


class RuleEngine(FigureAnswers):
    """Answers numeric questions from the index's facts; `today` is the injectable clock."""

    # Facts scoring within this of the best are ties: all are given.
    TIE = 0.05
    # Refuse when more than this share (IDF-weighted) of the question's topic words
    # that the corpus knows is absent from the passage holding the best figure.
    MAX_UNMATCHED = 0.5
    # A figure is given only when at least this share of the question's topic words
    # (IDF-weighted, see _score) stands near it.
    MIN_MATCH = 0.25
    # A match this clear answers even when retrieval alone is not confident.
    STRONG_MATCH = 0.6

    def __init__(self, retriever: Retriever, today: Callable[[], dt.date], min_confidence: float = 0.0) -> None:
        self.retriever = retriever
        self.index = retriever.index
        self.today = today
        self.min_confidence = min_confidence
        self._row_of = {p.passage_id: i for i, p in enumerate(self.index.passages)}
        self._facts_by_row: dict[int, list[Fact]] = {}
        for fact in self.index.facts:
            row = self._row_of.get(fact.passage_id)
            if row is not None:
                self._facts_by_row.setdefault(row, []).append(fact)
        self._vocabulary: set[str] = set()
        for passage in self.index.passages:
            text = " ".join(filter(None, [passage.doc_title, passage.section, passage.question, passage.answer_text]))
            self._vocabulary.update(stem_terms(text))

    def answer(self, question: str, retrieval: Retrieval, min_confidence: float | None = None) -> Answer | None:
        """A `rule` or `no_answer` Answer for a numeric question; None to leave it to retrieval.

        `min_confidence` is the retrieval confidence below which an answer needs a
        clear match between the question and a fact (the caller's no-answer threshold).
        """
        threshold = self.min_confidence if min_confidence is None else min_confidence
        plain = normalize_question(question)
        parts = split_parts(plain)
        if len(parts) > 1:
            return self._several(question, parts, retrieval, threshold)
        return self._answer_one(question, plain, retrieval, threshold)

    def _answer_one(self, question: str, plain: str, retrieval: Retrieval, threshold: float) -> Answer | None:
        intent = detect_intent(plain)
        if intent is None or not retrieval.hits:
            return None
        terms = [t for t in subject_terms(plain, intent) if t in self._vocabulary]
        unknown = [t for t in subject_terms(plain, intent) if t not in self._vocabulary]
        # A name the FAQ never uses ("Field Service", "Salesforce") says the figure asked is of
        # something else; an unknown common word ("our shop") says nothing.
        unknown_names = [t for t in stem_terms(" ".join(_NAME.findall(plain))) if t in unknown]
        confident = retrieval.confidence >= threshold
        relevant = self._relevant_rows(retrieval)
        if intent.stated is not None and intent.kind == "date":
            # "Has the March 2026 call taken place?": the stated month names the event; look wider.
            relevant = [hit.passage_index for hit in retrieval.hits[: self.RELEVANT_HITS + 2]]
        candidates = [
            self._score(fact, row, terms)
            for row in relevant
            for fact in self._facts_by_row.get(row, [])
            if self._fits(fact, intent)
        ]
        if not candidates and terms:
            # Nothing of that kind in the passages ranked first: a passage ranked a little lower
            # may still state it, and is taken only when a fact's own words match the question.
            wider = [
                hit.passage_index
                for hit in retrieval.hits[: self.RELEVANT_HITS + 2]
                if hit.passage_index not in relevant
            ]
            candidates = [
                scored
                for row in wider
                for fact in self._facts_by_row.get(row, [])
                if self._fits(fact, intent) and (scored := self._score(fact, row, terms)).score >= self.STRONG_MATCH
            ]
            relevant = relevant + wider
        candidates = self._prefer_event(candidates, intent)
        if not candidates and unknown_names and intent.kind == "money" and confident:
            return self._refuse(question, retrieval, unknown_names, intent.kind)  # "Salesforce" prices
        if not candidates:
            if confident and not _YES_NO.match(plain) and self._states_no_such_figure(intent, retrieval, terms):
                return self._refuse(question, retrieval, terms or unknown, intent.kind)
            return None
        if unknown_names and intent.stated is None:
            return self._refuse(question, retrieval, unknown_names, intent.kind) if confident else None
        if unknown and not terms:
            # Every topic word is one this FAQ never uses: it is about something else.
            return self._refuse(question, retrieval, unknown, intent.kind) if confident else None
        picked = self._pick_dates(plain, intent, candidates)
        if picked:
            # The question names which date (a month, a year, "first", "next"): the pick is the match.
            candidates = [_Scored(c.fact, max(c.score, self.STRONG_MATCH), c.passage_index) for c in picked]
        best = max(candidate.score for candidate in candidates)
        chosen = _dedupe([c for c in candidates if c.score >= best - self.TIE])
        top = max(chosen, key=lambda c: (c.score, -relevant.index(c.passage_index)))
        off_topic = bool(terms) and self._unmatched_share(terms, top.passage_index) > self.MAX_UNMATCHED
        weak = bool(terms) and best < self.MIN_MATCH
        if weak or (off_topic and intent.kind == "money"):
            # The figures found are about something else: no figure beats a wrong one. A price
            # question is refused on either sign; other figures when neither the figure's own
            # words nor its passage are about what is asked (a figure whose own clause matches
            # answers even when its passage lacks some of the question's words).
            refuse = off_topic and weak if intent.kind != "money" else True
            if confident and refuse:
                return self._refuse(question, retrieval, terms, intent.kind)
            return None
        if not confident and terms and best < self.STRONG_MATCH:
            return None  # weak evidence on both sides: let retrieval answer or abstain
        confidence = min(1.0, 0.5 * max(retrieval.confidence, threshold) + 0.5 * min(1.0, best if terms else 1.0))
        if intent.stated is not None and not intent.now:
            return self._check(question, retrieval, intent, chosen, confidence)
        if intent.kind == "money":
            return self._money(question, retrieval, intent, chosen, confidence)
        if intent.kind == "date":
            return self._date(question, retrieval, intent, chosen, confidence)
        return self._quantity(question, retrieval, intent, chosen, confidence)

    def _several(self, question: str, parts: list[str], retrieval: Retrieval, threshold: float) -> Answer | None:
        answers: list[tuple[str, Answer | None, Retrieval]] = []
        previous = ""
        for part in parts:
            # "..., and how many does it include?": "it" is what the part before was about.
            query = f"{previous} {part}" if previous and _PRONOUN.search(part) else part
            part_retrieval = self.retriever.search(query, k=max(len(retrieval.hits), self.RELEVANT_HITS))
            previous = part
            answers.append((part, self._answer_one(part, part, part_retrieval, threshold), part_retrieval))
        if not any(a is not None and a.kind == "rule" for _, a, _ in answers):
            return None
        lines: list[str] = []
        citations: list[Citation] = []
        steps: list[str] = []
        inputs: dict[str, str] = {}
        confidences = []
        for number, (part, answer, part_retrieval) in enumerate(answers, start=1):
            # Each part is repeated as a heading (unless it holds a number of its own: every
            # number in a rule answer stands in a cited sentence or in a step shown).
            heading = (
                f"*{part[:1].upper()}{part[1:]}*"
                if not re.search(r"\d", part)
                else f"*Part {['one', 'two', 'three', 'four', 'five'][min(number, 5) - 1]}*"
            )
            if answer is not None and answer.kind == "rule":
                lines.append(f"{heading}\n{answer.answer}")
                citations += answer.citations
                steps += answer.rule.steps if answer.rule else []
                inputs.update({f"part {number} {k}": v for k, v in (answer.rule.inputs if answer.rule else {}).items()})
                confidences.append(answer.confidence)
            elif part_retrieval.hits and part_retrieval.confidence >= threshold:
                hit = part_retrieval.hits[0]
                quote = next(iter(split_sentences(hit.passage.answer_text)), hit.passage.answer_text)
                lines.append(f"{heading}\n{quote}")
                citations.append(Citation.of(hit.passage, quote, hit.score))
                confidences.append(part_retrieval.confidence)
            else:
                lines.append(f"{heading}\nThe FAQ doesn't say.")
                confidences.append(0.0)
        unique: list[Citation] = []
        for citation in citations:
            if all((c.passage_id, c.quote) != (citation.passage_id, citation.quote) for c in unique):
                unique.append(citation)
        return Answer(
            question=question,
            answer="\n\n".join(lines),
            kind="rule",
            confidence=round(min(confidences), 4),
            citations=unique,
            rule=RuleTrace(name="several_questions", inputs=inputs, steps=steps),
        )

    @staticmethod
    def _fits(fact: Fact, intent: Intent) -> bool:
        if fact.kind != intent.kind:
            return False
        unit = (fact.unit or "").casefold().rstrip("s")
        if intent.duration:
            return unit in _DURATION_UNITS
        if intent.size:
            return unit in _SIZE_UNITS
        if intent.noun and not intent.percent and fact.value is not None:
            # "How many nodes?" is not answered by a count of clusters.
            return bool(set(stem_terms(intent.noun)) & set(stem_terms(fact.unit or "")))
        if intent.stated is not None and intent.kind == "quantity":
            return _same_noun(fact.unit, intent.stated.fact.unit)
        return True

    @staticmethod
    def _prefer_event(candidates: list[_Scored], intent: Intent) -> list[_Scored]:
        """For a question about a limit in time, the dates of the event it asks about:
        an action's deadline ("still possible to renew") or a term's end ("still running")."""
        if intent.kind != "date" or not (intent.deadline or intent.still):
            return candidates
        if intent.still == "state":
            ends = [c for c in candidates if _END_OF_TERM.search(c.fact.clause.casefold())]
            if ends:
                return ends
        if intent.still == "action":
            actions = [c for c in candidates if _ACTION_DEADLINE.search(c.fact.clause.casefold())]
            actions = [c for c in actions if not _END_OF_TERM.search(c.fact.clause.casefold())] or actions
            if actions:
                return actions
        # Limits ("before", "through"...) answer a question about a limit in time, when stated.
        limits = [c for c in candidates if _DEADLINE_WORDS.search(c.fact.clause.casefold())]
        return limits or candidates

    def _score(self, fact: Fact, row: int, terms: list[str]) -> _Scored:
        if not terms:
            return _Scored(fact, 0.0, row)
        near = set(stem_terms(" ".join([fact.clause, fact.subject, *fact.qualifiers, fact.unit or ""])))
        unit = set(stem_terms(fact.unit or ""))
        sentence = set(stem_terms(fact.sentence))
        passage = self.index.passages[row]
        heading = set(stem_terms(" ".join(filter(None, [passage.question, passage.section]))))
        total = matched = 0.0
        for term in terms:
            weight = self.retriever.idf(term)
            total += weight
            if term in near:
                matched += weight * (1.5 if term in unit else 1.0)
            elif term in sentence:
                matched += weight * 0.5
            elif term in heading:
                matched += weight * 0.25
        return _Scored(fact, matched / total, row)

    def _unmatched_share(self, terms: list[str], row: int) -> float:
        passage = self.index.passages[row]
        known = self.retriever.passage_terms(row) | set(stem_terms(passage.doc_title))
        weights = {term: self.retriever.idf(term) for term in terms}
        return sum(w for t, w in weights.items() if t not in known) / sum(weights.values())

    def _states_no_such_figure(self, intent: Intent, retrieval: Retrieval, terms: list[str]) -> bool:
        """True when the passage retrieval trusts most holds no figure of the kind asked at all:
        no fact, and no number even in a table or a form the facts do not read ("8-12 weeks").
        A price question whose passage says it is free ("no additional cost") is not refused."""
        if intent.stated is not None or intent.duration or intent.now:
            return False
        if not any(f.kind == intent.kind for f in self.index.facts):
            return False  # this FAQ states no figure of that kind anywhere: retrieval decides
        passage = retrieval.hits[0].passage
        text = " ".join(filter(None, [passage.question, passage.answer_text]))
        if (
            intent.kind == "money"
            and terms
            and self._unmatched_share(terms, retrieval.hits[0].passage_index) > self.MAX_UNMATCHED
        ):
            return True  # the passage found is about something else, and gives no price of this
        if intent.kind == "money" and re.search(
            r"\b(free|no (additional )?(cost|charge)|at no|included|charged|pricing page)\b", text, re.IGNORECASE
        ):
            return False
        if intent.size:
            return not re.search(r"\d\s?(?:[KMGTP]i?B|bytes?)\b", text)
        # A date or a count may be given in words or as an event ("when the group starts"):
        # only a price is refused for want of a number.
        return intent.kind == "money" and not re.search(r"\d", text)

    def _pick_dates(self, question: str, intent: Intent, candidates: list[_Scored]) -> list[_Scored]:
        """The dates a question singles out among several of one passage: those in a stated
        month ("the March 2026 call") or year ("in 2026"), then the first, last or next one."""
        dated = [(c.fact.date, c) for c in candidates if c.fact.date is not None]
        if intent.kind != "date" or len(dated) < 2:
            return []
        text = question.casefold()
        picked = dated
        if intent.stated is not None and intent.stated.fact.date is not None:
            wanted = intent.stated.fact.date
            picked = [(day, c) for day, c in picked if (day.year, day.month) == (wanted.year, wanted.month)]
        elif year := re.search(r"\b(?:in|during|of|for)\s+((?:19|20)\d\d)\b", text):
            picked = [(day, c) for day, c in picked if day.year == int(year.group(1))]
        today = self.today()
        by_date = sorted(picked, key=lambda pair: pair[0])  # stable: ties keep their order
        if re.search(r"\b(next|upcoming)\b", text):
            picked = [pair for pair in by_date if pair[0] >= today][:1]
        elif re.search(r"\b(most recent|previous|last one)\b", text):
            picked = [pair for pair in by_date if pair[0] < today][-1:]
        elif re.search(r"\b(first|earliest)\b", text):
            picked = by_date[:1]
        elif re.search(r"\b(last|latest|final)\b", text) and not intent.deadline:
            picked = by_date[-1:]
        return [c for _, c in picked] if 0 < len(picked) < len(dated) else []


def _dedupe(candidates: list[_Scored]) -> list[_Scored]:
    """One candidate per figure and value: the same date stated in two passages is one answer."""
    kept: dict[tuple, _Scored] = {}
    for candidate in sorted(candidates, key=lambda c: -c.score):
        fact = candidate.fact
        key = (
            fact.kind,
            fact.date or fact.value,
            fact.unit if fact.kind == "quantity" else fact.period,
            tuple(fact.qualifiers),
        )
        kept.setdefault(key, candidate)
    return list(kept.values())
