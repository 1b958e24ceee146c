"""Numeric questions -> exact answers from the facts of the corpus, evidence first.

Nothing here knows any particular FAQ. A question goes through these steps:

1. **Reading** (`normalize_question`): contractions ("what's", "we're"),
   possessives, hyphenated compounds ("existing-customer") and number words
   ("three years") are rewritten into one plain form. A question that asks
   several things ("When ..., and what does ... cost?") is split into parts,
   each searched and answered on its own, with its own citations.
2. **Intent** (`detect_intent`): what is asked for: a price (`money`), a date
   (`date`) or a quantity (`quantity`), with modifiers: a conversion to a span
   of months, quarters or years, a multiple ("for 3 tenants"), a difference or
   a discount percentage, a share of a number ("10 percent of 5,000"), a span
   from today ("how many months until", "days ago"), whether something is
   still possible (an action before a deadline) or still running (a term
   before its end), and a figure the question states to be checked.
3. **Evidence**: facts of that kind in the passages retrieval finds relevant
   (the top hit and those scoring close to it), each scored by how many of the
   question's topic words stand in its clause, subject, qualifiers or unit
   (full weight), elsewhere in its sentence (half) or its passage's question (a
   quarter). A fact that matches answers; facts tied with the best are all
   given, each with its qualifier.
4. **Answer**: the figure exactly as written, its sentence as the citation,
   any arithmetic step by step in `Answer.rule.steps`. "No: ..." / "Yes: ..."
   for a stated figure. When the relevant passages state figures of the kind
   asked but none about what is asked, the answer is `no_answer` and lists no
   figure (so it can never refuse a figure and then give it). When the
   evidence is weak (retrieval not confident and no clear match), or the
   passages hold no figure of that kind, `answer` returns None and retrieval
   answers or abstains as usual.

A number appears in a rule answer only if it stands in a cited sentence or is
the result of arithmetic shown in `Answer.rule.steps`. Related questions are
added by the caller (FAQBot), as for every answer.
"""

from faqbot.answer.rules.engine import RuleEngine
from faqbot.answer.rules.formatting import format_amount, format_count, format_date
from faqbot.answer.rules.intent import Intent, detect_intent, subject_terms
from faqbot.answer.rules.reading import normalize_question, split_parts

__all__ = [
    "Intent",
    "RuleEngine",
    "detect_intent",
    "format_amount",
    "format_count",
    "format_date",
    "normalize_question",
    "split_parts",
    "subject_terms",
]
