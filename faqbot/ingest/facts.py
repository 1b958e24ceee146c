"""Typed facts (money, dates, quantities) found in FAQ passages.

The rules stage answers numeric questions from these records, so every figure
must come from the corpus text, never from code: nothing here knows about any
particular FAQ. Each fact keeps the figure exactly as written, its offsets in
its sentence, the clause it belongs to, the noun phrase it is about and the
"for ..." / "to ..." phrases that narrow it.

    >>> [f.text for f in facts_in_sentence("The Pro plan costs €49 per user per month.", "doc#q")]
    ['€49']
    >>> fact = facts_in_sentence("The Pro plan costs €49 per user per month.", "doc#q")[0]
    >>> fact.value, fact.currency, fact.period, fact.per, fact.subject
    (49.0, 'EUR', 'month', 'user', 'Pro plan')
    >>> parse_date("Sept. 1, 2023")
    datetime.date(2023, 9, 1)

How figures are told apart (in this order; an earlier kind claims its span):

1. dates: "September 1, 2023", "Sept. 1, 2023", "1 September 2023",
   "September 2023" (first of the month), "2023-09-01", "09/01/2023" (US);
2. money: "$1,700", "€15.50", "USD 20", "1,500 USD", "$2.5 million", with the
   rate that follows ("per tenant per month", "ptpm", "/yr", "annually");
3. bare years ("in 2023") are claimed but yield no fact (too ambiguous);
4. quantities: a number followed by its unit ("30 days", "3 GB", "10 percent",
   "10,000 People Interacted", "four capacity units") and "an unlimited number
   of <noun phrase>". Numbers without a unit ("is 85, but") yield nothing, as do
   numbers that are part of a name ("Dynamics 365", "MB-260", "50-50") and
   ordinals ("question five"): a wrong fact is worse than a missing one.

Where the parts live: `figures` (the shared `Found` record and claimed spans),
`dates`, `money` (with rates), `quantities` (the finders, run in the order
above), `clauses` (each figure's clause, subject and qualifiers); this module
runs them over sentences and builds the `Fact` records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from faqbot.core.records import Fact, Passage
from faqbot.core.text import split_sentences
from faqbot.ingest.clauses import TOKEN, Token, find_qualifiers, find_subject, split_clauses
from faqbot.ingest.dates import find_dates, parse_date
from faqbot.ingest.figures import Claims, Found, overlaps
from faqbot.ingest.money import find_money
from faqbot.ingest.quantities import find_counts, find_ranges, find_unlimited

__all__ = ["extract_facts", "facts_in_sentence", "parse_date"]


def _find_figures(sentence: str) -> list[Found]:
    """Every figure in `sentence`, by start; each finder claims its spans before the next runs."""
    claims = Claims()
    for finder in (find_dates, find_money, find_unlimited, find_ranges, find_counts):
        finder(sentence, claims)
    found = claims.found
    found.sort(key=lambda f: f.start)
    return found


def facts_in_sentence(sentence: str, passage_id: str) -> list[Fact]:
    """All money, date and quantity facts in one sentence, in reading order.

    >>> [(f.kind, f.text, f.subject) for f in facts_in_sentence(
    ...     "The trial lasts 30 days and starts on March 3, 2024.", "doc#trial")]
    [('quantity', '30 days', 'trial'), ('date', 'March 3, 2024', 'trial')]
    """
    found = _find_figures(sentence)
    if not found:
        return []
    spans = [(f.start, f.end) for f in found]
    tokens = [
        Token(m.group(), m.start(), m.end(), overlaps(m.start(), m.end(), spans)) for m in TOKEN.finditer(sentence)
    ]
    clauses = split_clauses(sentence, found)
    facts: list[Fact] = []
    subjects: list[str] = []
    for index, (item, clause) in enumerate(zip(found, clauses, strict=True)):
        previous = found[index - 1] if index else None
        # "10,000 People Interacted and 100,000 People Unified": coordinated
        # figures share what they are about.
        if (
            previous is not None
            and clauses[index - 1] == clause
            and re.fullmatch(r"\s*(?:,\s*)?(?:and|or|to|through|-|–)?\s*", sentence[previous.end : item.start])
        ):
            subject = subjects[-1]
        else:
            subject = find_subject(sentence, tokens, item, clause)
        subjects.append(subject)
        facts.append(
            Fact(
                kind=item.kind,
                text=sentence[item.start : item.end],
                value=item.value,
                currency=item.currency,
                period=item.period,
                per=item.per,
                unit=item.unit,
                date=item.date,
                subject=subject,
                qualifiers=find_qualifiers(sentence, clause, spans),
                clause=sentence[clause[0] : clause[1]],
                sentence=sentence,
                start=item.start,
                end=item.end,
                passage_id=passage_id,
            )
        )
    return facts


def extract_facts(passages: Iterable[Passage]) -> list[Fact]:
    """The facts of every sentence of every passage: its question first, then its answer.

    >>> from faqbot.core.records import Passage
    >>> passage = Passage(passage_id="plans#price", doc_title="Plans", section=None,
    ...     question="What does the Pro plan cost?", answer_markdown="",
    ...     answer_text="The Pro plan costs $49 a month.", source="plans.md",
    ...     line_start=1, line_end=2, anchor="price")
    >>> [(f.text, f.period) for f in extract_facts([passage])]
    [('$49', 'month')]
    """
    facts: list[Fact] = []
    for passage in passages:
        texts = [passage.question or "", passage.answer_text]
        for text in texts:
            for sentence in split_sentences(text):
                facts.extend(facts_in_sentence(sentence, passage.passage_id))
    return facts
