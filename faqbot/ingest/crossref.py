"""Cross-references between the questions of one FAQ document ("Refer to question five
below", "See the previous question", 'see "How do I renew?"'): made links to the question
they mean, or dropped when it cannot be told which one that is.

An answer quoted on its own, in a chat or in Slack, loses the page around it, so "question
five below" means nothing there. Where the reference can be resolved, the answer's markdown
links to the question (`[“How do you define People Interacted?”](#how-do-you-define-people-interacted)`,
an anchor on the document's page) and its plain text (what quotes and search read) names
the question in quotes. Where it cannot, the sentence holding it is dropped from both.

What resolves, among the question passages of the same document, in document order:

- "the next / following question", "the question below": the next question;
  "the previous / preceding question", "the question above": the one before;
- "question five", "question 5", "question #5", "the fifth question", with "below" or
  "above" or neither: the fifth question of the section, or the fifth question after
  (before, with "above") this one. FAQ writers mean either, so when both exist and differ,
  the one whose question shares the most words with the rest of the sentence wins ("Refer
  to question five below for the definition of People Interacted" -> "How do you define
  People Interacted?"); with no such word, or a tie, it is unresolved and dropped;
- a quoted question ('see "How do I renew?"'): the question with that wording. A quoted
  question that no passage asks is left as it is (it may not be a reference at all).

    >>> from faqbot.ingest.corpus import parse_document
    >>> doc = parse_document("# F\\n\\n## A?\\n\\nSee the next question.\\n\\n## B?\\n\\nYes.\\n", "f.md")
    >>> doc.passages[0].answer_markdown, doc.passages[0].answer_text
    ('See [“B?”](#b).', 'See “B?”.')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faqbot.core.records import Passage
from faqbot.core.text import content_terms

__all__ = ["link_cross_references"]

_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
_NUMBER = r"\d{1,2}|" + "|".join(_CARDINALS)
_DIRECTIONS = "below|above|later|earlier"
_REFERENCE = re.compile(
    r"\b(?:"
    rf"question\s+(?:#\s*|no\.\s*|number\s+)?(?P<num>{_NUMBER})\b(?:\s+(?P<dir>{_DIRECTIONS}))?"
    rf"|the\s+(?P<ord>{'|'.join(_ORDINALS)})\s+question\b(?:\s+(?P<odir>{_DIRECTIONS}))?"
    r"|the\s+(?P<rel>next|following|previous|preceding|prior)\s+question\b"
    r"|the\s+question\s+(?P<side>below|above)"
    r")\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“](?P<title>[^\"“”\n]{3,200}\?)[\"”]")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_LIST_MARKER = re.compile(r"^(\s*(?:[-*+]|\d{1,3}[.)])?\s*)")
_BACKWARD = ("previous", "preceding", "prior", "above", "earlier")


@dataclass(frozen=True)
class _Question:
    position: int  # in the document's passages
    text: str
    anchor: str
    section: str | None


def _words(text: str) -> set[str]:
    # Five-letter stems: "definition" and "define" meet, "unified" and "interacted" stay apart.
    return {term[:5] for term in content_terms(text)}


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split()).rstrip("?").strip()


class _Resolver:
    """Which question a reference in the passage at `position` means, or None."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.questions = [
            _Question(i, p.question, p.anchor, p.section) for i, p in enumerate(passages) if p.question is not None
        ]
        self.by_wording = {_normal(q.text): q for q in self.questions}

    def quoted(self, title: str, position: int) -> _Question | None:
        target = self.by_wording.get(_normal(title))
        return target if target is not None and target.position != position else None

    def reference(self, match: re.Match[str], sentence: str, position: int) -> _Question | None:
        after = [q for q in self.questions if q.position > position]
        before = [q for q in self.questions if q.position < position]
        rel = (match.group("rel") or match.group("side") or "").lower()
        if rel:
            pool = before[::-1] if rel in _BACKWARD else after
            return pool[0] if pool else None
        number_text = (match.group("num") or match.group("ord") or "").lower()
        number = int(number_text) if number_text.isdigit() else _CARDINALS.get(number_text, _ORDINALS.get(number_text))
        if not number:
            return None
        direction = (match.group("dir") or match.group("odir") or "").lower()
        backward = direction in _BACKWARD
        own = next((q for q in self.questions if q.position == position), None)
        section = own.section if own is not None else None
        in_section = [q for q in self.questions if q.section == section]
        candidates: list[_Question] = []
        if number <= len(in_section):
            candidates.append(in_section[number - 1])  # counted in the section, as its list is numbered
        pool = before[::-1] if backward else after
        if number <= len(pool):
            candidates.append(pool[number - 1])  # counted from this question
        if direction:  # "below" / "above" must hold
            candidates = [q for q in candidates if (q.position < position) == backward]
        candidates = [q for q in dict.fromkeys(candidates) if q.position != position]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        context = _words(sentence.replace(match.group(0), " "))
        scored = sorted(((len(context & _words(q.text)), q.position) for q in candidates), reverse=True)
        if scored[0][0] == 0 or scored[0][0] == scored[1][0]:
            return None
        return next(q for q in candidates if q.position == scored[0][1])


def _sentence_span(line: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of `line` around [start, end): from after the previous sentence end (or
    the list marker) to its own end."""
    head = _LIST_MARKER.match(line)
    begin = head.end() if head else 0
    for stop in _SENTENCE_END.finditer(line, 0, start):
        begin = max(begin, stop.end())
    finish = _SENTENCE_END.search(line, end)
    return begin, (finish.end() if finish else len(line))


def _rewrite(
    text: str,
    position: int,
    resolver: _Resolver,
    link: Callable[[_Question, str], str],
) -> str:
    """`text` with each reference replaced by `link(question, original)`, and each sentence
    holding an unresolvable one dropped (a line left empty goes too)."""
    out: list[str] = []
    for line in text.split("\n"):
        cursor = 0  # left to right: a replacement is never read again
        while True:
            match = _next_outside_links(_REFERENCE, line, cursor)
            quoted = _next_outside_links(_QUOTED, line, cursor)
            while quoted is not None and resolver.quoted(quoted.group("title"), position) is None:
                quoted = _next_outside_links(_QUOTED, line, quoted.end())
            if quoted is not None and (match is None or quoted.start() < match.start()):
                target = resolver.quoted(quoted.group("title"), position)
                assert target is not None
                replacement = link(target, quoted.group(0))
                line = line[: quoted.start()] + replacement + line[quoted.end() :]
                cursor = quoted.start() + len(replacement)
                continue
            if match is None:
                break
            begin, finish = _sentence_span(line, match.start(), match.end())
            target = resolver.reference(match, line[begin:finish], position)
            if target is None:
                line = (line[:begin] + line[finish:].lstrip()).rstrip()
                cursor = begin
                continue
            replacement = link(target, match.group(0))
            line = line[: match.start()] + replacement + line[match.end() :]
            cursor = match.start() + len(replacement)
        if not line.strip() or not _LIST_MARKER.fullmatch(line):
            out.append(line)  # a line left with only its list marker goes; blank lines stay
    return "\n".join(out).strip("\n")


def _next_outside_links(pattern: re.Pattern[str], line: str, start: int) -> re.Match[str] | None:
    match = pattern.search(line, start)
    while match is not None and _inside_link(line, match.start()):
        match = pattern.search(line, match.end())
    return match


def _inside_link(line: str, index: int) -> bool:
    """Within the text of a markdown link already (`[... here ...](...)`)."""
    before = line[:index]
    return before.count("[") > before.count("]")


def link_cross_references(passages: Sequence[Passage]) -> list[Passage]:
    """The passages of one document, each reference to another of its questions linked
    (markdown) and named (plain text), or its sentence dropped when unresolvable."""
    resolver = _Resolver(passages)
    linked: list[Passage] = []
    for position, passage in enumerate(passages):
        if not (_REFERENCE.search(passage.answer_markdown) or _QUOTED.search(passage.answer_markdown)):
            linked.append(passage)
            continue

        def as_link(question: _Question, _original: str) -> str:
            return f"[“{question.text}”](#{question.anchor})"

        def as_name(question: _Question, _original: str) -> str:
            return f"“{question.text}”"

        markdown = _rewrite(passage.answer_markdown, position, resolver, as_link)
        text = _rewrite(passage.answer_text, position, resolver, as_name)
        if markdown == passage.answer_markdown and text == passage.answer_text:
            linked.append(passage)
            continue
        # A passage that was nothing but an unresolvable pointer keeps its words rather than none.
        linked.append(
            passage.model_copy(
                update={
                    "answer_markdown": markdown or passage.answer_markdown,
                    "answer_text": text or passage.answer_text,
                }
            )
        )
    return linked
