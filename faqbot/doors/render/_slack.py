"""An answer as a Slack message: the fallback `text` and Block Kit `blocks`.

Shape: a context block echoing the question (slash commands), one section with the answer in
mrkdwn (at most 3000 characters, Slack's section limit; a longer answer is cut at a line or
word and ends with a link to the full answer), a context block with the citation links, a
section with related questions (or the no-answer's suggestions) and, when given, the way to a
person. Never more than 50 blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faqbot.doors.render._common import (
    citation_label,
    citation_url,
    document_base,
    faq_page,
    trim,
    unlisted_related,
)
from faqbot.doors.render._mrkdwn import escape_mrkdwn, markdown_to_mrkdwn, slack_link

if TYPE_CHECKING:
    from faqbot.answer.handoff import Handoff
    from faqbot.core.records import Answer

__all__ = ["MAX_BLOCKS", "MAX_CONTEXT_CHARS", "MAX_SECTION_CHARS", "section_block", "slack_blocks", "slack_notice"]

MAX_SECTION_CHARS = 3000
"""Slack's limit on the text of a section block."""
MAX_CONTEXT_CHARS = 2000
"""Kept under for each element of a context block."""
MAX_BLOCKS = 50
"""Slack's limit on blocks in one message."""

Block = dict[str, Any]


def section_block(text: str) -> Block:
    """A mrkdwn section, cut to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text, MAX_SECTION_CHARS)}}


def _context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": trim(text, MAX_CONTEXT_CHARS)} for text in texts[:10]],
    }


def slack_notice(markdown: str) -> tuple[str, list[Block]]:
    """A short message of the door's own (help, a refused question) as mrkdwn `text` and one section."""
    mrkdwn = markdown_to_mrkdwn(markdown)
    return mrkdwn, [section_block(mrkdwn)]


def slack_blocks(
    answer: Answer,
    *,
    public_base_url: str | None = None,
    echo_question: bool = True,
    handoff: Handoff | None = None,
) -> tuple[str, list[Block]]:
    """The fallback `text` and the Block Kit `blocks` of a Slack message for `answer`; a
    `handoff` (the way to a person) is shown as a link after the answer."""
    links = [(citation, citation_url(citation, public_base_url)) for citation in answer.citations]
    full_answer = next((url for _, url in links if url), None)
    tail = f"\n_Answer shortened: {slack_link(full_answer, 'read the full answer')}_" if full_answer else ""
    body = markdown_to_mrkdwn(answer.answer, document_base(answer.citations)) or escape_mrkdwn(answer.answer)
    body = trim(body, MAX_SECTION_CHARS, tail=tail)

    blocks: list[Block] = []
    if echo_question:
        blocks.append(_context(f"*Q:* {escape_mrkdwn(answer.question)}"))
    blocks.append(section_block(body))
    sources = [
        slack_link(url, citation_label(citation)) if url else escape_mrkdwn(citation_label(citation))
        for citation, url in links
    ]
    if sources:
        blocks.append(_context(*[f"Source: {source}" for source in sources]))
    related = unlisted_related(answer)
    if related:
        lines = []
        for item in related:
            page = faq_page(public_base_url, item.passage_id)
            lines.append(f"• {slack_link(page, item.question) if page else escape_mrkdwn(item.question)}")
        heading = "*You could ask instead*" if answer.kind == "no_answer" else "*Related questions*"
        blocks.append(section_block(heading + "\n" + "\n".join(lines)))
    if handoff is not None:
        # Kept within the block limit: the way to a person matters more than the last related block.
        blocks = blocks[: MAX_BLOCKS - 1] + [section_block(slack_link(handoff.url, handoff.label))]
    return body, blocks[:MAX_BLOCKS]
