"""What every figure finder shares: the `Found` record, the spans claimed so far, word steps.

The finders (`dates`, `money`, `quantities`) run in that order over one
sentence; an earlier one claims its span, so a later one never reads a date's
digits as a count.

    >>> overlaps(3, 5, [(0, 4)]), overlaps(4, 5, [(0, 4)])
    (True, False)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Claims", "Found", "Kind", "overlaps", "words_at"]

Kind = Literal["money", "date", "quantity"]

_SPACES = re.compile(r"[ \t]+")
_WORD = re.compile(r"[A-Za-z][\w'’]*(?:-[\w'’]+)*")


@dataclass
class Found:
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
class Claims:
    """The figures found in a sentence so far, and every span already claimed (with or without one)."""

    found: list[Found] = field(default_factory=list)
    taken: list[tuple[int, int]] = field(default_factory=list)

    def claim(self, item: Found | None, start: int, end: int) -> None:
        self.taken.append((start, end))
        if item is not None:
            self.found.append(item)


def overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def words_at(text: str, position: int) -> list[re.Match[str]]:
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
