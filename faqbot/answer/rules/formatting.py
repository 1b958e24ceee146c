"""Writing figures the way the corpus writes them: amounts, counts, dates, and a fact with
what narrows it."""

from __future__ import annotations

import datetime as dt
import re

from faqbot.core.records import Fact
from faqbot.core.text import stem_terms


def format_amount(value: float, like: str) -> str:
    """`value` written the way the corpus wrote `like`.

    >>> format_amount(20400.0, "$1,700"), format_amount(1062.5, "€850"), format_amount(24000, "2,000 USD")
    ('$20,400', '€1,062.50', '24,000 USD')
    """
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
    if not a or not b:
        return False
    stems = stem_terms(a)
    return bool(stems) and stems[:1] == stem_terms(b)[:1]
