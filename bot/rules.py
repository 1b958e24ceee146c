"""Numeric questions -> exact answers from the facts of the corpus, or an honest refusal.

A question goes through four steps; nothing here knows any particular FAQ:

1. **Intent** (`detect_intent`): what is asked for: a price (`money`), a date
   (`date`) or a quantity (`quantity`, "how long" asks for a duration), with
   modifiers: a conversion of a monthly price ("per year", "over 12 months"),
   a difference ("how much would I save", "difference between"), or a question
   about now ("is it still possible", "has it launched", "how many days left").
2. **Candidates**: facts of that kind in the passages retrieval finds relevant
   (the top hit and those scoring close to it).
3. **Subject match**: each candidate is scored by how many of the question's
   topic words (IDF-weighted, stemmed) stand in its clause, subject,
   qualifiers or unit (full weight), elsewhere in its sentence (half) or in its
   passage's question (a quarter). The best facts win; facts tied with the best
   (the question does not say which qualifier applies, e.g. new vs existing
   customers) are all given, each with its qualifier.
4. **Answer or refuse**: the figure exactly as written, the sentence it stands
   in as the citation quote, any arithmetic step by step. When most of the
   question's distinctive words are absent from the passage holding the best
   figure (the price of something the corpus never prices), the answer is
   `no_answer` and says what the corpus does give, with citations.

A number appears in a rule answer only if it stands in a cited sentence or is
the result of arithmetic shown in `Answer.rule.steps`. When no intent is found,
or no supporting fact, `answer` returns None and retrieval answers as usual.
Related questions are added by the caller (FAQBot), as for every answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from .records import Answer, Citation, Fact, RuleTrace
from .retrieve import Retrieval, Retriever, stem_terms

# --------------------------------------------------------------------------- intent

_MONEY = re.compile(
    r"\b(how much|prices?|priced|pricing|costs?|costing|fees?|charged?|charges|"
    r"expensive|cheaper|cheap|spend)\b|[$€£]"
)
# "pay" asks for an amount only in "what/how much ... pay" ("Can I pay by card?" does not).
_PAY_AMOUNT = re.compile(r"\b(what|how much)\b.*\bpay(ing|s)?\b")
_NOT_MONEY = re.compile(r"\bhow much (data|storage|space|time|capacity)\b")
_DATE = re.compile(
    r"\b(when|what date|which date|dates?|deadline|by when|until when|launch(ed)?|"
    r"released?|generally available|ga)\b"
)
_DURATION = re.compile(r"\bhow long\b")
_QUANTITY = re.compile(
    r"\b(how many|how much (data|storage|space|capacity)|number of|minimum|maximum|max|min|"
    r"limits?|quotas?|how big|how large|percentage|percent|what share)\b"
)
_PER_YEAR = re.compile(r"\b(per year|a year|each year|every year|annual|annually|yearly|per annum)\b")
_PER_MONTH = re.compile(r"\b(per month|a month|each month|every month|monthly)\b")
_OVER_PERIOD = re.compile(r"\b(?:over|for|in|across)\s+(?:a\s+|the\s+)?(\d{1,3}|one|two|three|five|ten)?\s*(months?|years?)\b")
_DIFFERENCE = re.compile(r"\b(save|saving|savings|difference|differ|cheaper|more expensive|less expensive|discount)\b")
_NOW = re.compile(
    r"\b(still|already|yet|too late|is it possible|can i still|has it|have they|days? left|"
    r"how long until|how many days|days until|days remain|remaining|passed|expired|over now)\b"
)
_ASKS_DEADLINE = re.compile(r"\b(deadline|by when|until when|latest|last day|no later than|expire|expires|expiry|cut-?off)\b")
_DAYS_LEFT = re.compile(r"\b(days? left|how long until|how many days|days until|days remain|remaining)\b")
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "five": 5, "ten": 10}
_DEADLINE_WORDS = re.compile(r"\b(before|by|through|until|till|no later than|beyond|deadline|must|expires?|ends?)\b")
_DURATION_UNITS = {"second", "minute", "hour", "day", "week", "month", "year"}

# Words that say what kind of figure is asked, not what it is about.
_INTENT_WORDS = frozenset(
    """how much many price prices priced pricing cost costs costing pay paying fee fees charge charged
    charges expensive cheap cheaper spend save saving savings discount when date dates deadline long
    per year years annual annually yearly annum month months monthly each every over total
    difference differ between number minimum maximum max min amount quantity value figure
    still already yet late possible left until remain remaining days day passed expired now
    today exactly""".split()
)


@dataclass(frozen=True)
class Intent:
    """What a numeric question asks for."""

    kind: str  # "money" | "date" | "quantity"
    duration: bool = False  # "how long": a quantity whose unit is a time span
    months: int | None = None  # convert a monthly price to this many months (12 = per year)
    per_month: bool = False  # convert a yearly price to per month
    difference: bool = False
    now: bool = False
    days_left: bool = False
    deadline: bool = False  # asks for a limit in time ("deadline", "still possible")


def detect_intent(question: str) -> Intent | None:
    """The numeric intent of a question, or None when it asks for no figure.

    >>> detect_intent("How much does the base plan cost per year?").months
    12
    >>> detect_intent("Why is the sky blue?") is None
    True
    """
    text = question.casefold()
    now = bool(_NOW.search(text))
    days_left = bool(_DAYS_LEFT.search(text))
    if (_MONEY.search(text) or _PAY_AMOUNT.search(text)) and not _NOT_MONEY.search(text):
        months = None
        if _PER_YEAR.search(text):
            months = 12
        elif over := _OVER_PERIOD.search(text):
            count = over.group(1) or "1"
            count_value = int(count) if count.isdigit() else _WORD_NUMBERS[count]
            months = count_value * (12 if over.group(2).startswith("year") else 1)
        return Intent(
            kind="money",
            months=months,
            per_month=bool(_PER_MONTH.search(text)),
            difference=bool(_DIFFERENCE.search(text)),
        )
    deadline = bool(_ASKS_DEADLINE.search(text)) or now
    if days_left or deadline or _DATE.search(text):
        return Intent(kind="date", now=now, days_left=days_left, deadline=deadline)
    if _DURATION.search(text):
        return Intent(kind="quantity", duration=True)
    if _QUANTITY.search(text):
        return Intent(kind="quantity")
    return None


_RATE_PHRASE = re.compile(r"\b(?:per|a|each|every)\s+(?:tenant|user|seat|month|year|day|week|hour|person|license|licence)\b", re.I)


def subject_terms(question: str) -> list[str]:
    """The stemmed topic words of a numeric question: what the figure is about
    (not the words that ask for a figure, nor rate phrases like "per tenant")."""
    question = _RATE_PHRASE.sub(" ", question)
    kept = " ".join(word for word in re.findall(r"[\w'’$-]+", question) if word.casefold() not in _INTENT_WORDS)
    return [term for term in dict.fromkeys(stem_terms(kept)) if not term.isdigit()]


# --------------------------------------------------------------------------- formatting


def format_amount(value: float, like: str) -> str:
    """`value` written the way the corpus wrote `like` ("$1,700" -> "$20,400")."""
    prefix = like[: len(like) - len(like.lstrip("$€£¥₹US "))]
    suffix_match = re.search(r"\s*[A-Z]{3}$", like)
    suffix = suffix_match.group(0) if suffix_match and not prefix else ""
    cents = "." in like or abs(value - round(value)) > 1e-9
    number = f"{value:,.2f}" if cents else f"{round(value):,}"
    return f"{prefix}{number}{suffix}"


def format_date(day: dt.date) -> str:
    """A date as Microsoft Learn writes it: "September 1, 2025"."""
    return f"{day:%B} {day.day}, {day.year}"


def _rate(fact: Fact) -> str:
    parts = []
    if fact.per:
        parts.append(f"per {fact.per}")
    if fact.period:
        parts.append(f"per {fact.period}")
    return " ".join(parts)


def _describe(fact: Fact) -> str:
    """A figure with what narrows it: "**$1,700** per tenant per month for new customers"."""
    if fact.kind == "quantity" and fact.value is None and fact.unit:
        return " ".join([f"an **{fact.text}** number of {fact.unit}", *fact.qualifiers])
    pieces = [f"**{fact.text}**"]
    if fact.kind == "money" and _rate(fact):
        pieces.append(_rate(fact))
    elif fact.kind == "quantity" and fact.unit and fact.unit not in fact.text:
        pieces.append(fact.unit)
    pieces += fact.qualifiers
    return " ".join(pieces)


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class _Scored:
    fact: Fact
    score: float
    passage_index: int


class RuleEngine:
    """Answers numeric questions from the index's facts; `today` is the injectable clock."""

    # How close to the top retrieval score a passage must be for its facts to be candidates.
    RELEVANT_MARGIN = 0.15
    RELEVANT_HITS = 3
    # Facts scoring within this of the best are ties: all are given.
    TIE = 0.05
    # Refuse when more than this share (IDF-weighted) of the question's topic words
    # is absent from the passage holding the best figure.
    MAX_UNMATCHED = 0.5
    # A figure is given only when at least this share of the question's topic words
    # (IDF-weighted, see _score) stands near it.
    MIN_MATCH = 0.25

    def __init__(self, retriever: Retriever, today: Callable[[], dt.date]) -> None:
        self.retriever = retriever
        self.index = retriever.index
        self.today = today
        self._row_of = {p.passage_id: i for i, p in enumerate(self.index.passages)}
        self._facts_by_row: dict[int, list[Fact]] = {}
        for fact in self.index.facts:
            row = self._row_of.get(fact.passage_id)
            if row is not None:
                self._facts_by_row.setdefault(row, []).append(fact)

    def answer(self, question: str, retrieval: Retrieval) -> Answer | None:
        """A `rule` or `no_answer` Answer for a numeric question; None to leave it to retrieval."""
        intent = detect_intent(question)
        if intent is None or not retrieval.hits:
            return None
        terms = subject_terms(question)
        relevant = self._relevant_rows(retrieval)
        candidates = [
            self._score(fact, row, terms)
            for row in relevant
            for fact in self._facts_by_row.get(row, [])
            if self._fits(fact, intent)
        ]
        if intent.deadline:
            # A question about a limit in time is answered by limits ("before", "through"...), not by
            # other dates of the same topic, when the relevant passages state one.
            limits = [c for c in candidates if _DEADLINE_WORDS.search(c.fact.clause.casefold())]
            candidates = limits or candidates
        if not candidates:
            if intent.kind == "money":
                return self._refuse_money(question, retrieval, terms)
            return None
        best = max(candidate.score for candidate in candidates)
        chosen = _dedupe([c for c in candidates if c.score >= best - self.TIE])
        top = max(chosen, key=lambda c: (c.score, -relevant.index(c.passage_index)))
        if terms:
            off_topic = self._unmatched_share(terms, top.passage_index) > self.MAX_UNMATCHED
            if off_topic and (intent.kind == "money" or top.passage_index == retrieval.hits[0].passage_index):
                # The passage retrieval trusts most states figures of this kind, about something else.
                return self._refuse(question, retrieval, terms, [c.fact for c in chosen], intent.kind)
            if off_topic or best < self.MIN_MATCH:
                # The figures found are not clearly about what is asked: no figure beats a wrong one.
                if intent.kind == "money":
                    return self._refuse(question, retrieval, terms, [c.fact for c in chosen], intent.kind)
                return None
        confidence = min(1.0, 0.5 * retrieval.confidence + 0.5 * min(1.0, best if terms else 1.0))
        if intent.kind == "money":
            return self._money(question, retrieval, intent, chosen, confidence)
        if intent.kind == "date":
            return self._date(question, retrieval, intent, chosen, confidence)
        return self._listing(question, retrieval, "quantity", chosen, confidence)

    # ------------------------------------------------------------------ choosing

    def _relevant_rows(self, retrieval: Retrieval) -> list[int]:
        top = retrieval.hits[0].score
        return [
            hit.passage_index
            for hit in retrieval.hits[: self.RELEVANT_HITS]
            if hit.score >= top - self.RELEVANT_MARGIN
        ]

    @staticmethod
    def _fits(fact: Fact, intent: Intent) -> bool:
        if fact.kind != intent.kind:
            return False
        if intent.duration:
            unit = (fact.unit or "").casefold().rstrip("s")
            return unit in _DURATION_UNITS
        return True

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

    # ------------------------------------------------------------------ answers

    def _money(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        steps: list[str] = []
        if intent.difference:
            best = max(chosen, key=lambda c: c.score).fact
            siblings = [
                f for f in self._facts_by_row.get(self._row_of[best.passage_id], [])
                if f.kind == "money" and (f.sentence == best.sentence or (best.subject and f.subject == best.subject))
            ]
            if len({f.value for f in siblings}) >= 2:
                facts = siblings
        if intent.difference and len({f.value for f in facts}) >= 2:
            high, low = max(facts, key=lambda f: f.value or 0), min(facts, key=lambda f: f.value or 0)
            difference = (high.value or 0) - (low.value or 0)
            months = intent.months if high.period == "month" else None
            rate = f" {_rate(high)}" if _rate(high) else ""
            steps.append(f"{high.text} − {low.text} = {format_amount(difference, high.text)}{rate}")
            text = f"The difference is **{format_amount(difference, high.text)}**{rate}"
            if months:
                total = difference * months
                per = f" per {high.per}" if high.per else ""
                span = "per year" if months == 12 else f"over {months} months"
                steps.append(f"{format_amount(difference, high.text)} × {months} = {format_amount(total, high.text)}{per} {span}")
                text = f"The difference is **{format_amount(total, high.text)}**{per} {span}"
            text += f" ({'; '.join(steps)}):\n" + "\n".join(f"- {_describe(f)}" for f in (high, low))
            return self._rule_answer(question, retrieval, "price_difference", [high, low], text, steps, confidence)
        conversions = [self._convert(fact, intent) for fact in facts]
        if any(conversion is not None for conversion in conversions):
            lines = []
            for fact, conversion in zip(facts, conversions):
                if conversion is None:
                    lines.append(f"- {_describe(fact)}")
                    continue
                step, figure, tail = conversion
                steps.append(step)
                lines.append(" ".join([f"**{figure}**{tail}", *fact.qualifiers]) + f" ({step})")
            text = lines[0] + "." if len(lines) == 1 else "\n".join(f"- {line}" if not line.startswith("- ") else line for line in lines)
            return self._rule_answer(question, retrieval, "price_conversion", facts, text, steps, confidence)
        answer = self._listing(question, retrieval, "money", chosen, confidence)
        if intent.months or intent.per_month:
            # Asked per year (or per month), but the FAQ states no period to convert from.
            note = "The FAQ gives no billing period for this price, so I can't convert it:\n"
            answer = answer.model_copy(update={"answer": note + answer.answer.removeprefix("The FAQ gives:\n")})
        return answer

    @staticmethod
    def _convert(fact: Fact, intent: Intent) -> tuple[str, str, str] | None:
        """(the step shown, the converted figure, what it is per) or None when nothing to convert."""
        per = f" per {fact.per}" if fact.per else ""
        if intent.months and fact.period == "month":
            figure = format_amount((fact.value or 0) * intent.months, fact.text)
            tail = f"{per} {'per year' if intent.months == 12 else f'over {intent.months} months'}"
            return f"{fact.text} × {intent.months} = {figure}{tail}", figure, tail
        if intent.per_month and fact.period == "year":
            figure = format_amount((fact.value or 0) / 12, fact.text)
            return f"{fact.text} ÷ 12 = {figure}{per} per month", figure, f"{per} per month"
        return None

    def _date(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        if not intent.now:
            return self._listing(question, retrieval, "date", chosen, confidence)
        today = self.today()
        facts = [c.fact for c in chosen if c.fact.date is not None]
        if not facts:
            return self._listing(question, retrieval, "date", chosen, confidence)
        lines, steps = [], []
        for fact in facts:
            days = (fact.date - today).days
            deadline = bool(_DEADLINE_WORDS.search(fact.clause.casefold()))
            if intent.days_left or days >= 0:
                steps.append(f"{format_date(fact.date)} − {format_date(today)} = {days} days")
            else:
                steps.append(f"{format_date(today)} is after {format_date(fact.date)}")
            if days > 0:
                lines.append(f"**{fact.text}** is {days} days from today ({format_date(today)}).")
            elif days == 0:
                lines.append(f"**{fact.text}** is today.")
            elif deadline:
                lines.append(f"The deadline of **{fact.text}** has passed (today is {format_date(today)}).")
            else:
                lines.append(f"**{fact.text}** has passed (today is {format_date(today)}): it happened {-days} days ago.")
        text = " ".join(lines)
        return self._rule_answer(question, retrieval, "date_vs_today", facts, text, steps, confidence)

    def _listing(self, question, retrieval, kind: str, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        if len(facts) == 1:
            described = _describe(facts[0])
            text = f"{described[:1].upper()}{described[1:]}."  # the sentence is the citation's quote
        else:
            # Figures about different things are told apart by the corpus's own words for them.
            distinct = len({f.subject for f in facts}) > 1
            lines = [f"- {_describe(f)}: “{f.clause}”" if distinct else f"- {_describe(f)}" for f in facts]
            text = "The FAQ gives:\n" + "\n".join(lines)
        return self._rule_answer(question, retrieval, f"{kind}_lookup", facts, text, [], confidence)

    def _rule_answer(self, question, retrieval, name: str, facts: list[Fact], text: str, steps: list[str], confidence) -> Answer:
        return Answer(
            question=question,
            answer=text,
            kind="rule",
            confidence=round(confidence, 4),
            citations=self._citations(facts, retrieval),
            rule=RuleTrace(
                name=name,
                inputs={f"{fact.kind} {i + 1}": f"{fact.text} ({fact.passage_id})" for i, fact in enumerate(facts)},
                steps=steps,
            ),
        )

    def _refuse_money(self, question, retrieval, terms) -> Answer | None:
        """A price question whose relevant passages hold no price: say what the corpus prices."""
        priced = [f for f in self.index.facts if f.kind == "money"]
        if not priced:
            return None  # this corpus gives no prices at all: let retrieval answer
        scored = [self._score(f, self._row_of[f.passage_id], terms) for f in priced]
        best = max(s.score for s in scored)
        return self._refuse(question, retrieval, terms, [s.fact for s in scored if s.score >= best - self.TIE], "money")

    def _refuse(self, question, retrieval, terms, given: list[Fact], kind: str) -> Answer:
        noun = {"money": "a price", "date": "a date", "quantity": "a figure"}[kind]
        given = given[:3]
        text = f"The FAQ doesn't give {noun} for that, and I won't guess one."
        if given:
            text += " What it does give:\n" + "\n".join(f"- {_describe(f)}" for f in given)
        return Answer(
            question=question,
            answer=text,
            kind="no_answer",
            confidence=round(min(retrieval.confidence, 0.3), 4),
            citations=self._citations(given, retrieval),
            rule=RuleTrace(name="no_matching_figure", inputs={"asked": kind, "about": " ".join(terms)}),
        )

    def _citations(self, facts: list[Fact], retrieval: Retrieval) -> list[Citation]:
        """One citation per sentence that states a figure, quoting that sentence."""
        scores = {hit.passage_index: hit.score for hit in retrieval.hits}
        citations: list[Citation] = []
        seen: set[tuple[str, str]] = set()
        for fact in facts:
            if (fact.passage_id, fact.sentence) in seen:
                continue
            seen.add((fact.passage_id, fact.sentence))
            row = self._row_of[fact.passage_id]
            citations.append(Citation.of(self.index.passages[row], fact.sentence, scores.get(row, 0.0)))
        return citations


def _dedupe(candidates: list[_Scored]) -> list[_Scored]:
    """One candidate per figure and value: the same date stated in two passages is one answer."""
    kept: dict[tuple, _Scored] = {}
    for candidate in sorted(candidates, key=lambda c: -c.score):
        fact = candidate.fact
        key = (fact.kind, fact.date or fact.value, fact.unit if fact.kind == "quantity" else fact.period, tuple(fact.qualifiers))
        kept.setdefault(key, candidate)
    return list(kept.values())
