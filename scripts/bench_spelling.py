"""Time spell correction per unknown word on a 50,000-word vocabulary.

    .venv/bin/python scripts/bench_spelling.py

Compares the retriever's corrector (symspellpy, any letter including the first)
with the previous one (a scan of the known words sharing the first letter with
`edit_distance_at_most`, kept here only for the comparison). The vocabulary is
the shipped corpus's words plus generated pseudo-words up to 50,000, with
Zipf-like counts; the queries are corpus words with one random edit (a quarter
of them on the first letter) and words that are nowhere near.
"""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from symspellpy import SymSpell, Verbosity

from faqbot.core.text import tokens
from faqbot.ingest.corpus import load_corpus

SIZE = 50_000


def edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """The previous corrector's test (Damerau-Levenshtein with an early exit)."""
    if abs(len(a) - len(b)) > limit:
        return False
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], before_previous[j - 2] + 1)
        if min(current) > limit:
            return False
        before_previous, previous = previous, current
    return previous[-1] <= limit


def vocabulary(rng: random.Random) -> dict[str, int]:
    words = {}
    for document in load_corpus(REPO / "corpus").documents:
        for passage in document.passages:
            for word in tokens(passage.answer_text):
                if word.isalpha():
                    words[word] = words.get(word, 0) + 1
    syllables = [a + b for a in "bcdfghklmnprstvz" for b in "aeiou"] + ["an", "er", "in", "on", "st", "tr"]
    while len(words) < SIZE:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 5)))
        words.setdefault(word, max(1, int(1000 / (len(words) + 1) ** 0.5)))
    return words


def misspell(word: str, rng: random.Random, first: bool) -> str:
    position = 0 if first else rng.randrange(len(word))
    letter = rng.choice(string.ascii_lowercase.replace(word[position], ""))
    return word[:position] + letter + word[position + 1 :]


def main() -> None:
    rng = random.Random(13)
    words = vocabulary(rng)
    real = [w for w in words if len(w) >= 6][:2000]
    queries = [misspell(w, rng, first=i % 4 == 0) for i, w in enumerate(rng.sample(real, 300))]
    queries += ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10))) for _ in range(100)]
    queries = [q for q in queries if q not in words]

    started = time.perf_counter()
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word, count in words.items():
        speller.create_dictionary_entry(word, count)
    build = time.perf_counter() - started

    started = time.perf_counter()
    fixed_first = 0
    for _i, query in enumerate(queries):
        found = speller.lookup(query, Verbosity.TOP, max_edit_distance=2 if len(query) >= 8 else 1)
        fixed_first += bool(found) and found[0].term[0] != query[0]
    symspell_ms = (time.perf_counter() - started) * 1000 / len(queries)

    by_initial: dict[str, list[str]] = {}
    for word, _ in sorted(words.items(), key=lambda item: -item[1]):
        by_initial.setdefault(word[0], []).append(word)
    started = time.perf_counter()
    for query in queries:
        limit = 2 if len(query) >= 8 else 1
        next((w for w in by_initial.get(query[0], []) if edit_distance_at_most(query, w, limit)), None)
    scan_ms = (time.perf_counter() - started) * 1000 / len(queries)

    print(f"vocabulary {len(words):,} words, {len(queries)} unknown words")
    print(
        f"symspellpy: {symspell_ms:.3f} ms per unknown word (dictionary built in {build:.2f} s); "
        f"{fixed_first} corrections changed the first letter"
    )
    print(f"previous first-letter scan: {scan_ms:.3f} ms per unknown word (never changes the first letter)")


if __name__ == "__main__":
    main()
