"""Intent: what kind of figure a question asks for (a price, a date, a quantity), with its
modifiers (a conversion, a multiple, a difference, a span from today, a figure to check), and
the topic words that say what the figure is about."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faqbot.answer.rules.reading import normalize_question
from faqbot.core.records import Fact
from faqbot.core.text import stem_terms
from faqbot.ingest.facts import facts_in_sentence

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
