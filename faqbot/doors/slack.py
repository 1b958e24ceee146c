"""The Slack and Mattermost door: a FastAPI router answering slash commands and mentions.

    >>> from fastapi import FastAPI
    >>> from faqbot.core.config import Settings
    >>> app = FastAPI()
    >>> bot = None   # FAQBot.load(...) in real use; None means "still loading"
    >>> app.include_router(create_slack_router(Settings(), lambda: bot))

Routes:

    POST /slack/commands  a slash command (form-encoded `text`, `command`, `user_id`, ...),
                          answered in the HTTP response within Slack's 3 s: JSON with
                          `response_type`, `text` (fallback) and Block Kit `blocks`.
                          Mattermost-style webhooks post the same form fields without
                          Slack's signature headers and prove themselves with the form
                          field `token` (= FAQBOT_WEBHOOK_TOKEN); they get markdown `text`.
    POST /slack/events    the Events API: `url_verification` returns the challenge;
                          `app_mention` and direct messages (`message`, channel_type "im")
                          are acknowledged at once and answered in their thread with
                          `chat.postMessage` at `settings.slack_api_url`, once per event.
                          A thread is a conversation (key `slack:<channel>:<thread_ts>`):
                          a follow-up asked in it ("and for existing ones?") is read
                          against the thread's previous question.

With FAQBOT_HANDOFF_URL set, a no-answer and a request for a person end with a link to
it (FAQBOT_HANDOFF_LABEL), in Slack and in Mattermost.

Who is let in (nothing is ever open):

    request has X-Slack-Signature / X-Slack-Request-Timestamp
        -> judged by the signature alone (slack_sdk's SignatureVerifier: HMAC-SHA256 of
           `v0:{timestamp}:{body}`, timestamp within 5 minutes); no signing secret -> 401
    request has neither header (Mattermost)
        -> form field `token` must equal FAQBOT_WEBHOOK_TOKEN (constant-time compare),
           else 401; /slack/events never accepts a token
    neither secret nor webhook token configured -> 503 "not configured"

Errors are JSON `{"error": "<a sentence for a person>"}`. Input the bot refuses (an empty
or over-long question) is answered with a polite ephemeral message, since Slack only shows
what comes back with status 200. Secrets never appear in logs or responses. No network
call happens when the router is built, so the server starts with Slack unreachable;
failures of chat.postMessage are logged (without the token) and never reach the app.

Message shape (Slack): a context block echoing the question (slash commands), one section
with the answer converted to mrkdwn (at most 3000 characters, Slack's section limit;
longer answers are cut at a line or word and end with a link to the full answer), a
context block with the citation links, and a section with related questions. The
no-answer message keeps its suggestions. Never more than 50 blocks.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, quote, urljoin, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from faqbot.answer.handoff import Handoff
from faqbot.answer.turns import ConversationDesk, Turn
from faqbot.core.config import Settings
from faqbot.core.errors import InvalidQuestion
from faqbot.core.records import Answer, Citation, RelatedQuestion
from faqbot.store import AnswerStore, StoreError, warn_store_failure

if TYPE_CHECKING:
    from faqbot.answer.pipeline import FAQBot

__all__ = [
    "MAX_BLOCKS",
    "MAX_SECTION_CHARS",
    "SeenEvents",
    "citation_url",
    "create_slack_router",
    "escape_mrkdwn",
    "markdown_to_mrkdwn",
    "mattermost_reply",
    "slack_blocks",
    "slack_link",
]

log = logging.getLogger(__name__)

MAX_SECTION_CHARS = 3000
"""Slack's limit on the text of a section block."""
MAX_CONTEXT_CHARS = 2000
"""Kept under for each element of a context block."""
MAX_BLOCKS = 50
"""Slack's limit on blocks in one message."""
MAX_MATTERMOST_CHARS = 4000
"""Mattermost accepts longer posts (16383 runes), but an answer past this is cut like Slack's."""
MAX_BODY_BYTES = 64 * 1024
"""Slack's payloads are a few kB; a body past this gets 413 without being read whole."""
TIMESTAMP_TOLERANCE_S = 5 * 60
"""Slack's replay window, the same one `SignatureVerifier` enforces."""
SEEN_EVENTS = 10_000
"""How many event ids (and message keys) are remembered to swallow Slack's retries."""
POST_TIMEOUT_S = 10.0

ResponseType = Literal["ephemeral", "in_channel"]

_SIGNATURE_HEADERS = ("x-slack-signature", "x-slack-request-timestamp")
_ALERT = re.compile(
    r"^((?:[ \t]*>)+[ \t]*)\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*", re.IGNORECASE | re.MULTILINE
)
_DIV = re.compile(r"^(?:[ \t]*>)*[ \t]*\[!div[^\]]*\][ \t]*$\n?", re.IGNORECASE | re.MULTILINE)
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_TOKEN = re.compile(r"<((?:[#!]|https?://|mailto:)[^<>]*)>")
_LINK_SCHEMES = ("http", "https", "mailto")
_BULLETS = ("•", "◦", "▪")


# --------------------------------------------------------------------------- markdown -> mrkdwn


def escape_mrkdwn(text: str) -> str:
    """`&`, `<` and `>` as the HTML entities Slack expects; Slack reads them as control characters.

    >>> escape_mrkdwn("Tom & Jerry <3")
    'Tom &amp; Jerry &lt;3'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markdown() -> MarkdownIt:
    # html=False: raw HTML in an answer is text, shown escaped, never markup.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


_MD = _markdown()


def _learn_markdown(markdown: str) -> str:
    """MS Learn's extensions as plain markdown: `> [!NOTE]` -> `> **Note:**`, `[!div]` lines dropped."""
    markdown = _DIV.sub("", markdown)
    return _ALERT.sub(lambda m: f"{m.group(1)}**{m.group(2).capitalize()}:** ", markdown)


def _resolve(href: str, base_url: str | None) -> str | None:
    """An absolute http(s)/mailto URL for a link target, or None when it cannot be made one."""
    href = href.strip()
    parts = urlsplit(href)
    if not parts.scheme:
        if not base_url or href.startswith("//"):
            return None
        path = parts.path[:-3] if parts.path.lower().endswith(".md") else parts.path
        href = urljoin(base_url, path + (f"#{parts.fragment}" if parts.fragment else ""))
        parts = urlsplit(href)
    if parts.scheme.lower() not in _LINK_SCHEMES:
        return None
    return href


def _slack_url(url: str) -> str:
    # Inside <url|label>, `|` and `>` would end the URL: percent-encode them (and spaces).
    url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return url.replace("&", "&amp;")


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link; `label` is plain text (escaped here)."""
    label = " ".join(label.split())
    return f"<{_slack_url(url)}|{escape_mrkdwn(label)}>" if label else f"<{_slack_url(url)}>"


class _MrkdwnRenderer:
    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url

    def blocks(self, nodes: Iterable[SyntaxTreeNode], depth: int = 0) -> list[str]:
        return [text for node in nodes if (text := self.block(node, depth))]

    def document(self, nodes: Iterable[SyntaxTreeNode]) -> str:
        """Blocks apart by a blank line, except a list, which follows its lead-in line directly."""
        out = ""
        for node in nodes:
            text = self.block(node, 0)
            if text:
                joint = "\n" if node.type in ("bullet_list", "ordered_list") else "\n\n"
                out = f"{out}{joint}{text}" if out else text
        return out

    def block(self, node: SyntaxTreeNode, depth: int) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.inline(node.children)
        if kind == "heading":
            return f"*{self.inline(node.children).strip()}*"
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node, depth)
        if kind == "blockquote":
            inner = "\n".join(self.blocks(node.children, depth))
            return "\n".join(f">{' ' if line else ''}{line}" for line in inner.split("\n"))
        if kind in ("fence", "code_block"):
            return f"```\n{escape_mrkdwn(node.content.rstrip(chr(10)))}\n```"
        if kind == "hr":
            return "──────────"
        if kind == "html_block":
            return escape_mrkdwn(node.content.rstrip("\n"))
        if kind == "table":
            return self.table(node)
        return "\n".join(self.blocks(node.children, depth))

    def list(self, node: SyntaxTreeNode, depth: int) -> str:
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1) or 1) if ordered else 0
        indent = "    " * depth
        lines: list[str] = []
        for item in node.children:
            marker = f"{number}." if ordered else _BULLETS[min(depth, len(_BULLETS) - 1)]
            number += 1
            parts = self.blocks(item.children, depth + 1)
            first, *rest = "\n".join(parts).split("\n") if parts else [""]
            lines.append(f"{indent}{marker} {first}")
            for line in rest:
                # Nested lists carry their own indent; continuation text lines up with the item.
                lines.append(line if line.startswith(indent + "    ") else f"{indent}    {line}")
        return "\n".join(lines)

    def table(self, node: SyntaxTreeNode) -> str:
        rows: list[str] = []
        for section in node.children:
            for row in section.children:
                cells = [self.inline(cell.children).strip() for cell in row.children]
                if section.type == "thead":
                    cells = [f"*{cell}*" if cell else cell for cell in cells]
                rows.append(" | ".join(cells))
        return "\n".join(rows)

    def inline(self, nodes: Iterable[SyntaxTreeNode]) -> str:
        out: list[str] = []
        for node in nodes:
            kind = node.type
            if kind == "inline":
                out.append(self.inline(node.children))
            elif kind == "text":
                out.append(escape_mrkdwn(node.content))
            elif kind == "softbreak":
                out.append(" ")
            elif kind == "hardbreak":
                out.append("\n")
            elif kind in ("strong", "em", "s"):
                mark = {"strong": "*", "em": "_", "s": "~"}[kind]
                inner = self.inline(node.children)
                stripped = inner.strip()
                # Slack needs the marks against the words: "*bold* " not "*bold *".
                lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
                out.append(f"{lead}{mark}{stripped}{mark}{trail}" if stripped else inner)
            elif kind == "code_inline":
                out.append(f"`{escape_mrkdwn(node.content)}`")
            elif kind == "link":
                label = _plain(node.children)
                url = _resolve(str(node.attrs.get("href", "")), self.base_url)
                out.append(slack_link(url, label or url) if url else self.inline(node.children))
            elif kind == "image":
                alt = _plain(node.children) or str(node.attrs.get("alt", ""))
                url = _resolve(str(node.attrs.get("src", "")), self.base_url)
                out.append(slack_link(url, alt or "image") if url else escape_mrkdwn(alt))
            elif kind == "html_inline":
                out.append(escape_mrkdwn(node.content))
            else:
                out.append(self.inline(node.children))
        return "".join(out)


def _plain(nodes: Iterable[SyntaxTreeNode]) -> str:
    """The text of inline nodes without any formatting."""
    out: list[str] = []
    for node in nodes:
        if node.type in ("text", "code_inline", "html_inline"):
            out.append(node.content)
        elif node.type in ("softbreak", "hardbreak"):
            out.append(" ")
        else:
            out.append(_plain(node.children))
    return "".join(out)


def markdown_to_mrkdwn(markdown: str, base_url: str | None = None) -> str:
    """Markdown (CommonMark plus tables, MS Learn alerts) as Slack mrkdwn.

    `&<>` become entities, `**bold**` `*bold*`, `[text](url)` `<url|text>`, lists keep their
    items (bullets `•`, numbers kept). Relative links are resolved against `base_url`, or
    kept as text when it is unknown; links other than http(s)/mailto are kept as text.

    >>> markdown_to_mrkdwn("**Price**: [list](https://x.test/?a=1&b=2) & more\\n- one\\n- two")
    '*Price*: <https://x.test/?a=1&amp;b=2|list> &amp; more\\n• one\\n• two'
    """
    tree = SyntaxTreeNode(_MD.parse(_learn_markdown(markdown)))
    return _MrkdwnRenderer(base_url).document(tree.children).strip()


def _trim(text: str, limit: int, *, tail: str = "") -> str:
    """`text` if it fits in `limit` characters, else cut at a line or word with `…` and `tail`.

    Never cuts inside a `<...>` link or an `&...;` entity, and closes an open code fence."""
    if len(text) <= limit:
        return text
    room = max(limit - len(tail) - 8, 0)  # 8: "…", a closing fence
    cut = text[:room]
    for separator in ("\n", " "):
        at = cut.rfind(separator)
        if at > room // 2:
            cut = cut[:at]
            break
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    cut = cut.rstrip() + " …"
    if cut.count("```") % 2:
        cut += "\n```"
    return cut + tail


# --------------------------------------------------------------------------- links to sources


def _document_key(passage_id: str, anchor: str | None = None) -> str:
    """The document part of a passage id (`ci-faq` for `ci-faq#some-question`)."""
    if anchor and passage_id.endswith("#" + anchor) and len(passage_id) > len(anchor) + 1:
        return passage_id[: -len(anchor) - 1]
    return passage_id.split("#", 1)[0]


def _faq_page(public_base_url: str | None, passage_id: str, anchor: str | None = None) -> str | None:
    """The bot's own `/faq/<doc>#<anchor>` page for a passage, when the public base URL is known."""
    if not public_base_url:
        return None
    anchor = anchor if anchor is not None else passage_id.split("#", 1)[-1]
    key = _document_key(passage_id, anchor)
    return f"{public_base_url.rstrip('/')}/faq/{quote(key)}#{quote(anchor)}"


def citation_url(citation: Citation, public_base_url: str | None = None) -> str | None:
    """Where a person can read the cited passage: its public URL, else the bot's own page."""
    if citation.url and _resolve(citation.url, None):
        return citation.url
    return _faq_page(public_base_url, citation.passage_id, citation.anchor)


def _citation_label(citation: Citation) -> str:
    return f"{citation.doc_title} › {citation.question or citation.section or citation.doc_title}"


def _document_base(citations: list[Citation]) -> str | None:
    # Relative links in an answer are relative to the published page of its document.
    for citation in citations:
        if citation.url:
            return citation.url.split("#", 1)[0]
    return None


def _unlisted_related(answer: Answer) -> list[RelatedQuestion]:
    # The no-answer message already lists its suggestions in the text: do not list them twice.
    return [item for item in answer.related if item.question not in answer.answer]


# --------------------------------------------------------------------------- replies


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _trim(text, MAX_SECTION_CHARS)}}


def _context(*texts: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _trim(text, MAX_CONTEXT_CHARS)} for text in texts[:10]],
    }


def slack_blocks(
    answer: Answer,
    *,
    public_base_url: str | None = None,
    echo_question: bool = True,
    handoff: Handoff | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The fallback `text` and the Block Kit `blocks` of a Slack message for `answer`; a
    `handoff` (the way to a person) is shown as a link after the answer."""
    links = [(citation, citation_url(citation, public_base_url)) for citation in answer.citations]
    full_answer = next((url for _, url in links if url), None)
    tail = f"\n_Answer shortened: {slack_link(full_answer, 'read the full answer')}_" if full_answer else ""
    body = markdown_to_mrkdwn(answer.answer, _document_base(answer.citations)) or escape_mrkdwn(answer.answer)
    body = _trim(body, MAX_SECTION_CHARS, tail=tail)

    blocks: list[dict[str, Any]] = []
    if echo_question:
        blocks.append(_context(f"*Q:* {escape_mrkdwn(answer.question)}"))
    blocks.append(_section(body))
    sources = [
        slack_link(url, _citation_label(citation)) if url else escape_mrkdwn(_citation_label(citation))
        for citation, url in links
    ]
    if sources:
        blocks.append(_context(*[f"Source: {source}" for source in sources]))
    related = _unlisted_related(answer)
    if related:
        lines = []
        for item in related:
            page = _faq_page(public_base_url, item.passage_id)
            lines.append(f"• {slack_link(page, item.question) if page else escape_mrkdwn(item.question)}")
        heading = "*You could ask instead*" if answer.kind == "no_answer" else "*Related questions*"
        blocks.append(_section(heading + "\n" + "\n".join(lines)))
    if handoff is not None:
        # Kept within the block limit: the way to a person matters more than the last related block.
        blocks = blocks[: MAX_BLOCKS - 1] + [_section(slack_link(handoff.url, handoff.label))]
    return body, blocks[:MAX_BLOCKS]


def _escape_markdown(text: str) -> str:
    """User text made inert in Mattermost markdown: punctuation escaped, no @-mentions."""
    text = re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", text)
    return text.replace("@", "@\u200b")


def _mattermost_markdown(markdown: str, base_url: str | None) -> str:
    """An answer's markdown for Mattermost: relative links resolved (or unlinked), alerts spelled out."""

    def relink(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        url = _resolve(target, base_url)
        return f"[{label}]({url})" if url else label

    return re.sub(r"(?<!!)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)", relink, _learn_markdown(markdown))


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
    parts = [f"**Q:** {_escape_markdown(answer.question)}"]
    body = _mattermost_markdown(answer.answer, _document_base(answer.citations)).strip()
    full_answer = next((url for _, url in links if url), None)
    tail = f"\n\n_Answer shortened: [read the full answer]({full_answer})_" if full_answer else ""
    parts.append(_trim(body, MAX_MATTERMOST_CHARS, tail=tail))
    sources = [
        f"[{_escape_markdown(_citation_label(c))}]({url})" if url else _escape_markdown(_citation_label(c))
        for c, url in links
    ]
    if sources:
        parts.append("**Source:** " + " · ".join(sources))
    related = _unlisted_related(answer)
    if related:
        lines = []
        for item in related:
            page = _faq_page(public_base_url, item.passage_id)
            question = _escape_markdown(item.question)
            lines.append(f"- [{question}]({page})" if page else f"- {question}")
        heading = "**You could ask instead:**" if answer.kind == "no_answer" else "**Related questions:**"
        parts.append(heading + "\n" + "\n".join(lines))
    if handoff is not None:
        parts.append(f"[{_escape_markdown(handoff.label)}]({handoff.url})")
    return {"response_type": response_type, "text": "\n\n".join(parts)}


def _notice(text: str, *, slack: bool) -> dict[str, Any]:
    """An ephemeral message (help, a refused question, not ready) for Slack or Mattermost."""
    if not slack:
        return {"response_type": "ephemeral", "text": text}
    mrkdwn = markdown_to_mrkdwn(text)
    return {"response_type": "ephemeral", "text": mrkdwn, "blocks": [_section(mrkdwn)]}


def _example_question(bot: FAQBot | None) -> str:
    if bot is not None:
        for passage in bot.index.passages:
            if passage.question and len(passage.question) <= 80:
                return passage.question
    return "How do I get started?"


def _usage(command: str, bot: FAQBot | None, *, mention: bool = False) -> str:
    example = _example_question(bot)
    how = (
        f"Mention me with a question, for example: `@FAQ {example}`"
        if mention
        else (f"Type `{command or '/faq'}` and a question about the FAQ, for example: `{command or '/faq'} {example}`")
    )
    return f"{how}\n\nI answer from the FAQ only and cite where each answer stands."


NOT_READY = "The FAQ bot is still starting up (loading its index). Please ask again in a minute."


def _refused(error: InvalidQuestion) -> str:
    return f"Sorry, I can't take that question: {error}."


def _slack_plain(text: str) -> str:
    """Text of a Slack message as typed: mentions dropped, `<url|label>` as the label, `&amp;` as `&`."""
    text = _USER_MENTION.sub(" ", text)

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if label:
            return f"#{label}" if target.startswith("#") else label
        if target.startswith("!"):  # <!here>, <!channel>
            return "@" + target[1:].split("^", 1)[0]
        return target

    text = _SLACK_TOKEN.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


# --------------------------------------------------------------------------- deduplication


class SeenEvents:
    """A bounded, thread-safe memory of handled event keys, oldest forgotten first.

    >>> seen = SeenEvents(limit=2)
    >>> seen.claim("Ev1"), seen.claim("Ev1"), seen.claim("Ev2", "C1:1.0"), seen.claim("C1:1.0")
    (True, False, True, False)
    """

    def __init__(self, limit: int = SEEN_EVENTS) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit!r}")
        self.limit = limit
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, *keys: str) -> bool:
        """True (and remember every key) when none of `keys` was seen; False otherwise."""
        keys = tuple(key for key in keys if key)
        with self._lock:
            if any(key in self._keys for key in keys):
                return False
            for key in keys:
                self._keys[key] = None
            while len(self._keys) > self.limit:
                self._keys.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


# --------------------------------------------------------------------------- the router


class _Rejected(Exception):
    """A request turned away: status code and a sentence for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status)


async def _read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    length = request.headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > limit:
        raise _Rejected(413, f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Rejected(413, f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_slack_signed(headers: Mapping[str, str]) -> bool:
    return any(name in headers for name in _SIGNATURE_HEADERS)


def _verify_signature(verifier: SignatureVerifier | None, body: bytes, headers: Mapping[str, str]) -> None:
    """Raise _Rejected(401) unless Slack signed this body within the last five minutes."""
    if verifier is None:
        raise _Rejected(
            401, "This server does not accept Slack-signed requests: FAQBOT_SLACK_SIGNING_SECRET is not set."
        )
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise _Rejected(401, "Missing X-Slack-Signature or X-Slack-Request-Timestamp header.")
    if not timestamp.strip().isdigit() or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE_S:
        raise _Rejected(401, "The request timestamp is missing or more than 5 minutes off.")
    try:
        valid = signature.isascii() and verifier.is_valid(body=body, timestamp=timestamp.strip(), signature=signature)
    except (UnicodeDecodeError, ValueError, TypeError):
        valid = False
    if not valid:
        raise _Rejected(401, "The Slack signature does not match this request.")


def _check_token(expected: str | None, form: Mapping[str, str]) -> None:
    if expected is None:
        raise _Rejected(
            401,
            "Missing Slack signature headers; requests without them need a webhook token, "
            "and FAQBOT_WEBHOOK_TOKEN is not set.",
        )
    given = form.get("token", "")
    # Constant time, so the token cannot be guessed byte by byte from response times.
    if not given or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise _Rejected(401, "Missing or wrong webhook token.")


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Rejected(400, "The request body is not UTF-8 form data.") from None
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw if raw.strip() else None


def create_slack_router(
    settings: Settings,
    get_bot: Callable[[], FAQBot | None],
    *,
    slack_client: WebClient | None = None,
    response_type: ResponseType = "ephemeral",
    public_base_url: str | None = None,
    top_k: int = 3,
    seen_events: SeenEvents | None = None,
    get_store: Callable[[], AnswerStore | None] | None = None,
) -> APIRouter:
    """The `/slack/commands` and `/slack/events` routes, ready for `app.include_router`.

    `get_bot` returns the loaded bot, or None while it is loading (slash commands then get
    a polite "still starting" reply). `slack_client` (a slack_sdk `WebClient`) sends
    `chat.postMessage`; by default one is made for `settings.slack_api_url` with the bot
    token, retrying once on a connection error and on Slack's rate limit (HTTP 429).
    `response_type` is how slash-command answers are shown: "ephemeral" (to the asker
    only) or "in_channel"; help and errors are always ephemeral. `public_base_url` (the
    URL the server is reached at, e.g. "https://faq.example.com") lets citations without a
    public URL link to the bot's own `/faq/<doc>#<anchor>` page.

    `get_store` returns the app's store: answers are logged there (channel "slack" or
    "mattermost"), and a mention is claimed there by its event id before it is answered, so
    of all the replicas sharing the database exactly one replies. When the store fails, the
    claim falls back to this process's memory (`seen_events`) and the answer goes unlogged.
    """
    if response_type not in ("ephemeral", "in_channel"):
        raise ValueError(f"response_type must be 'ephemeral' or 'in_channel', got {response_type!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 10:
        raise ValueError(f"top_k must be an integer from 1 to 10, got {top_k!r}")
    if public_base_url is not None and urlsplit(public_base_url).scheme not in ("http", "https"):
        raise ValueError(f"public_base_url must be an http(s) URL, got {public_base_url!r}")

    signing_secret = _secret(settings.slack_signing_secret)
    webhook_token = _secret(settings.webhook_token)
    bot_token = _secret(settings.slack_bot_token)
    verifier = SignatureVerifier(signing_secret) if signing_secret else None
    client = slack_client or WebClient(
        token=bot_token,
        base_url=settings.slack_api_url.rstrip("/") + "/",
        timeout=int(POST_TIMEOUT_S),
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    seen = seen_events if seen_events is not None else SeenEvents()
    desk = ConversationDesk(settings)
    router = APIRouter(prefix="/slack", tags=["slack"])

    def current_store() -> AnswerStore | None:
        return get_store() if get_store is not None else None

    def claim(*keys: str) -> bool:
        """Claim a delivery in the shared store; in this process's memory when the store fails."""
        store = current_store()
        if store is not None:
            try:
                claimed = store.claim_delivery(*keys)
            except StoreError as error:
                warn_store_failure("Slack retries deduplicated in this process only", error)
            else:
                seen.claim(*keys)  # remembered here too, for a later outage
                return claimed
        return seen.claim(*keys)

    def ask_and_log(bot: FAQBot, text: str, channel: str, conversation_id: str | None = None) -> Turn:
        # A thread is a conversation: a follow-up in it is read against the thread's last question.
        return desk.ask(bot, current_store(), text, conversation_id=conversation_id, top_k=top_k, channel=channel)

    # ------------------------------------------------------------------ slash commands

    @router.post("/commands", summary="Answer a Slack or Mattermost slash command")
    async def commands(request: Request) -> JSONResponse:
        """A slash command, answered in this response (Slack's 3-second window)."""
        if verifier is None and webhook_token is None:
            return _Rejected(
                503,
                "Slash commands are not configured: set FAQBOT_SLACK_SIGNING_SECRET (Slack) "
                "or FAQBOT_WEBHOOK_TOKEN (Mattermost).",
            ).response()
        try:
            body = await _read_body(request)
            form = _parse_form(body)
            if form.get("ssl_check") == "1" and "command" not in form:
                # Slack's certificate probe (distributed apps): asks nothing, gets nothing.
                return JSONResponse({})
            slack = _is_slack_signed(request.headers)
            if slack:
                _verify_signature(verifier, body, request.headers)
            else:
                _check_token(webhook_token, form)
        except _Rejected as refusal:
            return refusal.response()

        bot = get_bot()
        if bot is None:
            return JSONResponse(_notice(NOT_READY, slack=slack))
        text = _slack_plain(form.get("text", "")) if slack else form.get("text", "").strip()
        if not text or text.lower() in ("help", "?"):
            return JSONResponse(_notice(_usage(form.get("command", ""), bot), slack=slack))
        try:
            turn = await run_in_threadpool(ask_and_log, bot, text, "slack" if slack else "mattermost")
        except InvalidQuestion as error:
            return JSONResponse(_notice(_refused(error), slack=slack))
        if not slack:
            return JSONResponse(
                mattermost_reply(turn.answer, response_type, public_base_url=public_base_url, handoff=turn.handoff)
            )
        fallback, blocks = slack_blocks(turn.answer, public_base_url=public_base_url, handoff=turn.handoff)
        return JSONResponse({"response_type": response_type, "text": fallback, "blocks": blocks})

    # ------------------------------------------------------------------ events

    async def post_message(payload: dict[str, Any]) -> None:
        try:
            await run_in_threadpool(client.chat_postMessage, **payload)
        except SlackApiError as error:
            # Slack answered, and refused: its error code says why (never the token).
            log.warning(
                "chat.postMessage refused: HTTP %s, error %r", error.response.status_code, error.response.get("error")
            )
        except (SlackClientError, OSError) as error:
            # Unreachable or timed out: the error names the URL, never the request headers.
            log.warning("chat.postMessage failed: %s: %s", type(error).__name__, error)

    async def reply(event: dict[str, Any]) -> None:
        channel = str(event.get("channel", ""))
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        base = {"channel": channel, "thread_ts": thread_ts, "unfurl_links": False, "unfurl_media": False}
        bot = get_bot()
        text = _slack_plain(str(event.get("text") or ""))
        if bot is None:
            fallback, blocks = NOT_READY, [_section(NOT_READY)]
        elif not text or text.lower() in ("help", "?"):
            fallback = markdown_to_mrkdwn(_usage("", bot, mention=event.get("type") == "app_mention"))
            blocks = [_section(fallback)]
        else:
            try:
                turn = await run_in_threadpool(ask_and_log, bot, text, "slack", f"slack:{channel}:{thread_ts}")
            except InvalidQuestion as error:
                fallback = markdown_to_mrkdwn(_refused(error))
                blocks = [_section(fallback)]
            except Exception:
                # Nobody waits on this task: log the failure instead of losing it.
                log.exception("answering a Slack event failed")
                return
            else:
                fallback, blocks = slack_blocks(
                    turn.answer, public_base_url=public_base_url, echo_question=False, handoff=turn.handoff
                )
        await post_message({**base, "text": fallback, "blocks": blocks})

    @router.post("/events", summary="Receive Slack Events API callbacks")
    async def events(request: Request) -> JSONResponse:
        """Events API: url_verification, mentions and direct messages (answered in the background)."""
        if verifier is None:
            return _Rejected(503, "Slack events are not configured: set FAQBOT_SLACK_SIGNING_SECRET.").response()
        try:
            body = await _read_body(request)
            _verify_signature(verifier, body, request.headers)
        except _Rejected as refusal:
            return refusal.response()
        try:
            payload = json.loads(body)
        except ValueError:
            return _Rejected(400, "The request body is not JSON.").response()
        if not isinstance(payload, dict):
            return _Rejected(400, "The request body is not a JSON object.").response()

        kind = payload.get("type")
        if kind == "url_verification":
            return JSONResponse({"challenge": str(payload.get("challenge", ""))})
        event = payload.get("event")
        if kind != "event_callback" or not isinstance(event, dict) or not _wants_answer(event):
            return JSONResponse({"ok": True})
        message_key = f"{event.get('channel', '')}:{event.get('ts', '')}"
        # A retry (X-Slack-Retry-Num) of a handled event, or the same message arriving both
        # as app_mention and message.im, is acknowledged and dropped.
        # Claimed in the shared store: of all replicas, the first to claim it answers.
        if not await run_in_threadpool(claim, str(payload.get("event_id") or ""), message_key):
            log.info(
                "Slack event %s already handled (retry %s)",
                payload.get("event_id"),
                request.headers.get("x-slack-retry-num", "0"),
            )
            return JSONResponse({"ok": True})
        if bot_token is None:
            log.warning("cannot answer a Slack mention: FAQBOT_SLACK_BOT_TOKEN is not set")
            return JSONResponse({"ok": True})
        return JSONResponse({"ok": True}, background=BackgroundTask(reply, event))

    return router


def _wants_answer(event: Mapping[str, Any]) -> bool:
    """A person's mention of the bot, or a person's direct message to it (not an edit, not a bot)."""
    if event.get("bot_id") or event.get("subtype") or event.get("bot_profile"):
        return False
    if not event.get("user") or not event.get("channel") or not event.get("ts"):
        return False
    if event.get("type") == "app_mention":
        return True
    return event.get("type") == "message" and event.get("channel_type") == "im"
