"""Clauses, subjects and qualifiers: what a figure in a sentence is about.

Each figure gets its clause (where one figure's clause ends and the next one's
begins), the noun phrase it is about (the subject of the nearest verb, or what
a count is "of") and the "for ..." / "to <determiner or Name> ..." phrases that
narrow it. Simple patterns only: no parser, and "" when none fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faqbot.core.text import content_terms
from faqbot.ingest.figures import Found, overlaps, words_at

__all__ = ["TOKEN", "Token", "find_qualifiers", "find_subject", "split_clauses"]

# Where one figure's clause ends and the next one's begins. Segments without a
# figure are merged into a neighbour, so a list ("A, B, and C") only splits a
# sentence when figures stand on both sides.
_CLAUSE_BREAK = re.compile(
    r";\s*"
    r"|,\s+(?=(?:with|while|whereas|but|and|or|so|yet|although|though|however)\b)"
    r"|\s+(?=(?:while|whereas|but|or at|or for)\b)"
)
_AUXILIARIES = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "will",
        "would",
        "can",
        "can't",
        "cannot",
        "could",
        "must",
        "may",
        "might",
        "should",
        "shall",
        "has",
        "have",
        "had",
        "does",
        "do",
        "did",
        "doesn't",
        "don't",
        "didn't",
        "won't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "shouldn't",
        "couldn't",
        "wouldn't",
        "hasn't",
        "haven't",
    ]
)
# Verbs whose grammatical subject is what a figure after them is about
# ("The trial lasts 30 days", "The Pro plan costs €49").
_VERBS = _AUXILIARIES | frozenset(
    [
        "costs",
        "lasts",
        "includes",
        "runs",
        "starts",
        "begins",
        "ends",
        "expires",
        "requires",
        "offers",
        "provides",
        "allows",
        "gives",
        "gets",
        "comes",
        "takes",
        "holds",
        "supports",
        "contains",
        "charges",
        "equals",
        "totals",
        "renews",
        "remains",
        "becomes",
        "stays",
    ]
)
_VERB_ADVERBS = frozenset(
    [
        "not",
        "also",
        "only",
        "still",
        "now",
        "generally",
        "already",
        "currently",
        "then",
        "just",
        "always",
        "never",
        "usually",
        "typically",
        "no",
        "longer",
    ]
)
_VERB_GROUP = _AUXILIARIES | _VERB_ADVERBS
_COORDINATORS = frozenset({"and", "or", "but"})
_RELATIVES = frozenset({"that", "which", "who"})
_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "your",
        "our",
        "their",
        "its",
        "his",
        "her",
        "all",
        "any",
        "each",
        "every",
        "some",
        "my",
    ]
)
_NOT_QUALIFYING = re.compile(r"for\s+(?:example|instance|more|details|information)\b", re.IGNORECASE)
TOKEN = re.compile(r"\w[\w'’]*(?:-[\w'’]+)*|[^\w\s]")
_NP_MAX_WORDS = 6


@dataclass
class Token:
    text: str
    start: int
    end: int
    figure: bool  # part of a figure's text: a barrier for noun phrases

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


def _noun_phrase_before(tokens: list[Token], index: int) -> tuple[int, int] | None:
    """Token range [first, index) of the content words right before `index`."""
    first = index
    while first > 0:
        token = tokens[first - 1]
        is_name_dash = (
            token.text in "-–"
            and first >= 2
            and first < index
            and tokens[first - 2].text[:1].isupper()
            and tokens[first].text[:1].isupper()
        )  # "Customer Insights – Journeys"
        if is_name_dash:
            first -= 1
            continue
        if token.figure or not token.is_word or token.lower in _VERBS or not content_terms(token.text):
            break
        first -= 1
    first = max(first, index - _NP_MAX_WORDS)
    while first < index and not tokens[first].is_word:
        first += 1
    return (first, index) if first < index else None


def _subject_of_verb(tokens: list[Token], verb: int) -> tuple[int, int] | None:
    """The noun phrase that is the subject of the verb group containing token `verb`."""
    group = verb
    while group > 0 and tokens[group - 1].lower in _VERB_GROUP and not tokens[group - 1].figure:
        group -= 1
    # ", however," between subject and verb is an aside, not a boundary.
    aside = [t.text for t in tokens[max(group - 3, 0) : group]]
    if len(aside) == 3 and aside[0] == aside[2] == "," and aside[1].islower():
        group -= 3
    # "the window that will run through <date>": the figure is about "window".
    if group >= 1 and tokens[group - 1].lower in _RELATIVES:
        group -= 1
        if group >= 1 and tokens[group - 1].text == ",":
            group -= 1
    phrase = _noun_phrase_before(tokens, group)
    # "The trial lasts 30 days and starts on <date>": a verb right after a
    # conjunction shares the subject of the verb before it.
    if phrase is None and group >= 1 and tokens[group - 1].lower in _COORDINATORS:
        for i in range(group - 2, -1, -1):
            if tokens[i].lower in _VERBS and not tokens[i].figure:
                return _subject_of_verb(tokens, i)
    return phrase


def _span_text(sentence: str, tokens: list[Token], phrase: tuple[int, int] | None) -> str:
    if phrase is None:
        return ""
    return sentence[tokens[phrase[0]].start : tokens[phrase[1] - 1].end]


def find_subject(
    sentence: str,
    tokens: list[Token],
    found: Found,
    clause: tuple[int, int],
) -> str:
    """The noun phrase `found` is about, or "" when no simple pattern finds one."""
    first = next(i for i, t in enumerate(tokens) if t.start >= found.start)
    clause_first = next((i for i, t in enumerate(tokens) if t.start >= clause[0]), len(tokens))
    # A count "of" something names it: "a default capacity entitlement of 100,000 ...".
    if found.kind == "quantity" and first > 0 and tokens[first - 1].lower == "of":
        phrase = _noun_phrase_before(tokens, first - 1)
        if phrase:
            return _span_text(sentence, tokens, phrase)
    # The nearest verb before the figure, inside its clause: its subject.
    for i in range(first - 1, clause_first - 1, -1):
        if tokens[i].lower in _VERBS and not tokens[i].figure:
            return _span_text(sentence, tokens, _subject_of_verb(tokens, i))
    # "On <date>, only the new offering will be ...": the figure opens the
    # sentence and the subject follows the comma.
    last = max(i for i, t in enumerate(tokens) if t.end <= found.end)
    for i in range(last + 1, len(tokens)):
        if tokens[i].start >= clause[1]:
            break
        if tokens[i].lower in _VERBS and not tokens[i].figure:
            phrase = _subject_of_verb(tokens, i)
            if phrase:
                between = sentence[found.end : tokens[phrase[0]].start]
                words = re.findall(r"[\w']+", between)
                if (
                    between.lstrip().startswith(",")
                    and "," not in between.lstrip()[1:]
                    and all(w.lower() in _DETERMINERS | {"only"} for w in words)
                ):
                    return _span_text(sentence, tokens, phrase)
            break
    # "..., or at a discounted price of $1,000": the clause shares the verb of
    # the clause before it, and so its subject.
    for i in range(clause_first - 1, -1, -1):
        if tokens[i].lower in _VERBS and not tokens[i].figure:
            return _span_text(sentence, tokens, _subject_of_verb(tokens, i))
    return ""


def find_qualifiers(sentence: str, clause: tuple[int, int], figures: list[tuple[int, int]]) -> list[str]:
    """The "for ..." and "to <determiner or Name> ..." phrases of a clause."""
    text = sentence[clause[0] : clause[1]]
    markers = []
    for match in re.finditer(r"\b(?:for|to|For|To)\b", text):
        start = clause[0] + match.start()
        if overlaps(start, start + len(match.group()), figures):
            continue
        after = words_at(sentence, start + len(match.group()))
        if not after:
            continue
        if match.group().lower() == "to":
            # "to the trial environment" narrows; "to install", "up to 3 GB" do not.
            head = after[0].group()
            if head.lower() not in _DETERMINERS and not head[0].isupper():
                continue
        elif _NOT_QUALIFYING.match(sentence, start):
            continue
        markers.append(start)
    qualifiers = []
    for index, start in enumerate(markers):
        stop = markers[index + 1] if index + 1 < len(markers) else clause[1]
        stop = min([stop] + [s for s, _ in figures if start < s < stop])
        # A comma ends the phrase unless a content word follows it ("for
        # existing, qualifying customers" is one phrase; ", the price" is not).
        for comma in re.finditer(r"[,(;:)]", sentence[start:stop]):
            position = start + comma.start()
            if comma.group() != ",":
                stop = position
                break
            following = words_at(sentence, position + 1)
            if not following or not content_terms(following[0].group()):
                stop = position
                break
        phrase = sentence[start:stop].strip().rstrip(".,;:!?").strip()
        # "for a deployable image on X is 15 GB": the verb before the figure ends the phrase.
        words = phrase.split()
        while len(words) > 2 and words[-1].lower() in _AUXILIARIES:
            words.pop()
        phrase = " ".join(words)
        if len(phrase.split()) >= 2:
            qualifiers.append(phrase)
    return qualifiers


def split_clauses(sentence: str, found: list[Found]) -> list[tuple[int, int]]:
    """One (start, end) clause per figure in `found`, in the same order."""
    spans = [(f.start, f.end) for f in found]
    cuts = [m for m in _CLAUSE_BREAK.finditer(sentence) if not overlaps(m.start(), m.end(), spans)]
    segments = []
    position = 0
    for cut in cuts:
        segments.append((position, cut.start(), cut.end()))
        position = cut.end()
    segments.append((position, len(sentence), len(sentence)))
    # Merge: a new group starts only where a segment with a figure follows a
    # group that already has one.
    groups: list[list[int]] = []  # [start, end, has_figure]
    for start, end, _ in segments:
        has_figure = any(start <= f.start < end for f in found)
        if groups and not (has_figure and groups[-1][2]):
            groups[-1][1] = end
            groups[-1][2] = groups[-1][2] or has_figure
        else:
            groups.append([start, end, has_figure])
    result = []
    for f in found:
        start, end, _ = next(g for g in groups if g[0] <= f.start < g[1])
        while start < f.start and not sentence[start].isalnum() and sentence[start] not in "$€£¥₹(":
            start += 1
        # Trim the trailing punctuation, never into the figure's own text.
        last_figure_end = max(g.end for g in found if start <= g.start < end)
        while end > last_figure_end and (sentence[end - 1].isspace() or sentence[end - 1] in ".,;:!?"):
            end -= 1
        result.append((start, end))
    return result
