"""The render layer: one answer (with its handoff and links) in each door's format.

    >>> from faqbot.core.records import Answer
    >>> answer = Answer(question="Is it free?", answer="**Yes**, for [trials](https://x.test/t).",
    ...                 kind="retrieval", confidence=0.9)
    >>> markdown_to_mrkdwn(answer.answer)
    '*Yes*, for <https://x.test/t|trials>.'
    >>> print(plain_text(answer))
    Yes, for [trials](https://x.test/t).
    <BLANKLINE>
    Confidence: 0.90 (retrieval)

Formats, one module each:

    _text.py        plain terminal text (`faqbot ask`, `faqbot chat`)
    _html.py        HTML for the web pages (markdown as the corpus has it, links made absolute)
    _slack.py       Slack: fallback text and Block Kit blocks, in mrkdwn (_mrkdwn.py)
    _mattermost.py  Mattermost: a slash-command reply in markdown
    _common.py      what they share: citation links and labels, link resolution, MS Learn
                    alerts, cutting a long text at a line or word

A new door (say Teams) takes what it needs from here: `citation_url` and `citation_label`
for its sources, `markdown_to_html` or `escape_markdown` for the answer, `trim` for its
length limit. The doors themselves only ask (`ConversationDesk.ask`) and send.
"""

from faqbot.doors.render._common import (
    citation_label,
    citation_url,
    document_base,
    faq_page,
    learn_markdown,
    resolve_link,
    spell_out_alerts,
    trim,
    unlisted_related,
)
from faqbot.doors.render._html import html_parser, markdown_to_html
from faqbot.doors.render._mattermost import MAX_MATTERMOST_CHARS, ResponseType, escape_markdown, mattermost_reply
from faqbot.doors.render._mrkdwn import escape_mrkdwn, markdown_to_mrkdwn, slack_link
from faqbot.doors.render._slack import (
    MAX_BLOCKS,
    MAX_CONTEXT_CHARS,
    MAX_SECTION_CHARS,
    section_block,
    slack_blocks,
    slack_notice,
)
from faqbot.doors.render._text import plain_text

__all__ = [
    "MAX_BLOCKS",
    "MAX_CONTEXT_CHARS",
    "MAX_MATTERMOST_CHARS",
    "MAX_SECTION_CHARS",
    "ResponseType",
    "citation_label",
    "citation_url",
    "document_base",
    "escape_markdown",
    "escape_mrkdwn",
    "faq_page",
    "html_parser",
    "learn_markdown",
    "markdown_to_html",
    "markdown_to_mrkdwn",
    "mattermost_reply",
    "plain_text",
    "resolve_link",
    "section_block",
    "slack_blocks",
    "slack_link",
    "slack_notice",
    "spell_out_alerts",
    "trim",
    "unlisted_related",
]
