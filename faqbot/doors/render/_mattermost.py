"""An answer as a Mattermost slash-command reply: markdown `text`, sources, related questions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from faqbot.doors.render._common import (
    citation_label,
    citation_url,
    document_base,
    faq_page,
    learn_markdown,
    resolve_link,
    trim,
    unlisted_related,
)

if TYPE_CHECKING:
    from faqbot.answer.handoff import Handoff
    from faqbot.core.records import Answer

__all__ = ["MAX_MATTERMOST_CHARS", "ResponseType", "escape_markdown", "mattermost_reply"]

MAX_MATTERMOST_CHARS = 4000
"""Mattermost accepts longer posts (16383 runes), but an answer past this is cut like Slack's."""

ResponseType = Literal["ephemeral", "in_channel"]

_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")


def escape_markdown(text: str) -> str:
    r"""User text made inert in markdown: punctuation escaped, no @-mentions.

    >>> escape_markdown("*hi* @here")
    '\\*hi\\* @\u200bhere'
    """
    text = re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", text)
    return text.replace("@", "@\u200b")


def _mattermost_markdown(markdown: str, base_url: str | None) -> str:
    """An answer's markdown for Mattermost: relative links resolved (or unlinked), alerts spelled out."""

    def relink(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        url = resolve_link(target, base_url)
        return f"[{label}]({url})" if url else label

    return _LINK.sub(relink, learn_markdown(markdown))


def mattermost_reply(
    answer: Answer,
    response_type: ResponseType,
    *,
    public_base_url: str | None = None,
    handoff: Handoff | None = None,
) -> dict[str, Any]:
    """The JSON reply to a Mattermost slash command: markdown `text`, source, related
    questions and, when given, the `handoff` link."""
    links = [(citation, citation_url(citation, public_base_url)) for citation in answer.citations]
    parts = [f"**Q:** {escape_markdown(answer.question)}"]
    body = _mattermost_markdown(answer.answer, document_base(answer.citations)).strip()
    full_answer = next((url for _, url in links if url), None)
    tail = f"\n\n_Answer shortened: [read the full answer]({full_answer})_" if full_answer else ""
    parts.append(trim(body, MAX_MATTERMOST_CHARS, tail=tail))
    sources = [
        f"[{escape_markdown(citation_label(c))}]({url})" if url else escape_markdown(citation_label(c))
        for c, url in links
    ]
    if sources:
        parts.append("**Source:** " + " · ".join(sources))
    related = unlisted_related(answer)
    if related:
        lines = []
        for item in related:
            page = faq_page(public_base_url, item.passage_id)
            question = escape_markdown(item.question)
            lines.append(f"- [{question}]({page})" if page else f"- {question}")
        heading = "**You could ask instead:**" if answer.kind == "no_answer" else "**Related questions:**"
        parts.append(heading + "\n" + "\n".join(lines))
    if handoff is not None:
        parts.append(f"[{escape_markdown(handoff.label)}]({handoff.url})")
    return {"response_type": response_type, "text": "\n\n".join(parts)}
