"""Quantities in FAQ text: a number followed by its unit ("30 days", "3 GB", "10 percent",
"10,000 People Interacted", "four capacity units"), a range with one unit ("8-12 weeks",
its value the upper bound) and "an unlimited number of <noun phrase>".

Numbers without a unit ("is 85, but") yield nothing, as do numbers that are
part of a name ("Dynamics 365", "MB-260", "50-50") and ordinals ("question
five"): a wrong fact is worse than a missing one. Bare years ("in 2023") are
claimed but yield no fact.

    >>> claims = Claims()
    >>> find_counts("Trials last 30 days, in 2023, on Dynamics 365.", claims)
    >>> [(f.value, f.unit) for f in claims.found]
    [(30.0, 'days')]
"""

from __future__ import annotations

import re

from faqbot.core.text import content_terms
from faqbot.ingest.dates import MONTHS
from faqbot.ingest.figures import Claims, Found, overlaps, words_at
from faqbot.ingest.money import parse_rate

__all__ = ["find_counts", "find_ranges", "find_unlimited"]

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


def _unit_after(sentence: str, end: int, spelled: bool, taken: list[tuple[int, int]]) -> tuple[str, int] | None:
    """The unit written right after a number ending at `end`: (unit, end of unit) or None."""
    if not spelled and sentence.startswith("%", end):
        return "percent", end + 1
    words = [w for w in words_at(sentence, end)[:4] if not overlaps(w.start(), w.end(), taken)]
    if not words:
        return None
    first = words[0].group()
    if first.lower() == "percent":
        return "percent", words[0].end()
    if first.lower() == "per" and len(words) > 1 and words[1].group().lower() == "cent":
        return "percent", words[1].end()
    if first[0].isupper():
        # "10,000 People Interacted", "3 GB": a run of capitalized words.
        if spelled or first.rstrip(".").lower() in MONTHS:
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


def find_unlimited(sentence: str, claims: Claims) -> None:
    """Claim "unlimited number(s) / amount(s) of <noun phrase>"."""
    for match in _UNLIMITED.finditer(sentence):
        words = []
        for word in words_at(sentence, match.end() - 1):
            if word.group().lower() in _PHRASE_ENDERS:
                break
            words.append(word)
        if words and not overlaps(match.start(), words[-1].end(), claims.taken):
            unit = sentence[words[0].start() : words[-1].end()]
            item = Found("quantity", match.start("text"), match.end("text"), unit=unit)
            claims.claim(item, match.start(), words[-1].end())


def find_ranges(sentence: str, claims: Claims) -> None:
    """Claim ranges with one unit ("15 to 30 minutes", "8-12 weeks"): one figure each,
    its value the upper bound, its text the whole range."""
    for match in _RANGE.finditer(sentence):
        if overlaps(match.start(), match.end(), claims.taken) or _names_a_thing(
            _previous_word(sentence, match.start())
        ):
            continue
        unit = _unit_after(sentence, match.end(), False, claims.taken)
        if unit is None or unit[0] == "percent" and "%" in sentence[match.end() : match.end() + 1]:
            continue
        unit_text, unit_end = unit
        high = float(match.group("high").replace(",", ""))
        if float(match.group("low").replace(",", "")) >= high:
            continue  # "50-50": a ratio, not a range
        period, per, _ = parse_rate(sentence[unit_end:])
        claims.claim(
            Found("quantity", match.start(), unit_end, high, period=period, per=per, unit=unit_text),
            match.start(),
            unit_end,
        )


def find_counts(sentence: str, claims: Claims) -> None:
    """Claim counts: a number, in digits or spelled out, followed by its unit."""
    for start, end, value, spelled in _numbers(sentence, claims):
        if overlaps(start, end, claims.taken) or _names_a_thing(_previous_word(sentence, start)):
            continue
        unit = _unit_after(sentence, end, spelled, claims.taken)
        if unit is None:
            continue  # a bare number ("is 85, but") says too little to be a fact
        unit_text, unit_end = unit
        period, per, _ = parse_rate(sentence[unit_end:])
        item = Found("quantity", start, unit_end, value, period=period, per=per, unit=unit_text)
        claims.claim(item, start, unit_end)


def _numbers(sentence: str, claims: Claims) -> list[tuple[int, int, float, bool]]:
    """(start, end, value, spelled) of every number that may count something, in reading order.

    Claims bare years on the way (they are never counts)."""
    numbers: list[tuple[int, int, float, bool]] = []
    for match in _NUMBER_TOKEN.finditer(sentence):
        token = match.group()
        if not _VALID_NUMBER.fullmatch(token):
            continue  # "1.2.3", "12,34": versions and foreign separators
        if re.fullmatch(r"\d{4}", token) and 1900 <= int(token) <= 2100:
            claims.taken.append(match.span())  # a bare year: never a count
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
    return sorted(numbers)
