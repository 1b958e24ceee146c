"""Money in FAQ text: "$1,700", "€15.50", "USD 20", "1,500 USD", "$2.5 million", with the
rate that follows ("per tenant per month", "ptpm", "/yr", "annually").

    >>> parse_rate(" per user per month (pupm), billed yearly")
    ('month', 'user', 26)
"""

from __future__ import annotations

import re

from faqbot.core.text import content_terms
from faqbot.ingest.figures import Claims, Found, overlaps

__all__ = ["find_money", "parse_rate"]

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


def parse_rate(text: str) -> tuple[str | None, str | None, int]:
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
            inner_period, inner_per, used = parse_rate(inner)
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


def find_money(sentence: str, claims: Claims) -> None:
    """Claim every amount of money in `sentence`, with the rate written after it."""
    for pattern in _MONEY_PATTERNS:
        for match in pattern.finditer(sentence):
            if overlaps(match.start(), match.end(), claims.taken):
                continue
            groups = match.groupdict()
            scale = (groups.get("scale") or groups.get("suffix") or "").lower()
            value = float(groups["num"].replace(",", "")) * _SCALES.get(scale, 1.0)
            currency = _SYMBOLS[groups["sym"]] if groups.get("sym") else groups["code"]
            period, per, _ = parse_rate(sentence[match.end() :])
            item = Found("money", match.start(), match.end(), value, currency, period, per)
            claims.claim(item, match.start(), match.end())
