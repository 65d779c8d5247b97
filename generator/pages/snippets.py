"""Ticket snippets: an alert summarised for pasting into a Markdown or Jira ticket.

The snippet is plain text that another renderer (GitHub, GitLab, Jira) will interpret, so alert
values are escaped for *that* markup here; the page then shows the snippet literally like any
other alert text. Commands go into code blocks that the value cannot close: a Markdown fence
longer than any backtick run in the value, and a Jira ``{noformat}`` block in which the
closing tag is broken with a zero-width space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from generator.pages.escape import visible

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
_JIRA_SPECIAL = re.compile(r"([\\*_?\-+^~|\[\]{}!#])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", visible(text))


def _jira(text: str) -> str:
    return _JIRA_SPECIAL.sub(r"\\\1", visible(text))


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def markdown_snippet(title: str, url: str, facts: Iterable[tuple[str, str]], command: str | None) -> str:
    """A Markdown block: a linked title, the key facts, the command line in a fence."""
    lines = [f"**[{_md(title)}]({url})**", ""]
    lines += [f"- **{label}:** {_md(value)}" for label, value in facts]
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
