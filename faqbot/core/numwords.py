"""Numbers as people type them in questions: digits or words.

"three years", "twenty-four months", "a dozen tenants", "one hundred and
twenty users", "1,500 clusters", "$2,000", "2.5 GB". `spell_out_numbers`
rewrites the words as digits so the rules read one form only; `parse_number`
reads one number.

    >>> spell_out_numbers("over twenty-four months for three tenants")
    'over 24 months for 3 tenants'
    >>> parse_number("one hundred and twenty"), parse_number("1,500"), parse_number("a dozen")
    (120.0, 1500.0, 12.0)
"""

from __future__ import annotations

import re

__all__ = ["parse_number", "spell_out_numbers"]

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12, "half": 0.5,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_DIGITS = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_WORD = "|".join(sorted([*_SMALL, *_SCALES], key=len, reverse=True))
# A run of number words: "twenty-four", "one hundred and twenty", "a dozen", "two and a half".
_RUN = re.compile(
    rf"\b(?:an?\s+(?=(?:dozen|hundred|thousand|half)\b))?(?:{_WORD})(?:(?:[\s-]+|\s+and\s+(?:an?\s+)?)(?:{_WORD}))*\b",
    re.IGNORECASE,
)
# "one" is a pronoun far more often than a count ("which one", "one of"), so it
# is read as a number only before a unit of time or a plural-looking noun.
_ONE_NEEDS = re.compile(
    r"\s+(?:(?!(?:doe|wa|ha|i)s\b)[a-z]{2,}s\b|month|year|quarter|week|day|hour|minute|tenant|user|seat)", re.IGNORECASE
)


def parse_number(text: str) -> float | None:
    """The value of one number in digits or words; None when `text` is not one.

    >>> parse_number("twenty-four"), parse_number("two and a half"), parse_number("seven days")
    (24.0, 2.5, None)
    """
    text = text.strip()
    if _DIGITS.fullmatch(text):
        return float(text.replace(",", ""))
    words = [w for w in re.split(r"[\s-]+", text.casefold()) if w not in ("and", "a", "an")]
    if not words or any(w not in _SMALL and w not in _SCALES for w in words):
        return None
    total = current = 0.0
    for word in words:
        if word in _SCALES:
            current = (current or 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0.0
        elif word == "half":
            current += 0.5 * (current or 1) if current == 0 else 0.5
        else:
            current += _SMALL[word]
    return total + current


def _digits(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def spell_out_numbers(text: str) -> str:
    """`text` with every number written in words rewritten in digits."""

    def replace(match: re.Match[str]) -> str:
        phrase = match.group()
        if phrase.casefold() == "one" and not _ONE_NEEDS.match(text, match.end()):
            return phrase
        if phrase.casefold() in ("half", "a half"):
            return phrase
        value = parse_number(phrase)
        return phrase if value is None else _digits(value)

    return _RUN.sub(replace, text)
