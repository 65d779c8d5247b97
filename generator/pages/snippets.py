"""Ticket snippets: an alert summarised for pasting into a Markdown or Jira ticket.

The snippet is plain text that another renderer (GitHub, GitLab, Jira) will interpret, so alert
values are escaped for *that* markup here, and only where that markup would read them (a
date stays ``2025-11-12``, not ``2025\\-11\\-12``: the snippet is read as text too); the page then
shows the snippet literally like any other alert text. Markdown facts are code spans, which need
no escaping at all. Commands go into code blocks that the value cannot close: a Markdown fence
longer than any backtick run in the value, and a Jira ``{noformat}`` block in which the
closing tag is broken with a zero-width space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from generator.pages.escape import visible

#: Markdown characters that start inline syntax (emphasis, links, code, HTML, entities,
#: strikethrough, table cells). ``_`` only counts at a word edge: ``release_agent`` needs no backslash.
_MD_INLINE = re.compile(r"[\\`*\[\]<>~|&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
#: Jira wiki markup: brackets, braces, pipes and ``!`` always mean something; effect characters
#: only at a word edge (``-deleted-``, ``*bold*``), so ``2025-11-12`` and ``falco-k8saudit`` stay
#: as they are.
_JIRA_ALWAYS = re.compile(r"[\[\]{}|!]")
_JIRA_EDGE = re.compile(r"(?<![A-Za-z0-9])[*_+^~?#-]|[*_+^~?#-](?![A-Za-z0-9])")


def _md(text: str) -> str:
    """Text for Markdown link text and prose: only syntax characters get a backslash."""
    return _MD_INLINE.sub(lambda m: "\\" + m.group(), visible(text))


def _md_code(text: str) -> str:
    """A value as a Markdown code span: nothing inside needs escaping, the fence outlasts it."""
    value = visible(text)
    fence = "`" * (max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith(("`", " ")) or value.endswith(("`", " ")) else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _jira(text: str) -> str:
    """Text for Jira wiki markup: a backslash before what Jira would read as markup, nothing else.

    A backslash of the value itself is shown as ``&#92;`` (Jira reads ``\\\\`` as a line break).
    """
    value = visible(text).replace("\\", "&#92;")
    value = _JIRA_ALWAYS.sub(lambda m: "\\" + m.group(), value)
    return _JIRA_EDGE.sub(lambda m: "\\" + m.group(), value)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def markdown_snippet(title: str, url: str, facts: Iterable[tuple[str, str]], command: str | None) -> str:
    """A Markdown block: a linked title, the key facts, the command line in a fence."""
    lines = [f"**[{_md(title)}]({url})**", ""]
    lines += [f"- **{label}:** {_md_code(value)}" for label, value in facts]
    if command:
        fence = _fence(command)
        lines += ["", fence + "text", visible(command), fence]
    return "\n".join(lines)


def jira_snippet(title: str, url: str, facts: Iterable[tuple[str, str]], command: str | None) -> str:
    """The same in Jira wiki markup."""
    lines = [f"*[{_jira(title)}|{url}]*", ""]
    lines += [f"* *{label}:* {_jira(value)}" for label, value in facts]
    if command:
        body = visible(command).replace("{noformat}", "{noformat\u200b}")
        lines += ["", "{noformat}", body, "{noformat}"]
    return "\n".join(lines)
