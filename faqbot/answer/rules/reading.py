"""Reading a numeric question: one plain form (contractions, possessives, hyphens, number
words), and the separate questions one message asks."""

from __future__ import annotations

import re

from faqbot.core.text import spell_out_numbers

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
