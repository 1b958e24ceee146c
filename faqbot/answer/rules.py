"""Numeric questions -> exact answers from the facts of the corpus, evidence first.

Nothing here knows any particular FAQ. A question goes through these steps:

1. **Reading** (`normalize_question`): contractions ("what's", "we're"),
   possessives, hyphenated compounds ("existing-customer") and number words
   ("three years") are rewritten into one plain form. A question that asks
   several things ("When ..., and what does ... cost?") is split into parts,
   each searched and answered on its own, with its own citations.
2. **Intent** (`detect_intent`): what is asked for: a price (`money`), a date
   (`date`) or a quantity (`quantity`), with modifiers: a conversion to a span
   of months, quarters or years, a multiple ("for 3 tenants"), a difference or
   a discount percentage, a share of a number ("10 percent of 5,000"), a span
   from today ("how many months until", "days ago"), whether something is
   still possible (an action before a deadline) or still running (a term
   before its end), and a figure the question states to be checked.
3. **Evidence**: facts of that kind in the passages retrieval finds relevant
   (the top hit and those scoring close to it), each scored by how many of the
   question's topic words stand in its clause, subject, qualifiers or unit
   (full weight), elsewhere in its sentence (half) or its passage's question (a
   quarter). A fact that matches answers; facts tied with the best are all
   given, each with its qualifier.
4. **Answer**: the figure exactly as written, its sentence as the citation,
   any arithmetic step by step in `Answer.rule.steps`. "No: ..." / "Yes: ..."
   for a stated figure. When the relevant passages state figures of the kind
   asked but none about what is asked, the answer is `no_answer` and lists no
   figure (so it can never refuse a figure and then give it). When the
   evidence is weak (retrieval not confident and no clear match), or the
   passages hold no figure of that kind, `answer` returns None and retrieval
   answers or abstains as usual.

A number appears in a rule answer only if it stands in a cited sentence or is
the result of arithmetic shown in `Answer.rule.steps`. Related questions are
added by the caller (FAQBot), as for every answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from faqbot.core.datemath import describe_span, span_between
from faqbot.core.numwords import spell_out_numbers
from faqbot.core.records import Answer, Citation, Fact, RuleTrace
from faqbot.core.text import split_sentences
from faqbot.ingest.facts import facts_in_sentence
from faqbot.search.retrieve import Retrieval, Retriever, stem_terms

# --------------------------------------------------------------------------- reading

_APOSTROPHE = "['’]"
_CONTRACTIONS = [
    (re.compile(rf"\b(can){_APOSTROPHE}t\b", re.IGNORECASE), r"\1not"),
    (re.compile(rf"\b(w)on{_APOSTROPHE}t\b", re.IGNORECASE), r"\1ill not"),
    (re.compile(rf"n{_APOSTROPHE}t\b", re.IGNORECASE), " not"),
    (re.compile(rf"\b(what|that|it|there|here|who|where|when|how|which){_APOSTROPHE}s\b", re.IGNORECASE), r"\1 is"),
    (re.compile(rf"{_APOSTROPHE}re\b", re.IGNORECASE), " are"),
    (re.compile(rf"\b(i){_APOSTROPHE}m\b", re.IGNORECASE), r"\1 am"),
    (re.compile(rf"{_APOSTROPHE}ve\b", re.IGNORECASE), " have"),
    (re.compile(rf"{_APOSTROPHE}ll\b", re.IGNORECASE), " will"),
    (re.compile(rf"{_APOSTROPHE}d\b", re.IGNORECASE), " would"),
    (re.compile(rf"(\w){_APOSTROPHE}s\b", re.IGNORECASE), r"\1"),  # possessive: "Insights's", "customer's"
    (re.compile(rf"(\ws){_APOSTROPHE}(?=\s|$)", re.IGNORECASE), r"\1"),  # plural possessive: "customers'"
]
# Capitalized words inside a sentence (not its first word): names of products, vendors, features.
_NAME = re.compile(r"(?<=[\w,;:)] )(?:[A-Z][\w.+-]*)(?:\s+[A-Z][\w.+-]*)*")
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those)\b", re.IGNORECASE)
_LETTER_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
# Ways to write a currency in a question, by ISO code.
_CURRENCY_WORDS = {
    "EUR": r"euros?|€|eur",
    "GBP": r"pounds? sterling|pounds?|£|gbp",
    "JPY": r"yen|¥|jpy",
    "INR": r"rupees?|₹|inr",
    "CAD": r"canadian dollars?|cad",
    "AUD": r"australian dollars?|aud",
    "CHF": r"swiss francs?|francs?|chf",
    "USD": r"us dollars?|dollars?|usd|\$",
}
_CURRENCY_NAMES = {"EUR": "euro", "GBP": "pound", "JPY": "yen", "INR": "rupee", "CAD": "Canadian dollar",
                   "AUD": "Australian dollar", "CHF": "Swiss franc", "USD": "US dollar"}  # fmt: skip


def normalize_question(question: str) -> str:
    """One plain form of a question: contractions expanded, possessives and
    hyphens between words dropped, number words in digits.

    >>> normalize_question("What's the existing-customer price for three tenants?")
    'What is the existing customer price for 3 tenants?'
    """
    text = question
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = _LETTER_HYPHEN.sub(" ", text)
    return spell_out_numbers(text)


# Where a question asks a second thing: "?" between two questions, or ", and" / "and" before a
# question word ("... last and after how many days can I extend it?").
_PART_BREAK = re.compile(
    r"\?\s+(?=\S)"
    r"|,?\s+(?:and|also|plus)\s+(?=(?:what|when|how|which|who|where|is|are|does|do|can|will|until|after|before|by)\b)",
    re.IGNORECASE,
)


def split_parts(question: str) -> list[str]:
    """The separate questions asked in one message (one part when it asks one thing).

    >>> split_parts("When is it generally available, and what does it cost?")
    ['When is it generally available?', 'what does it cost?']
    >>> split_parts("When and how will it be available to purchase?")
    ['When and how will it be available to purchase?']
    """
    parts = [p.strip(" ,;") for p in _PART_BREAK.split(question) if p.strip(" ,;?")]
    # "When and how will it ship?" asks one thing about two aspects: a part of a single
    # word is a coordinated question word, not a question of its own.
    if len(parts) < 2 or any(len(part.split()) < 2 for part in parts):
        return [question]
    return [p if p.endswith("?") else p + "?" for p in parts]


# --------------------------------------------------------------------------- intent

_MONEY = re.compile(
    r"\b(how much|prices?|priced|pricing|costs?|costing|fees?|charged?|charges|"
    r"expensive|cheaper|cheap|spend)\b|[$€£¥₹]"
)
# "pay" asks for an amount only in "what/how much ... pay" ("Can I pay by card?" does not).
_PAY_AMOUNT = re.compile(r"\b(what|how much)\b.*\bpay(ing|s)?\b")
_NOT_MONEY = re.compile(r"\bhow much (data|storage|space|time|capacity|memory|ram|disk)\b")
_DATE = re.compile(
    r"\b(when|what date|which date|dates?|deadline|by when|until when|until what date|launch(ed)?|"
    r"released?|generally available|ga|go live|went live)\b"
)
_DURATION = re.compile(r"\bhow long\b")
_QUANTITY = re.compile(
    r"\b(how many|how much (data|storage|space|capacity|memory|ram|disk)|number of|minimum|maximum|max|min|"
    r"limits?|quotas?|how big|how large|largest|biggest|smallest|percentage|percent|what share|what portion)\b"
)
_PER_YEAR = re.compile(r"\b(per year|a year|each year|every year|annual|annually|yearly|per annum)\b")
_PER_QUARTER = re.compile(r"\b(per quarter|a quarter|each quarter|every quarter|quarterly)\b")
_PER_MONTH = re.compile(r"\b(per month|a month|each month|every month|monthly)\b")
# "over 2 years", "for 18 months", "6 months of", "a 3 year contract".
_SPAN = re.compile(r"\b(\d+(?:\.\d+)?)\s*(months?|years?|quarters?)\b")
_SPAN_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_DIFFERENCE = re.compile(
    r"\b(save|saving|savings|difference|differ|cheaper|more expensive|less expensive|discount|discounted|"
    r"how much more|how much less)\b"
)
_PERCENT_ASKED = re.compile(r"\b(percent|percentage|per cent)\b|%")
# A count of something in the question: "for 3 tenants", "5,000 people".
_COUNT = re.compile(r"(?<![\w$€£¥₹.,/])(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s+([a-z]+)\b")
_NOW = re.compile(
    r"\b(still|already|yet|too late|is it possible|has it|have they|taken place|happened|passed|expired|over now|"
    r"left|remain|remaining|until|ago|since|from now|today|now)\b"
)
_ASKS_DEADLINE = re.compile(
    r"\b(deadline|by when|until when|until what date|latest|last day|no later than|expire|expires|expiry|"
    r"cut-?off|at most|at the latest)\b"
)
# "how many months until ...", "how long ago", "days left".
_SPAN_ASKED = re.compile(
    r"\bhow many (days|weeks|months|years)\b(?=.*\b(?:ago|until|left|since|from now|remain|remaining|before|away|passed)\b)"
    r"|\b(days|weeks|months|years) (?:ago|until|left|since|from now|remain)"
)
_DAYS_LEFT = re.compile(r"\b(days? left|how long until|how many days|days until|days remain|remaining)\b")
# What "still" asks about: an action before its deadline, or a term that runs until its end.
_STILL_STATE = re.compile(r"\b(running|run|valid|active|in effect|in force|last|lasts|keep|remain|supported|be used)\b")
_STILL_ACTION = re.compile(
    r"\b(renew|renewal|sign|buy|purchase|order|apply|register|enroll|submit|contract|join|switch|opt|request|possible)\b"
)
_END_OF_TERM = re.compile(
    r"\b(maturity|mature|matures|expire|expires|expiry|end|ends|beyond|retire|retired|retirement|lapse|lapses)\b"
)
_ACTION_DEADLINE = re.compile(
    r"\b(before|by|deadline|window|no later than|cut-?off|must be (?:made|contracted|submitted|signed))\b"
)
_DEADLINE_WORDS = re.compile(r"\b(before|by|through|until|till|no later than|beyond|deadline|must|expires?|ends?)\b")
_YES_NO = re.compile(
    r"^\s*(is|was|are|were|does|do|did|can|could|will|would|must|should|has|have|may)\b", re.IGNORECASE
)
_CAPABILITY = re.compile(r"^\s*(can|could|may|will|would)\b", re.IGNORECASE)
_UPPER_LIMIT = re.compile(
    r"\b(up to|maximum|max|at most|no more than|limit|limited to|or smaller|or fewer|or less)\b", re.IGNORECASE
)
_LOWER_LIMIT = re.compile(r"\b(minimum|at least|or larger|or more|or greater|no less than)\b", re.IGNORECASE)
_DURATION_UNITS = {"second", "minute", "hour", "day", "week", "month", "year"}
_COUNTED = re.compile(r"\b(?:how many|number of|(?:maximum|minimum|max|min)(?: number of)?)\s+([a-z]+)")
_GENERIC_NOUNS = frozenset(
    [
        "value",
        "values",
        "amount",
        "amounts",
        "number",
        "numbers",
        "size",
        "sizes",
        "times",
        "total",
        "more",
        "of",
        "the",
        "a",
        "an",
    ]
)
_SIZE_ASKED = re.compile(
    r"\bhow much (data|storage|space|memory|ram|disk)\b|\b(how big|how large|what size|file size|image size|largest file|maximum size)\b"
)
_SIZE_UNITS = {"b", "byte", "kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib", "tib"}
_TIME_NOUNS = {"month", "year", "quarter", "week", "day", "hour", "minute", "second"}

# Words that say what kind of figure is asked, not what it is about.
_INTENT_WORDS = frozenset(
    [
        "how",
        "much",
        "many",
        "price",
        "prices",
        "priced",
        "pricing",
        "cost",
        "costs",
        "costing",
        "pay",
        "paying",
        "fee",
        "fees",
        "charge",
        "charged",
        "charges",
        "expensive",
        "cheap",
        "cheaper",
        "spend",
        "save",
        "saving",
        "savings",
        "discount",
        "discounted",
        "when",
        "date",
        "dates",
        "deadline",
        "long",
        "per",
        "year",
        "years",
        "annual",
        "annually",
        "yearly",
        "annum",
        "month",
        "months",
        "monthly",
        "quarter",
        "quarters",
        "quarterly",
        "each",
        "every",
        "over",
        "total",
        "difference",
        "differ",
        "between",
        "number",
        "minimum",
        "maximum",
        "max",
        "min",
        "amount",
        "quantity",
        "value",
        "figure",
        "still",
        "already",
        "yet",
        "late",
        "possible",
        "left",
        "until",
        "remain",
        "remaining",
        "days",
        "day",
        "passed",
        "expired",
        "now",
        "weeks",
        "week",
        "ago",
        "today",
        "exactly",
        "percent",
        "percentage",
        "share",
        "more",
        "less",
        "would",
        "what",
        "is",
        "are",
        "was",
        "be",
        "the",
        "generally",
        "general",
        "available",
        "availability",
        "ga",
        "launch",
        "launched",
        "released",
        "taken",
        "place",
        "happened",
        "happen",
        "first",
        "earliest",
        "next",
        "upcoming",
        "latest",
        "last",
        "final",
        "previous",
        "recent",
    ]
)


@dataclass(frozen=True)
class Stated:
    """A figure the question states, to be checked against the FAQ ("is it $2,000 per month?")."""

    fact: Fact
    month_only: bool = False  # "October 2023": only the month and year are compared


@dataclass(frozen=True)
class Intent:
    """What a numeric question asks for."""

    kind: str  # "money" | "date" | "quantity"
    duration: bool = False  # "how long": a quantity whose unit is a time span
    size: bool = False  # "how much storage": a quantity whose unit is a size (GB, bytes...)
    noun: str | None = None  # "how many clusters": what the count is of
    months: int | None = None  # convert a monthly price to this many months (12 = per year)
    per_month: bool = False  # convert a yearly price to per month
    difference: bool = False
    percent: bool = False  # a difference as a percentage of the higher figure (a discount)
    now: bool = False
    days_left: bool = False
    deadline: bool = False  # asks for a limit in time ("deadline", "still possible")
    span_unit: str | None = None  # "how many months until ...": the unit of a span from today
    still: str | None = None  # "state" (still running) or "action" (still possible to do)
    count: tuple[float, str] | None = None  # "for 3 tenants": (3, "tenants")
    stated: Stated | None = None
    currency: str | None = None  # an ISO code the question asks the price in


def _stated_figure(question: str, kind_hint: str | None) -> Stated | None:
    """The figure a yes/no question states, if any ("Is it $2,000 per month?")."""
    if not _YES_NO.match(question):
        return None
    figures = [f for f in facts_in_sentence(question, "question") if f.kind != "quantity" or f.value is not None]
    if kind_hint:
        figures = [f for f in figures if f.kind == kind_hint] or figures
    if not figures:
        return None
    order = {"money": 0, "date": 1, "quantity": 2}
    fact = min(figures, key=lambda f: order[f.kind])
    month_only = fact.kind == "date" and not re.search(r"\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d[/-]\d|^\d", fact.text)
    return Stated(fact, month_only)


def _count(text: str, kind: str) -> tuple[float, str] | None:
    """A count of things in the question ("for 3 tenants"), not a span of time or money."""
    for match in _COUNT.finditer(text):
        noun = match.group(2)
        if noun.rstrip("s") in _TIME_NOUNS or noun in ("percent", "gb", "mb", "tb"):
            continue
        if text[max(0, match.start() - 1) : match.start()] in "$€£¥₹":
            continue
        return float(match.group(1).replace(",", "")), noun
    return None


def _counted_noun(text: str) -> str | None:
    """What "how many ..." counts ("clusters"), or None when the question does not name it."""
    match = _COUNTED.search(text)
    if match is None or match.group(1) in _GENERIC_NOUNS or match.group(1) in _INTENT_WORDS:
        return None
    if not match.group(1).endswith("s") and match.group(1) not in ("people", "data"):
        return None  # "how many go through ...": a verb, not what is counted
        return None
    return match.group(1)


def _currency_asked(text: str) -> str | None:
    for code, pattern in _CURRENCY_WORDS.items():
        if re.search(rf"(?<!\w)(?:{pattern})(?!\w)", text):
            return code
    return None


def detect_intent(question: str) -> Intent | None:
    """The numeric intent of a question, or None when it asks for no figure.

    >>> detect_intent("How much does the base plan cost per year?").months
    12
    >>> detect_intent("What would 3 tenants pay over two years?").count
    (3.0, 'tenants')
    >>> detect_intent("Why is the sky blue?") is None
    True
    """
    plain = normalize_question(question)
    text = plain.casefold()
    stated = _stated_figure(plain, None)
    now = bool(_NOW.search(text))
    span = _SPAN_ASKED.search(text)
    span_unit = (span.group(1) or span.group(2)) if span else None
    still = None
    if "still" in text or _ASKS_DEADLINE.search(text):
        ends = _STILL_STATE.search(text) or _END_OF_TERM.search(text)
        still = "state" if ends else "action" if _STILL_ACTION.search(text) else None
    asks_money = (_MONEY.search(text) or _PAY_AMOUNT.search(text)) and not _NOT_MONEY.search(text)
    if _PERCENT_ASKED.search(text) and _DIFFERENCE.search(text):
        asks_money = True  # "what percentage discount": a difference of two prices
    if re.search(r"\b(what is|what would|what will)\b", text) and (_PER_YEAR.search(text) or _PER_QUARTER.search(text)):
        # "With 4 tenants, what is the base plan per year?": a total for a count of payers.
        asks_money = asks_money or (_count(text, "money") is not None and not _QUANTITY.search(text))
    if (asks_money or (stated and stated.fact.kind == "money")) and not span_unit:
        months = None
        if _PER_YEAR.search(text):
            months = 12
        elif _PER_QUARTER.search(text):
            months = 3
        elif over := _SPAN.search(text):
            unit = over.group(2).rstrip("s")
            months = round(float(over.group(1)) * _SPAN_MONTHS[unit]) or None
        return Intent(
            kind="money",
            months=months,
            per_month=bool(_PER_MONTH.search(text)) and months is None,
            difference=bool(_DIFFERENCE.search(text)),
            percent=bool(_PERCENT_ASKED.search(text)) and bool(_DIFFERENCE.search(text)),
            count=_count(text, "money"),
            stated=stated if stated and stated.fact.kind == "money" else None,
            currency=_currency_asked(text),
        )
    if stated and stated.fact.kind == "date" and not now:
        return Intent(kind="date", stated=stated, still=still)
    deadline = bool(_ASKS_DEADLINE.search(text)) or (now and not span_unit and "ago" not in text)
    if span_unit or deadline or _DATE.search(text) or (now and re.search(r"\b(still|already|yet)\b", text)):
        return Intent(
            kind="date",
            now=now or bool(span_unit),
            days_left=bool(_DAYS_LEFT.search(text)) or span_unit == "days",
            deadline=deadline,
            span_unit=span_unit,
            still=still,
            stated=stated if stated and stated.fact.kind == "date" else None,
        )
    if stated and stated.fact.kind == "quantity":
        return Intent(kind="quantity", stated=stated)
    if _DURATION.search(text):
        return Intent(kind="quantity", duration=True)
    if _QUANTITY.search(text) or _SIZE_ASKED.search(text):
        return Intent(
            kind="quantity",
            size=bool(_SIZE_ASKED.search(text)),
            noun=_counted_noun(text),
            count=_count(text, "quantity"),
            percent=bool(_PERCENT_ASKED.search(text)),
        )
    return None


_RATE_PHRASE = re.compile(
    r"\b(?:per|a|each|every)\s+(?:tenant|user|seat|month|year|quarter|day|week|hour|person|license|licence)\b",
    re.IGNORECASE,
)


def subject_terms(question: str, intent: Intent | None = None) -> list[str]:
    """The stemmed topic words of a numeric question: what the figure is about
    (not the words that ask for a figure, nor rate phrases like "per tenant",
    nor the figure or count the question itself states)."""
    question = normalize_question(question)
    if intent is not None and intent.stated is not None:
        question = question.replace(intent.stated.fact.text, " ")
    question = _RATE_PHRASE.sub(" ", question)
    question = _COUNT.sub(" ", question)
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


def format_count(value: float) -> str:
    """A count as a person writes it: "5,000", "2.5"."""
    return f"{round(value):,}" if abs(value - round(value)) < 1e-9 else f"{value:,.2f}".rstrip("0").rstrip(".")


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


def _span_name(months: int) -> str:
    if months == 12:
        return "per year"
    if months == 3:
        return "per quarter"
    if months % 12 == 0:
        return f"over {months // 12} years"
    return f"over {months} months"


def _same_noun(a: str | None, b: str | None) -> bool:
    return bool(a and b) and stem_terms(a)[:1] == stem_terms(b)[:1] and bool(stem_terms(a))


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

    # ------------------------------------------------------------------ one question

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

    # ------------------------------------------------------------------ several questions

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

    # ------------------------------------------------------------------ choosing

    def _relevant_rows(self, retrieval: Retrieval) -> list[int]:
        top = retrieval.hits[0].score
        return [
            hit.passage_index for hit in retrieval.hits[: self.RELEVANT_HITS] if hit.score >= top - self.RELEVANT_MARGIN
        ]

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

    # ------------------------------------------------------------------ stated figures

    def _check(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        """ "Yes: ..." when the FAQ's figure is the one stated, "No: ..." with the FAQ's figure otherwise."""
        stated = intent.stated
        assert stated is not None
        capability = bool(_CAPABILITY.match(question))
        unique: dict[object, Fact] = {}
        for candidate in chosen:  # the same figure stated twice is one figure here
            unique.setdefault(
                candidate.fact.date or (candidate.fact.value, candidate.fact.period, candidate.fact.per), candidate.fact
            )
        verdicts = [(fact, _agrees(fact, stated, capability)) for fact in unique.values()]
        facts = [f for f, _ in verdicts]
        agreeing = [f for f, ok in verdicts if ok]
        if agreeing:
            first = agreeing[0]
            text = f"Yes: {_describe(first)}" + (f" (“{first.clause}”)." if first.kind == "date" else ".")
            others = [f for f in facts if f not in agreeing]
            if others:
                text += " The FAQ also gives:\n" + "\n".join(f"- {_describe(f)}" for f in others)
        elif len(facts) == 1:
            text = f"No: the FAQ gives {_describe(facts[0])}, not {stated.fact.text}."
        else:
            text = f"No: the FAQ doesn't give {stated.fact.text}. It gives:\n" + "\n".join(
                f"- {_describe(f)}" for f in facts
            )
        name = "figure_check_yes" if agreeing else "figure_check_no"
        # The comparison is the step shown: the question's figure against the FAQ's.
        steps = [f"{stated.fact.text} {_relation(fact, stated, capability, ok)} {fact.text}" for fact, ok in verdicts]
        answer = self._rule_answer(question, retrieval, name, agreeing or facts, text, steps, confidence)
        return answer.model_copy(
            update={"citations": self._citations(agreeing + [f for f in facts if f not in agreeing], retrieval)}
        )

    # ------------------------------------------------------------------ answers

    def _money(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        currencies = {f.currency for f in facts if f.currency}
        if intent.currency and currencies and intent.currency not in currencies:
            given = ", ".join(sorted(_CURRENCY_NAMES.get(c, c) for c in currencies))
            text = (
                f"The FAQ gives prices in {given} only; it gives no {_CURRENCY_NAMES.get(intent.currency, intent.currency)} price:\n"
                + "\n".join(f"- {_describe(f)}" for f in facts)
            )
            return self._rule_answer(question, retrieval, "price_other_currency", facts, text, [], confidence)
        steps: list[str] = []
        if intent.difference:
            best = max(chosen, key=lambda c: c.score).fact
            siblings = [
                f
                for f in self._facts_by_row.get(self._row_of[best.passage_id], [])
                if f.kind == "money" and (f.sentence == best.sentence or (best.subject and f.subject == best.subject))
            ]
            if len({f.value for f in siblings}) >= 2:
                facts = siblings
        if intent.difference and len({f.value for f in facts}) >= 2:
            return self._difference(question, retrieval, intent, facts, confidence)
        conversions = [self._convert(fact, intent) for fact in facts]
        if any(conversion is not None for conversion in conversions):
            lines = []
            for fact, conversion in zip(facts, conversions, strict=False):
                if conversion is None:
                    lines.append(f"- {_describe(fact)}")
                    continue
                step, figure, tail = conversion
                steps.append(step)
                lines.append(" ".join([f"**{figure}**{tail}", *fact.qualifiers]) + f" ({step})")
            text = (
                lines[0] + "."
                if len(lines) == 1
                else "\n".join(f"- {line}" if not line.startswith("- ") else line for line in lines)
            )
            return self._rule_answer(question, retrieval, "price_conversion", facts, text, steps, confidence)
        answer = self._listing(question, retrieval, "money", chosen, confidence)
        if (intent.months or intent.per_month) and not any(f.period for f in facts):
            # Asked per year (or per month), but the FAQ states no period to convert from.
            note = "The FAQ gives no billing period for this price, so I can't convert it:\n"
            answer = answer.model_copy(update={"answer": note + answer.answer.removeprefix("The FAQ gives:\n")})
        return answer

    def _difference(self, question, retrieval, intent: Intent, facts: list[Fact], confidence) -> Answer:
        high, low = max(facts, key=lambda f: f.value or 0), min(facts, key=lambda f: f.value or 0)
        difference = (high.value or 0) - (low.value or 0)
        rate = f" {_rate(high)}" if _rate(high) else ""
        shown = format_amount(difference, high.text)
        steps = [f"{high.text} − {low.text} = {shown}{rate}"]
        listing = "\n".join(f"- {_describe(f)}" for f in (high, low))
        if intent.percent and high.value:
            share = difference / high.value * 100
            percent = f"{share:.1f}%".replace(".0%", "%")
            steps.append(f"{shown} ÷ {high.text} = {percent}")
            text = f"The discount is **{percent}** of {high.text} ({'; '.join(steps)}):\n{listing}"
            return self._rule_answer(question, retrieval, "price_discount", [high, low], text, steps, confidence)
        text = f"The difference is **{shown}**{rate}"
        months = intent.months if high.period == "month" else None
        if months:
            total = difference * months
            per = f" per {high.per}" if high.per else ""
            span = _span_name(months)
            steps.append(f"{shown} × {months} = {format_amount(total, high.text)}{per} {span}")
            text = f"The difference is **{format_amount(total, high.text)}**{per} {span}"
        text += f" ({'; '.join(steps)}):\n{listing}"
        return self._rule_answer(question, retrieval, "price_difference", [high, low], text, steps, confidence)

    @staticmethod
    def _convert(fact: Fact, intent: Intent) -> tuple[str, str, str] | None:
        """(the step shown, the converted figure, what it is per) or None when nothing to convert."""
        value = fact.value or 0.0
        factors: list[str] = []
        per = f" per {fact.per}" if fact.per else ""
        tail = f" per {fact.period}" if fact.period else ""
        if intent.count and fact.per and _same_noun(intent.count[1], fact.per):
            count, noun = intent.count
            value *= count
            factors.append(f"{format_count(count)} {noun}")
            per = f" for {format_count(count)} {noun}"
        if intent.months and fact.period == "month":
            value *= intent.months
            factors.append(str(intent.months))
            tail = f" {_span_name(intent.months)}"
        elif intent.months and fact.period == "year" and intent.months % 12 == 0 and intent.months > 12:
            years = intent.months // 12
            value *= years
            factors.append(str(years))
            tail = f" {_span_name(intent.months)}"
        elif intent.per_month and fact.period == "year":
            figure = format_amount(value / 12, fact.text)
            shown = " × ".join([fact.text, *factors])
            return f"{shown} ÷ 12 = {figure}{per} per month", figure, f"{per} per month"
        if not factors:
            return None
        figure = format_amount(value, fact.text)
        return f"{' × '.join([fact.text, *factors])} = {figure}{per}{tail}", figure, f"{per}{tail}"

    def _date(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen if c.fact.date is not None]
        if intent.stated is not None and facts:
            # "Has the March 2026 call taken place?": the stated month picks the event.
            wanted = intent.stated.fact.date
            assert wanted is not None
            same = [
                f
                for f in self._candidate_dates(retrieval)
                if f.date and (f.date.year, f.date.month) == (wanted.year, wanted.month)
            ]
            facts = same or facts
        if not intent.now or not facts:
            return self._listing(question, retrieval, "date", chosen, confidence)
        today = self.today()
        unit = intent.span_unit or "days"
        lines, steps = [], []
        for fact in facts:
            assert fact.date is not None
            days = (fact.date - today).days
            deadline = bool(_DEADLINE_WORDS.search(fact.clause.casefold()))
            count = span_between(fact.date, today, unit)
            span = describe_span(count, unit)
            if unit == "days":
                if intent.days_left or days >= 0:
                    steps.append(f"{format_date(fact.date)} − {format_date(today)} = {days:,} days")
                else:
                    steps.append(f"{format_date(today)} − {format_date(fact.date)} = {-days:,} days")
            else:
                earlier, later = sorted([fact.date, today])
                steps.append(f"from {format_date(earlier)} to {format_date(later)}: {span} (whole {unit})")
            if days > 0:
                lines.append(f"**{fact.text}** is {span} from today ({format_date(today)}).")
            elif days == 0:
                lines.append(f"**{fact.text}** is today.")
            elif deadline and not intent.span_unit:
                lines.append(f"The deadline of **{fact.text}** has passed (today is {format_date(today)}).")
            else:
                lines.append(f"**{fact.text}** has passed (today is {format_date(today)}): it was {span} ago.")
        text = " ".join(lines)
        if intent.still and len(facts) == 1 and _YES_NO.match(question):
            # "Is it still possible ...?" / "Can it still be running?": the date decides.
            text = ("Yes: " if (facts[0].date - today).days >= 0 else "No: ") + text[:1].lower() + text[1:]
        return self._rule_answer(question, retrieval, "date_vs_today", facts, text, steps, confidence)

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
        dated = [c for c in candidates if c.fact.date is not None]
        if intent.kind != "date" or len(dated) < 2:
            return []
        text = question.casefold()
        picked = dated
        if intent.stated is not None and intent.stated.fact.date is not None:
            wanted = intent.stated.fact.date
            picked = [c for c in picked if (c.fact.date.year, c.fact.date.month) == (wanted.year, wanted.month)]
        elif year := re.search(r"\b(?:in|during|of|for)\s+((?:19|20)\d\d)\b", text):
            picked = [c for c in picked if c.fact.date.year == int(year.group(1))]
        today = self.today()
        if re.search(r"\b(next|upcoming)\b", text):
            future = sorted((c for c in picked if c.fact.date >= today), key=lambda c: c.fact.date)
            picked = future[:1]
        elif re.search(r"\b(most recent|previous|last one)\b", text):
            past = sorted((c for c in picked if c.fact.date < today), key=lambda c: c.fact.date)
            picked = past[-1:]
        elif re.search(r"\b(first|earliest)\b", text):
            picked = sorted(picked, key=lambda c: c.fact.date)[:1]
        elif re.search(r"\b(last|latest|final)\b", text) and not intent.deadline:
            picked = sorted(picked, key=lambda c: c.fact.date)[-1:]
        return picked if 0 < len(picked) < len(dated) else []

    def _candidate_dates(self, retrieval: Retrieval) -> list[Fact]:
        return [
            f for row in self._relevant_rows(retrieval) for f in self._facts_by_row.get(row, []) if f.kind == "date"
        ]

    def _quantity(self, question, retrieval, intent: Intent, chosen: list[_Scored], confidence) -> Answer:
        facts = [c.fact for c in chosen]
        shares = [f for f in facts if (f.unit or "").casefold() == "percent" and f.value is not None]
        if intent.count and shares and not intent.percent:
            # "If my audience is 5,000 people, how many ...": the FAQ's share of the stated number.
            count, noun = intent.count
            share = shares[0]
            result = count * (share.value or 0) / 100
            step = f"{format_count(count)} × {share.text} = {format_count(result)} {noun}"
            text = f"**{format_count(result)}** {noun} ({step}): {_describe(share)} of them."
            return self._rule_answer(question, retrieval, "share_of_count", [share], text, [step], confidence)
        return self._listing(question, retrieval, "quantity", chosen, confidence)

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

    def _rule_answer(
        self, question, retrieval, name: str, facts: list[Fact], text: str, steps: list[str], confidence
    ) -> Answer:
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

    def _refuse(self, question, retrieval, terms, kind: str) -> Answer:
        """The passages found state figures of this kind, none about what is asked: say so, list none."""
        noun = {"money": "a price", "date": "a date", "quantity": "a figure"}[kind]
        text = f"The FAQ doesn't give {noun} for that, and I won't guess one."
        return Answer(
            question=question,
            answer=text,
            kind="no_answer",
            confidence=round(min(retrieval.confidence, 0.3), 4),
            citations=[],
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


def _relation(fact: Fact, stated: Stated, capability: bool, agrees: bool) -> str:
    """How the stated figure compares with the FAQ's, as shown in the steps."""
    if (
        fact.kind == "quantity"
        and capability
        and (_UPPER_LIMIT.search(fact.clause) or _LOWER_LIMIT.search(fact.clause))
    ):
        upper = bool(_UPPER_LIMIT.search(fact.clause))
        return ("≤ (up to)" if agrees else "> (up to)") if upper else ("≥ (at least)" if agrees else "< (at least)")
    if agrees:
        return "is within" if stated.month_only else "="
    return "is not" if stated.month_only else "≠"


def _agrees(fact: Fact, stated: Stated, capability: bool) -> bool:
    """Whether the FAQ's `fact` says what the question states."""
    said = stated.fact
    if fact.kind == "date":
        if fact.date is None or said.date is None:
            return False
        if stated.month_only:
            return (fact.date.year, fact.date.month) == (said.date.year, said.date.month)
        return fact.date == said.date
    if fact.value is None or said.value is None:
        return False
    if fact.kind == "money":
        if said.currency and fact.currency and said.currency != fact.currency:
            return False
        value = fact.value
        if said.period and fact.period and said.period != fact.period:
            factor = {("month", "year"): 12.0, ("year", "month"): 1 / 12}.get((fact.period, said.period))
            if factor is None:
                return False
            value *= factor
        return abs(value - said.value) < 0.005
    if span := re.match(r"([\d,.]+)\s*(?:to|-|–)\s*([\d,.]+)", fact.text):
        low, high = (float(n.replace(",", "")) for n in span.groups())
        return low <= said.value <= high  # "Does it take 20 minutes?" against "15 to 30 minutes"
    if capability and _UPPER_LIMIT.search(fact.clause):
        return said.value <= fact.value  # "Can I join 500 clusters?" against "up to 1,000"
    if capability and _LOWER_LIMIT.search(fact.clause):
        return said.value >= fact.value
    return abs(fact.value - said.value) < 1e-9


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


__all__ = [
    "Intent",
    "RuleEngine",
    "detect_intent",
    "format_amount",
    "format_date",
    "normalize_question",
    "split_parts",
    "subject_terms",
]
