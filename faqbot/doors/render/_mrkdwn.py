"""Markdown as Slack mrkdwn: `*bold*`, `<url|label>`, entities for `&<>`, bullets for lists."""

from __future__ import annotations

from collections.abc import Iterable

from markdown_it.tree import SyntaxTreeNode

from faqbot.doors.render._common import learn_markdown, markdown_parser, resolve_link

__all__ = ["escape_mrkdwn", "markdown_to_mrkdwn", "slack_link"]

_BULLETS = ("•", "◦", "▪")
_MD = markdown_parser()


def escape_mrkdwn(text: str) -> str:
    """`&`, `<` and `>` as the HTML entities Slack expects; Slack reads them as control characters.

    >>> escape_mrkdwn("Tom & Jerry <3")
    'Tom &amp; Jerry &lt;3'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_url(url: str) -> str:
    # Inside <url|label>, `|` and `>` would end the URL: percent-encode them (and spaces).
    url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return url.replace("&", "&amp;")


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link; `label` is plain text (escaped here).

    >>> slack_link("https://x.test/?a=1&b=2", "A & B")
    '<https://x.test/?a=1&amp;b=2|A &amp; B>'
    """
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
        return "".join(self.span(node) for node in nodes)

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind in ("text", "html_inline"):
            return escape_mrkdwn(node.content)
        if kind == "softbreak":
            return " "
        if kind == "hardbreak":
            return "\n"
        if kind in ("strong", "em", "s"):
            return self.emphasis(node)
        if kind == "code_inline":
            return f"`{escape_mrkdwn(node.content)}`"
        if kind == "link":
            label = _plain(node.children)
            url = resolve_link(str(node.attrs.get("href", "")), self.base_url)
            return slack_link(url, label or url) if url else self.inline(node.children)
        if kind == "image":
            alt = _plain(node.children) or str(node.attrs.get("alt", ""))
            url = resolve_link(str(node.attrs.get("src", "")), self.base_url)
            return slack_link(url, alt or "image") if url else escape_mrkdwn(alt)
        return self.inline(node.children)  # "inline" and anything else: its children

    def emphasis(self, node: SyntaxTreeNode) -> str:
        mark = {"strong": "*", "em": "_", "s": "~"}[node.type]
        inner = self.inline(node.children)
        stripped = inner.strip()
        # Slack needs the marks against the words: "*bold* " not "*bold *".
        lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
        return f"{lead}{mark}{stripped}{mark}{trail}" if stripped else inner


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
    tree = SyntaxTreeNode(_MD.parse(learn_markdown(markdown)))
    return _MrkdwnRenderer(base_url).document(tree.children).strip()
