"""Dates in FAQ text: "September 1, 2023", "Sept. 1, 2023", "1 September 2023",
"September 2023" (its first day), "2023-09-01" and "09/01/2023" (US order, as Learn writes).

    >>> parse_date("Sept. 1, 2023")
    datetime.date(2023, 9, 1)
"""

from __future__ import annotations

import datetime as dt
import re

from faqbot.ingest.figures import Claims, Found, overlaps

__all__ = ["DATE_PATTERNS", "MONTHS", "find_dates", "parse_date"]

MONTHS = {
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
DATE_PATTERNS = [
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
    month = MONTHS[groups["mon"].rstrip(".").lower()] if groups.get("mon") else int(groups["month"])
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
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _date_from_match(match)
    return None


def find_dates(sentence: str, claims: Claims) -> None:
    """Claim every date in `sentence`, in pattern order."""
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            if overlaps(match.start(), match.end(), claims.taken):
                continue
            date = _date_from_match(match)
            # An impossible date ("February 30, 2023") is claimed anyway, so its
            # digits do not turn into quantities.
            item = Found("date", match.start(), match.end(), date=date) if date else None
            claims.claim(item, match.start(), match.end())
