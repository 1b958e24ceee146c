"""Typed facts (money, dates, quantities) found in FAQ passages.

The rules stage answers numeric questions from these records, so every figure
must come from the corpus text, never from code: nothing here knows about any
particular FAQ. Each fact keeps the figure exactly as written, its offsets in
its sentence, the clause it belongs to, the noun phrase it is about and the
"for ..." / "to ..." phrases that narrow it.

    >>> [f.text for f in facts_in_sentence("The Pro plan costs €49 per user per month.", "doc#q")]
    ['€49']
    >>> fact = facts_in_sentence("The Pro plan costs €49 per user per month.", "doc#q")[0]
    >>> fact.value, fact.currency, fact.period, fact.per, fact.subject
    (49.0, 'EUR', 'month', 'user', 'Pro plan')
    >>> parse_date("Sept. 1, 2023")
    datetime.date(2023, 9, 1)

How figures are told apart (in this order; an earlier kind claims its span):

1. dates: "September 1, 2023", "Sept. 1, 2023", "1 September 2023",
   "September 2023" (first of the month), "2023-09-01", "09/01/2023" (US);
2. money: "$1,700", "€15.50", "USD 20", "1,500 USD", "$2.5 million", with the
   rate that follows ("per tenant per month", "ptpm", "/yr", "annually");
3. bare years ("in 2023") are claimed but yield no fact (too ambiguous);
4. quantities: a number followed by its unit ("30 days", "3 GB", "10 percent",
   "10,000 People Interacted", "four capacity units") and "an unlimited number
   of <noun phrase>". Numbers without a unit ("is 85, but") yield nothing, as do
   numbers that are part of a name ("Dynamics 365", "MB-260", "50-50") and
   ordinals ("question five"): a wrong fact is worse than a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from faqbot.core.records import Fact, Passage
from faqbot.core.text import content_terms, split_sentences

__all__ = ["extract_facts", "facts_in_sentence", "parse_date"]

Kind = Literal["money", "date", "quantity"]

# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# Full names first; abbreviations may carry a period ("Sept."). Month names are
# matched capitalized only, so the verb "may" or "march" never starts a date.
_MONTH = (
    r"(?P<mon>(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
)
_YEAR = r"(?P<year>\d{4})(?![\d/-])"
_DATE_PATTERNS = [
    # September 1, 2023 / Sept. 1, 2023 / Sep 1 2023
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}"),
    # 1 September 2023
    re.compile(rf"(?<![\w,.])(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}"),
    # September 2023 (a month: the fact's date is its first day)
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}"),
    # 2023-09-01 (ISO)
    re.compile(r"(?<![\w/.-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\w/-])"),
    # 09/01/2023 (US month/day/year, as Microsoft Learn writes dates)
    re.compile(r"(?<![\w/.-])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})(?![\w/-])"),
]


def _date_from_match(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    month = _MONTHS[groups["mon"].rstrip(".").lower()] if groups.get("mon") else int(groups["month"])
    day = int(groups["day"]) if groups.get("day") else 1
    try:
        return dt.date(int(groups["year"]), month, day)
    except ValueError:  # "February 30, 2023", "13/01/2023": not a date at all
        return None


def parse_date(text: str) -> dt.date | None:
    """Parse one date string as found in the corpus; None when it is not a date.

    >>> parse_date("1 September 2023"), parse_date("September 2023")
    (datetime.date(2023, 9, 1), datetime.date(2023, 9, 1))
    >>> parse_date("09/01/2023"), parse_date("2023-02-30"), parse_date("in 2023")
    (datetime.date(2023, 9, 1), None, None)
    """
    text = text.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _date_from_match(match)
    return None


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------

_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
# ISO 4217 codes people write next to amounts. A closed list, because any other
# three capitals next to a number ("SKU 20") are far more often a name.
_CODES = [
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CNY",
    "CAD",
    "AUD",
    "NZD",
    "CHF",
    "INR",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "BRL",
    "MXN",
    "ZAR",
    "SGD",
    "HKD",
    "KRW",
    "TWD",
    "THB",
    "MYR",
    "IDR",
    "PHP",
    "AED",
    "SAR",
    "ILS",
    "TRY",
    "RUB",
]
_CODE = "(?P<code>" + "|".join(_CODES) + ")"
# A whole number: thousands separators only in groups of three, so "1,70" or
# "1.2.3" never yields a partial amount (the lookarounds refuse the fragment).
_NUM = r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?![.,]?\d)"
_SCALE_WORD = r"(?:\s(?P<scale>million|billion|thousand))"
_SCALE = rf"(?:{_SCALE_WORD}|(?P<suffix>bn|[kKMB])\b)"
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "b": 1e9, "bn": 1e9}
_MONEY_PATTERNS = [
    re.compile(rf"(?<![\w$€£¥₹])(?P<sym>US\$|[$€£¥₹])\s?{_NUM}{_SCALE}?"),
    re.compile(rf"\b{_CODE}\s?{_NUM}{_SCALE}?"),
    re.compile(rf"(?<![\w$€£¥₹.,])(?P<num>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?){_SCALE_WORD}?\s?{_CODE}\b"),
]

_TIME_UNITS = {
    "month": "month", "months": "month", "mo": "month", "mth": "month",
    "year": "year", "years": "year", "yr": "year", "annum": "year",
    "week": "week", "wk": "week", "day": "day", "hour": "hour", "hr": "hour",
}  # fmt: skip
_TIME_ADVERBS = {
    "monthly": "month", "annually": "year", "yearly": "year",
    "weekly": "week", "daily": "day", "hourly": "hour",
}  # fmt: skip
# Licensing shorthand: per tenant / user / employee per month / year.
_RATE_ABBREVIATIONS = {
    "ptpm": ("tenant", "month"),
    "pupm": ("user", "month"),
    "pepm": ("employee", "month"),
    "ptpy": ("tenant", "year"),
    "pupy": ("user", "year"),
}
_RATE_STEP = re.compile(
    r"\s*(?:"
    r"(?:(?P<prep>per|a|an|each|every)\s+|/\s*)(?P<word>[A-Za-z]+)\b"
    r"|(?P<adverb>" + "|".join(_TIME_ADVERBS) + r")\b"
    r"|(?P<abbr>" + "|".join(_RATE_ABBREVIATIONS) + r")\b"
    r"|\((?P<paren>[^()]{1,40})\)"
    r")",
    re.IGNORECASE,
)


def _parse_rate(text: str) -> tuple[str | None, str | None, int]:
    """Read "per tenant per month (ptpm)" at the start of `text`: (period, per, length read)."""
    period: str | None = None
    per: str | None = None
    position = 0
    while True:
        match = _RATE_STEP.match(text, position)
        if not match:
            break
        found_period: str | None = None
        found_per: str | None = None
        if match["word"]:
            word = match["word"]
            prep = (match["prep"] or "/").lower()
            if word.lower() in _TIME_UNITS:
                found_period = _TIME_UNITS[word.lower()]
            elif prep in ("per", "/") and content_terms(word):
                found_per = word
            else:  # "a discount", "per the agreement": not a rate
                break
        elif match["adverb"]:
            found_period = _TIME_ADVERBS[match["adverb"].lower()]
        elif match["abbr"]:
            found_per, found_period = _RATE_ABBREVIATIONS[match["abbr"].lower()]
        else:
            # A parenthesis counts only when all of it is a rate ("(ptpm)").
            inner = match["paren"]
            inner_period, inner_per, used = _parse_rate(inner)
            if used == 0 or inner[used:].strip():
                break
            found_period, found_per = inner_period, inner_per
        # A second, different period or payer means the words belong to something else.
        if (found_period and period and found_period != period) or (
            found_per and per and found_per.lower() != per.lower()
        ):
            break
        period = period or found_period
        per = per or found_per
        position = match.end()
    return period, per, position


# ---------------------------------------------------------------------------
# Quantities
# ---------------------------------------------------------------------------

_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*")
_RANGE = re.compile(
    r"(?<![\w.,/:$€£¥₹-])(?P<low>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:\s+to\s+|\s?[-–]\s?)"
    r"(?P<high>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?![\w.,/:-])"
)
_VALID_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
# "one" is left out on purpose: "one of the most", "into one offering" and
# "no one" make it a pronoun or article far more often than a count.
_SPELLED = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_SPELLED_TOKEN = re.compile(r"\b(?:" + "|".join(_SPELLED) + r")\b", re.IGNORECASE)
# Words after which a number names or ranks something instead of counting it.
_IDENTIFIER_WORDS = frozenset(
    [
        "question",
        "step",
        "version",
        "chapter",
        "section",
        "page",
        "item",
        "line",
        "option",
        "number",
        "no",
        "level",
        "phase",
        "tier",
        "stage",
        "part",
        "figure",
        "table",
        "exam",
        "model",
        "release",
        "appendix",
        "rule",
        "article",
        "type",
        "grade",
        "wave",
        "build",
        "edition",
        "series",
        "plan",
    ]
)
# Capitalized words that may stand right before a count at the start of a sentence.
_COUNT_LEADERS = frozenset(
    [
        "approximately",
        "around",
        "roughly",
        "nearly",
        "almost",
        "least",
        "maximum",
        "minimum",
        "exactly",
        "additional",
        "extra",
        "another",
        "total",
    ]
)
_SPACES = re.compile(r"[ \t]+")
_WORD = re.compile(r"[A-Za-z][\w'’]*(?:-[\w'’]+)*")
_UNLIMITED = re.compile(r"\b(?P<text>[Uu]nlimited)\s+(?:numbers?|amounts?)\s+of\s+")
# Words that end the noun phrase after "unlimited number of" ("... users to the trial").
_PHRASE_ENDERS = frozenset(
    [
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "per",
        "that",
        "which",
        "who",
        "across",
        "within",
        "into",
        "during",
        "when",
        "if",
        "as",
        "via",
        "through",
        "than",
        "where",
        "while",
    ]
)


def _is_plural(word: str) -> bool:
    return len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _words_at(text: str, position: int) -> list[re.Match[str]]:
    """The words that follow `position`, each separated from the last by one run of spaces."""
    words = []
    while True:
        match = _SPACES.match(text, position)
        if not match:
            break
        word = _WORD.match(text, match.end())
        if not word:
            break
        words.append(word)
        position = word.end()
    return words


def _unit_after(sentence: str, end: int, spelled: bool, taken: list[tuple[int, int]]) -> tuple[str, int] | None:
    """The unit written right after a number ending at `end`: (unit, end of unit) or None."""
    if not spelled and sentence.startswith("%", end):
        return "percent", end + 1
    words = [w for w in _words_at(sentence, end)[:4] if not _overlaps(w.start(), w.end(), taken)]
    if not words:
        return None
    first = words[0].group()
    if first.lower() == "percent":
        return "percent", words[0].end()
    if first.lower() == "per" and len(words) > 1 and words[1].group().lower() == "cent":
        return "percent", words[1].end()
    if first[0].isupper():
        # "10,000 People Interacted", "3 GB": a run of capitalized words.
        if spelled or first.rstrip(".").lower() in _MONTHS:
            return None
        run = []
        for word in words:
            if not word.group()[0].isupper() or not content_terms(word.group()):
                break
            run.append(word)
        return (sentence[run[0].start() : run[-1].end()], run[-1].end()) if run else None
    # "four capacity units", "30 days when ...": lowercase content words up to
    # the first plural one; a stop word right after the number means no unit.
    run = []
    for word in words[:3]:
        text = word.group()
        if not text.islower() or not content_terms(text):
            break
        run.append(word)
        if _is_plural(text):
            break
    if not run:
        return None
    if not _is_plural(run[-1].group()):
        run = run[:1]
    return sentence[run[0].start() : run[-1].end()], run[-1].end()


def _previous_word(sentence: str, start: int) -> str | None:
    """The word right before `start`, separated from it by spaces only."""
    match = re.search(r"([A-Za-z][\w'’.-]*)[ \t]+$", sentence[:start])
    return match.group(1).rstrip(".") if match else None


def _names_a_thing(previous: str | None) -> bool:
    """True when a number after `previous` is part of a name or a rank, not a count."""
    if previous is None:
        return False
    if previous.lower() in _IDENTIFIER_WORDS:
        return True
    # "Dynamics 365", "Windows 11", "SKU 20": a capitalized content word before
    # the number makes it part of the name ("Only 5", "About 30" are counts).
    return previous[0].isupper() and bool(content_terms(previous)) and previous.lower() not in _COUNT_LEADERS


# ---------------------------------------------------------------------------
# Clauses, subjects, qualifiers
# ---------------------------------------------------------------------------

# Where one figure's clause ends and the next one's begins. Segments without a
# figure are merged into a neighbour, so a list ("A, B, and C") only splits a
# sentence when figures stand on both sides.
_CLAUSE_BREAK = re.compile(
    r";\s*"
    r"|,\s+(?=(?:with|while|whereas|but|and|or|so|yet|although|though|however)\b)"
    r"|\s+(?=(?:while|whereas|but|or at|or for)\b)"
)
_AUXILIARIES = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "will",
        "would",
        "can",
        "can't",
        "cannot",
        "could",
        "must",
        "may",
        "might",
        "should",
        "shall",
        "has",
        "have",
        "had",
        "does",
        "do",
        "did",
        "doesn't",
        "don't",
        "didn't",
        "won't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "shouldn't",
        "couldn't",
        "wouldn't",
        "hasn't",
        "haven't",
    ]
)
# Verbs whose grammatical subject is what a figure after them is about
# ("The trial lasts 30 days", "The Pro plan costs €49").
_VERBS = _AUXILIARIES | frozenset(
    [
        "costs",
        "lasts",
        "includes",
        "runs",
        "starts",
        "begins",
        "ends",
        "expires",
        "requires",
        "offers",
        "provides",
        "allows",
        "gives",
        "gets",
        "comes",
        "takes",
        "holds",
        "supports",
        "contains",
        "charges",
        "equals",
        "totals",
        "renews",
        "remains",
        "becomes",
        "stays",
    ]
)
_VERB_ADVERBS = frozenset(
    [
        "not",
        "also",
        "only",
        "still",
        "now",
        "generally",
        "already",
        "currently",
        "then",
        "just",
        "always",
        "never",
        "usually",
        "typically",
        "no",
        "longer",
    ]
)
_VERB_GROUP = _AUXILIARIES | _VERB_ADVERBS
_COORDINATORS = frozenset({"and", "or", "but"})
_RELATIVES = frozenset({"that", "which", "who"})
_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "your",
        "our",
        "their",
        "its",
        "his",
        "her",
        "all",
        "any",
        "each",
        "every",
        "some",
        "my",
    ]
)
_NOT_QUALIFYING = re.compile(r"for\s+(?:example|instance|more|details|information)\b", re.IGNORECASE)
_TOKEN = re.compile(r"\w[\w'’]*(?:-[\w'’]+)*|[^\w\s]")
_NP_MAX_WORDS = 6


@dataclass
class _Found:
    """A figure found in a sentence, before its clause and subject are known."""

    kind: Kind
    start: int
    end: int
    value: float | None = None
    currency: str | None = None
    period: str | None = None
    per: str | None = None
    unit: str | None = None
    date: dt.date | None = None


@dataclass
class _Token:
    text: str
    start: int
    end: int
    figure: bool  # part of a figure's text: a barrier for noun phrases

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def _noun_phrase_before(tokens: list[_Token], index: int) -> tuple[int, int] | None:
    """Token range [first, index) of the content words right before `index`."""
    first = index
    while first > 0:
        token = tokens[first - 1]
        is_name_dash = (
            token.text in "-–"
            and first >= 2
            and first < index
            and tokens[first - 2].text[:1].isupper()
            and tokens[first].text[:1].isupper()
        )  # "Customer Insights – Journeys"
        if is_name_dash:
            first -= 1
            continue
        if token.figure or not token.is_word or token.lower in _VERBS or not content_terms(token.text):
            break
        first -= 1
    first = max(first, index - _NP_MAX_WORDS)
    while first < index and not tokens[first].is_word:
        first += 1
    return (first, index) if first < index else None


def _subject_of_verb(tokens: list[_Token], verb: int) -> tuple[int, int] | None:
    """The noun phrase that is the subject of the verb group containing token `verb`."""
    group = verb
    while group > 0 and tokens[group - 1].lower in _VERB_GROUP and not tokens[group - 1].figure:
        group -= 1
    # ", however," between subject and verb is an aside, not a boundary.
    aside = [t.text for t in tokens[max(group - 3, 0) : group]]
    if len(aside) == 3 and aside[0] == aside[2] == "," and aside[1].islower():
        group -= 3
    # "the window that will run through <date>": the figure is about "window".
    if group >= 1 and tokens[group - 1].lower in _RELATIVES:
        group -= 1
        if group >= 1 and tokens[group - 1].text == ",":
            group -= 1
    phrase = _noun_phrase_before(tokens, group)
    # "The trial lasts 30 days and starts on <date>": a verb right after a
    # conjunction shares the subject of the verb before it.
    if phrase is None and group >= 1 and tokens[group - 1].lower in _COORDINATORS:
        for i in range(group - 2, -1, -1):
            if tokens[i].lower in _VERBS and not tokens[i].figure:
                return _subject_of_verb(tokens, i)
    return phrase


def _span_text(sentence: str, tokens: list[_Token], phrase: tuple[int, int] | None) -> str:
    if phrase is None:
        return ""
    return sentence[tokens[phrase[0]].start : tokens[phrase[1] - 1].end]


def _find_subject(
    sentence: str,
    tokens: list[_Token],
    found: _Found,
    clause: tuple[int, int],
) -> str:
    """The noun phrase `found` is about, or "" when no simple pattern finds one."""
    first = next(i for i, t in enumerate(tokens) if t.start >= found.start)
    clause_first = next((i for i, t in enumerate(tokens) if t.start >= clause[0]), len(tokens))
    # A count "of" something names it: "a default capacity entitlement of 100,000 ...".
    if found.kind == "quantity" and first > 0 and tokens[first - 1].lower == "of":
        phrase = _noun_phrase_before(tokens, first - 1)
        if phrase:
            return _span_text(sentence, tokens, phrase)
    # The nearest verb before the figure, inside its clause: its subject.
    for i in range(first - 1, clause_first - 1, -1):
        if tokens[i].lower in _VERBS and not tokens[i].figure:
            return _span_text(sentence, tokens, _subject_of_verb(tokens, i))
    # "On <date>, only the new offering will be ...": the figure opens the
    # sentence and the subject follows the comma.
    last = max(i for i, t in enumerate(tokens) if t.end <= found.end)
    for i in range(last + 1, len(tokens)):
        if tokens[i].start >= clause[1]:
            break
        if tokens[i].lower in _VERBS and not tokens[i].figure:
            phrase = _subject_of_verb(tokens, i)
            if phrase:
                between = sentence[found.end : tokens[phrase[0]].start]
                words = re.findall(r"[\w']+", between)
                if (
                    between.lstrip().startswith(",")
                    and "," not in between.lstrip()[1:]
                    and all(w.lower() in _DETERMINERS | {"only"} for w in words)
                ):
                    return _span_text(sentence, tokens, phrase)
            break
    # "..., or at a discounted price of $1,000": the clause shares the verb of
    # the clause before it, and so its subject.
    for i in range(clause_first - 1, -1, -1):
        if tokens[i].lower in _VERBS and not tokens[i].figure:
            return _span_text(sentence, tokens, _subject_of_verb(tokens, i))
    return ""


def _find_qualifiers(sentence: str, clause: tuple[int, int], figures: list[tuple[int, int]]) -> list[str]:
    """The "for ..." and "to <determiner or Name> ..." phrases of a clause."""
    text = sentence[clause[0] : clause[1]]
    markers = []
    for match in re.finditer(r"\b(?:for|to|For|To)\b", text):
        start = clause[0] + match.start()
        if _overlaps(start, start + len(match.group()), figures):
            continue
        after = _words_at(sentence, start + len(match.group()))
        if not after:
            continue
        if match.group().lower() == "to":
            # "to the trial environment" narrows; "to install", "up to 3 GB" do not.
            head = after[0].group()
            if head.lower() not in _DETERMINERS and not head[0].isupper():
                continue
        elif _NOT_QUALIFYING.match(sentence, start):
            continue
        markers.append(start)
    qualifiers = []
    for index, start in enumerate(markers):
        stop = markers[index + 1] if index + 1 < len(markers) else clause[1]
        stop = min([stop] + [s for s, _ in figures if start < s < stop])
        # A comma ends the phrase unless a content word follows it ("for
        # existing, qualifying customers" is one phrase; ", the price" is not).
        for comma in re.finditer(r"[,(;:)]", sentence[start:stop]):
            position = start + comma.start()
            if comma.group() != ",":
                stop = position
                break
            following = _words_at(sentence, position + 1)
            if not following or not content_terms(following[0].group()):
                stop = position
                break
        phrase = sentence[start:stop].strip().rstrip(".,;:!?").strip()
        # "for a deployable image on X is 15 GB": the verb before the figure ends the phrase.
        words = phrase.split()
        while len(words) > 2 and words[-1].lower() in _AUXILIARIES:
            words.pop()
        phrase = " ".join(words)
        if len(phrase.split()) >= 2:
            qualifiers.append(phrase)
    return qualifiers


def _clauses(sentence: str, found: list[_Found]) -> list[tuple[int, int]]:
    """One (start, end) clause per figure in `found`, in the same order."""
    spans = [(f.start, f.end) for f in found]
    cuts = [m for m in _CLAUSE_BREAK.finditer(sentence) if not _overlaps(m.start(), m.end(), spans)]
    segments = []
    position = 0
    for cut in cuts:
        segments.append((position, cut.start(), cut.end()))
        position = cut.end()
    segments.append((position, len(sentence), len(sentence)))
    # Merge: a new group starts only where a segment with a figure follows a
    # group that already has one.
    groups: list[list[int]] = []  # [start, end, has_figure]
    for start, end, _ in segments:
        has_figure = any(start <= f.start < end for f in found)
        if groups and not (has_figure and groups[-1][2]):
            groups[-1][1] = end
            groups[-1][2] = groups[-1][2] or has_figure
        else:
            groups.append([start, end, has_figure])
    result = []
    for f in found:
        start, end, _ = next(g for g in groups if g[0] <= f.start < g[1])
        while start < f.start and not sentence[start].isalnum() and sentence[start] not in "$€£¥₹(":
            start += 1
        # Trim the trailing punctuation, never into the figure's own text.
        last_figure_end = max(g.end for g in found if start <= g.start < end)
        while end > last_figure_end and (sentence[end - 1].isspace() or sentence[end - 1] in ".,;:!?"):
            end -= 1
        result.append((start, end))
    return result


# ---------------------------------------------------------------------------
# Finding the figures
# ---------------------------------------------------------------------------


def _find_figures(sentence: str) -> list[_Found]:
    found: list[_Found] = []
    taken: list[tuple[int, int]] = []  # spans already claimed, with or without a fact

    def claim(item: _Found | None, start: int, end: int) -> None:
        taken.append((start, end))
        if item is not None:
            found.append(item)

    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            if _overlaps(match.start(), match.end(), taken):
                continue
            date = _date_from_match(match)
            # An impossible date ("February 30, 2023") is claimed anyway, so its
            # digits do not turn into quantities.
            item = _Found("date", match.start(), match.end(), date=date) if date else None
            claim(item, match.start(), match.end())

    for pattern in _MONEY_PATTERNS:
        for match in pattern.finditer(sentence):
            if _overlaps(match.start(), match.end(), taken):
                continue
            groups = match.groupdict()
            scale = (groups.get("scale") or groups.get("suffix") or "").lower()
            value = float(groups["num"].replace(",", "")) * _SCALES.get(scale, 1.0)
            currency = _SYMBOLS[groups["sym"]] if groups.get("sym") else groups["code"]
            period, per, _ = _parse_rate(sentence[match.end() :])
            item = _Found("money", match.start(), match.end(), value, currency, period, per)
            claim(item, match.start(), match.end())

    for match in _UNLIMITED.finditer(sentence):
        words = []
        for word in _words_at(sentence, match.end() - 1):
            if word.group().lower() in _PHRASE_ENDERS:
                break
            words.append(word)
        if words and not _overlaps(match.start(), words[-1].end(), taken):
            unit = sentence[words[0].start() : words[-1].end()]
            item = _Found("quantity", match.start("text"), match.end("text"), unit=unit)
            claim(item, match.start(), words[-1].end())

    # A range with one unit ("15 to 30 minutes", "8-12 weeks") is one figure; its value is the
    # upper bound, its text the whole range.
    for match in _RANGE.finditer(sentence):
        if _overlaps(match.start(), match.end(), taken) or _names_a_thing(_previous_word(sentence, match.start())):
            continue
        unit = _unit_after(sentence, match.end(), False, taken)
        if unit is None or unit[0] == "percent" and "%" in sentence[match.end() : match.end() + 1]:
            continue
        unit_text, unit_end = unit
        high = float(match.group("high").replace(",", ""))
        if float(match.group("low").replace(",", "")) >= high:
            continue  # "50-50": a ratio, not a range
        period, per, _ = _parse_rate(sentence[unit_end:])
        claim(
            _Found("quantity", match.start(), unit_end, high, period=period, per=per, unit=unit_text),
            match.start(),
            unit_end,
        )

    numbers: list[tuple[int, int, float, bool]] = []
    for match in _NUMBER_TOKEN.finditer(sentence):
        token = match.group()
        if not _VALID_NUMBER.fullmatch(token):
            continue  # "1.2.3", "12,34": versions and foreign separators
        if re.fullmatch(r"\d{4}", token) and 1900 <= int(token) <= 2100:
            taken.append(match.span())  # a bare year: never a count
            continue
        before = sentence[match.start() - 1] if match.start() else ""
        after = sentence[match.end() : match.end() + 2]
        # Glued to letters, dashes, slashes, colons...: part of an identifier,
        # a range, a time or a ratio ("MB-260", "50-50", "24/7", "10:30", "3x").
        if before and (before.isalnum() or before in "-–/.#_+:'’@\\$€£¥₹"):
            continue
        if after and (after[0].isalpha() or after[0] in "_+@" or re.match(r"[-–/:][\w]", after)):
            continue
        numbers.append((match.start(), match.end(), float(token.replace(",", "")), False))
    for match in _SPELLED_TOKEN.finditer(sentence):
        around = sentence[match.start() - 1 : match.start()] + sentence[match.end() : match.end() + 1]
        if "-" in around or "–" in around:
            continue  # "twenty-five", "two-thirds": not handled, so not guessed
        numbers.append((match.start(), match.end(), float(_SPELLED[match.group().lower()]), True))

    for start, end, value, spelled in sorted(numbers):
        if _overlaps(start, end, taken) or _names_a_thing(_previous_word(sentence, start)):
            continue
        unit = _unit_after(sentence, end, spelled, taken)
        if unit is None:
            continue  # a bare number ("is 85, but") says too little to be a fact
        unit_text, unit_end = unit
        period, per, _ = _parse_rate(sentence[unit_end:])
        item = _Found("quantity", start, unit_end, value, period=period, per=per, unit=unit_text)
        claim(item, start, unit_end)

    found.sort(key=lambda f: f.start)
    return found


def facts_in_sentence(sentence: str, passage_id: str) -> list[Fact]:
    """All money, date and quantity facts in one sentence, in reading order.

    >>> [(f.kind, f.text, f.subject) for f in facts_in_sentence(
    ...     "The trial lasts 30 days and starts on March 3, 2024.", "doc#trial")]
    [('quantity', '30 days', 'trial'), ('date', 'March 3, 2024', 'trial')]
    """
    found = _find_figures(sentence)
    if not found:
        return []
    spans = [(f.start, f.end) for f in found]
    tokens = [
        _Token(m.group(), m.start(), m.end(), _overlaps(m.start(), m.end(), spans)) for m in _TOKEN.finditer(sentence)
    ]
    clauses = _clauses(sentence, found)
    facts: list[Fact] = []
    subjects: list[str] = []
    for index, (item, clause) in enumerate(zip(found, clauses, strict=True)):
        previous = found[index - 1] if index else None
        # "10,000 People Interacted and 100,000 People Unified": coordinated
        # figures share what they are about.
        if (
            previous is not None
            and clauses[index - 1] == clause
            and re.fullmatch(r"\s*(?:,\s*)?(?:and|or|to|through|-|–)?\s*", sentence[previous.end : item.start])
        ):
            subject = subjects[-1]
        else:
            subject = _find_subject(sentence, tokens, item, clause)
        subjects.append(subject)
        facts.append(
            Fact(
                kind=item.kind,
                text=sentence[item.start : item.end],
                value=item.value,
                currency=item.currency,
                period=item.period,
                per=item.per,
                unit=item.unit,
                date=item.date,
                subject=subject,
                qualifiers=_find_qualifiers(sentence, clause, spans),
                clause=sentence[clause[0] : clause[1]],
                sentence=sentence,
                start=item.start,
                end=item.end,
                passage_id=passage_id,
            )
        )
    return facts


def extract_facts(passages: Iterable[Passage]) -> list[Fact]:
    """The facts of every sentence of every passage: its question first, then its answer.

    >>> from faqbot.core.records import Passage
    >>> passage = Passage(passage_id="plans#price", doc_title="Plans", section=None,
    ...     question="What does the Pro plan cost?", answer_markdown="",
    ...     answer_text="The Pro plan costs $49 a month.", source="plans.md",
    ...     line_start=1, line_end=2, anchor="price")
    >>> [(f.text, f.period) for f in extract_facts([passage])]
    [('$49', 'month')]
    """
    facts: list[Fact] = []
    for passage in passages:
        texts = [passage.question or "", passage.answer_text]
        for text in texts:
            for sentence in split_sentences(text):
                facts.extend(facts_in_sentence(sentence, passage.passage_id))
    return facts
