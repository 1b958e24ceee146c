"""An answer as plain terminal text (`faqbot ask`, `faqbot chat`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faqbot.answer.handoff import Handoff
    from faqbot.core.records import Answer

__all__ = ["plain_text"]


def plain_text(answer: Answer, *, handoff: Handoff | None = None) -> str:
    """The answer, each source (trail, lines, URL, quote), the working of a rule, the
    confidence, related questions and, when given, the way to a person as `label: url`."""
    lines = [answer.answer.strip().replace("**", ""), ""]  # bold markers are noise in a terminal
    for number, citation in enumerate(answer.citations, start=1):
        trail = " > ".join(part for part in (citation.doc_title, citation.section, citation.question) if part)
        label = "Source:" if number == 1 else "Also:  "
        lines.append(f"{label} {trail}")
        where = f"{citation.source}, lines {citation.line_start}-{citation.line_end}"
        lines.append(f"        {where}" + (f"  {citation.url}" if citation.url else ""))
        lines.append(f'        "{citation.quote}"')
    if answer.rule and answer.rule.steps:
        lines.append("Working: " + "; ".join(answer.rule.steps))
    kind = f"{answer.kind}, not sure" if answer.hedged else answer.kind
    lines.append(f"Confidence: {answer.confidence:.2f} ({kind})")
    if answer.related and answer.kind != "no_answer":
        lines.append("Related questions:")
        lines += [f"  - {item.question}" for item in answer.related]
    if handoff is not None:
        lines.append(f"{handoff.label}: {handoff.url}")
    return "\n".join(lines)
