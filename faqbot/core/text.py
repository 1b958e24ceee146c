"""Text utilities shared by the index, retrieval and rules: tokens, stop words,
sentences, stemming (the language is a setting, `FAQBOT_LANGUAGE`) and numbers
written in words. Pure functions; the stemmers and stems are cached.

    >>> content_terms("How do I extend the trial?")
    ['extend', 'trial']
    >>> split_sentences("It runs. It stops! Does it? Yes.")
    ['It runs.', 'It stops!', 'Does it?', 'Yes.']
    >>> stem_terms("Cancelling my subscriptions")
    ['cancel', 'subscript']
    >>> spell_out_numbers("over twenty-four months for three tenants")
    'over 24 months for 3 tenants'
    >>> parse_number("one hundred and twenty"), parse_number("1,500"), parse_number("a dozen")
    (120.0, 1500.0, 12.0)

Stop words and number words are English; the stemmer follows the language.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

DEFAULT_LANGUAGE = "english"

# English function words and FAQ filler ("how do I ..."): they carry no topic.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "either",
        "else",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "mustn't",
        "my",
        "myself",
        "need",
        "needs",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "please",
        "same",
        "shall",
        "shan't",
        "she",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "want",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "whether",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "whose",
        "why",
        "why's",
        "will",
        "with",
        "within",
        "without",
        "won't",
        "would",
        "wouldn't",
        "yes",
        "yet",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "know",
        "like",
        "able",
        "way",
        "thing",
        "things",
        "anything",
        "something",
        "there",
    ]
)

_BULLET = re.compile(r"^(?:[-*+•]|\d+[.)])\s+")
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?(?:[.,][0-9]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9*_\-•])")
# Abbreviations that end in a period but do not end a sentence.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|Sept|Sep|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Oct|Nov|Dec|No|Mr|Ms|Dr|St)\.)$",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """Unicode-normalize, lowercase and unify quotes so that tokens compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def tokens(text: str) -> list[str]:
    """Lowercase word tokens; numbers keep their separators ("10,000", "1.5")."""
    return [token.replace("'", "") for token in _TOKEN.findall(normalize(text))]


def content_terms(text: str) -> list[str]:
    """The tokens that carry the topic: no stop words, no one-letter tokens."""
    return [t for t in tokens(text) if t not in STOP_WORDS and len(t) > 1]


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences; line breaks (list items) always split.

    Splits after `.`, `!` or `?` followed by a capital or digit, but not after
    common abbreviations ("e.g.", "Sept.").
    """
    sentences: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line.strip())
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            candidate = line[start : match.start()].strip()
            if _ABBREVIATIONS.search(candidate):
                continue
            if candidate:
                sentences.append(candidate)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


# ---------------------------------------------------------------------------- stemming


def stemming_languages() -> list[str]:
    """The languages PyStemmer's Snowball stemmers know ("english", "german", ...)."""
    return sorted(Stemmer.algorithms())


@functools.cache
def stemmer(language: str = DEFAULT_LANGUAGE) -> Stemmer.Stemmer:
    """The Snowball stemmer of `language`; ValueError names the languages there are."""
    if language not in Stemmer.algorithms():
        raise ValueError(f"no stemmer for {language!r}: use one of {', '.join(stemming_languages())}")
    return Stemmer.Stemmer(language)


def stem_word(word: str, language: str = DEFAULT_LANGUAGE) -> str:
    """One word's stem ("solutions" -> "solut")."""
    return str(stemmer(language).stemWord(word))


def stem_terms(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Stemmed content terms: the unit of lexical matching."""
    return list(_stem_terms(text, language))


@functools.lru_cache(maxsize=8192)
def _stem_terms(text: str, language: str) -> tuple[str, ...]:
    # The same question and answer sentences are stemmed by several stages: once is enough.
    return tuple(stemmer(language).stemWords(content_terms(text)))


# ---------------------------------------------------------------------------- numbers in words

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
