"""Calendar arithmetic for date questions: how far a date is from today, in the unit asked.

Whole units, counted the way a person does: from November 28, 2026 back to
September 1, 2023 is 1,184 days, 169 weeks, 38 months or 3 years
(`dateutil.relativedelta` gives calendar months and years).

    >>> import datetime as dt
    >>> span_between(dt.date(2023, 9, 1), dt.date(2026, 11, 28), "months")
    38
    >>> span_between(dt.date(2027, 9, 1), dt.date(2026, 11, 28), "days")
    -277
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

__all__ = ["UNITS", "describe_span", "span_between"]

UNITS = ("days", "weeks", "months", "years")


def span_between(event: dt.date, today: dt.date, unit: str) -> int:
    """Whole `unit`s from `event` to `today`: positive when the event is past, negative when ahead."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    days = (today - event).days
    if unit == "days":
        return days
    if unit == "weeks":
        return int(days / 7)  # whole weeks, rounded toward zero either way
    later, earlier, sign = (today, event, 1) if days >= 0 else (event, today, -1)
    delta = relativedelta(later, earlier)
    whole = delta.years * 12 + delta.months if unit == "months" else delta.years
    return sign * whole


def describe_span(count: int, unit: str) -> str:
    """ "1 day", "38 months", "1,184 days" (always a magnitude; the caller says ago or ahead)."""
    count = abs(count)
    name = unit if count != 1 else unit[:-1]
    return f"{count:,} {name}"
