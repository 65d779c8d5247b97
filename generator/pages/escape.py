"""Make attacker-controlled alert text inert in Markdown, HTML and YAML front matter.

Every field of a Falco alert (command lines, file names, pod names, even rule names and
hostnames) is attacker-controlled. MkDocs passes raw HTML through and Python-Markdown and its
extensions give meaning to most ASCII punctuation, so blacklisting a few characters is not
enough. Instead every ASCII punctuation character except a few proven inert mid-line
(``/ , . - ?``) becomes a numeric character reference: Markdown sees no syntax, HTML sees no
tags, and the browser shows the text exactly as typed. Control and invisible formatting
characters (NUL, CR/LF, bidi overrides, zero-width joiners, lone surrogates) would reorder or
hide text, so they are shown as visible escapes such as ``\\u202e``.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any

from markupsafe import Markup

__all__ = [
    "Markup",
    "code",
    "front_matter_str",
    "json_visible",
    "md",
    "md_str",
    "name_visible",
    "pre",
    "raw_block",
    "truncate",
    "visible",
]

#: ASCII characters that Markdown, its common extensions (pymdownx mark/caret/tilde/critic,
#: emoji, arithmatex, attr_list) or HTML give meaning to. The rest (``/ , . - ? ; % @`` and
#: letters/digits/space) is inert mid-line, where alert values always stand.
_ESCAPED = "&#\\`*_{}[]()<>+!|~^=\"':$"
_ENTITY_TABLE: dict[int, str] = {ord(ch): f"&#{ord(ch)};" for ch in _ESCAPED}
#: Replacement order matters: ``&`` first (as ``&amp;``, which has no ``#``), then ``#``, so the
#: ``&``/``#`` of the entities written by later replacements are never escaped again.
_REPLACEMENTS = (("&", "&amp;"), *((ch, f"&#{ord(ch)};") for ch in _ESCAPED[1:]))
_SPECIAL = re.compile("[" + re.escape(_ESCAPED) + "]")


def _build_invisible_pattern() -> re.Pattern[str]:
    """Character class of every control, format, separator and surrogate code point."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x110000):
        if unicodedata.category(chr(cp)) in {"Cc", "Cf", "Zl", "Zp", "Cs"}:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    parts = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)
    return re.compile(f"[{parts}]")


_INVISIBLE = _build_invisible_pattern()
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible_escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def visible(text: str) -> str:
    """Replace characters that would be invisible or reorder text with a visible escape."""
    if text.isprintable():  # C-speed fast path: no control, format or separator characters
        return text
    return _INVISIBLE.sub(_visible_escape, text)


#: Anything but printable ASCII in a name: NBSP and other spaces, Cyrillic ``о`` for Latin ``o``...
_NOT_PLAIN = re.compile(r"[^\x21-\x7e ]")


def name_visible(name: str) -> str:
    r"""A host name or tag with look-alike characters shown as escapes.

    ``node-1``, ``node-1`` + NBSP, ``node-1 `` and ``nоde-1`` (Cyrillic ``о``) are four hosts an
    attacker can make look like one: every character outside printable ASCII becomes ``\uXXXX``
    and leading or trailing spaces ``\x20``, so the four read ``node-1``, ``node-1\u00a0``,
    ``node-1\x20`` and ``n\u043ede-1``. The name itself (its page, its identity) is unchanged.
    """
    if name.isascii() and name.isprintable() and name.strip(" ") == name:
        return name  # the common case
    body = _NOT_PLAIN.sub(_visible_escape_any, name)
    core = body.strip(" ")
    lead = len(body) - len(body.lstrip(" "))
    trail = len(body) - len(body.rstrip(" ")) if core else 0
    return "\\x20" * lead + core + "\\x20" * trail


def _visible_escape_any(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x80 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def _json_escape(match: re.Match[str]) -> str:
    cp = ord(match.group())
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def json_visible(json_text: str) -> str:
    """JSON text (from ``json.dumps``) with invisible characters as ``\\uXXXX``: still valid
    JSON, same value, but bidi overrides and lone surrogates cannot hide or break anything.
    Layout newlines of pretty-printed JSON are kept (``json.dumps`` escapes those in strings)."""
    return "\n".join(_INVISIBLE.sub(_json_escape, line) for line in json_text.split("\n"))


def md_str(value: Any) -> str:
    """:func:`md` as a plain ``str``, for code that assembles a larger block itself (faster)."""
    text = visible(value if type(value) is str else str(value))
    if _SPECIAL.search(text) is None:
        return text
    for ch, entity in _REPLACEMENTS:
        if ch in text:
            text = text.replace(ch, entity)
    return text


def md(value: Any) -> Markup:
    """Alert text for Markdown prose, table cells, headings and link text: shown literally."""
    if isinstance(value, Markup):
        return value
    return Markup(md_str(value))


def code(value: Any) -> Markup:
    """Alert text shown code-formatted inline (``<code>``), literally, safe in table cells."""
    return Markup(f"<code>{md_str(value)}</code>")


def raw_block(text: str, css_class: str) -> Markup:
    """A ``<pre>`` for a top-level raw HTML block (never inside a list item): HTML escaping is
    enough there, because Python-Markdown passes a block-level raw HTML element through
    untouched and escaped ``<``/``&`` cannot end it early."""
    return Markup(
        f'<pre class="{css_class}"><code>{html.escape(visible_lines(text), quote=False)}</code></pre>'
    )


def html_text(value: Any) -> str:
    """Alert text inside a raw HTML block (Markdown does not parse those): HTML-escaped, with
    invisible characters made visible. Cheaper than :func:`md_str` and just as inert there."""
    return html.escape(visible(value if type(value) is str else str(value)), quote=True)


def attribute(text: str) -> Markup:
    """Text for an HTML attribute value inside a raw HTML block: quotes, markup and line breaks
    become character references (a raw newline could end the block at a blank line)."""
    return Markup(html.escape(visible_lines(text), quote=True).replace("\n", "&#10;"))


def visible_lines(text: str) -> str:
    """:func:`visible` applied line by line, keeping the line breaks."""
    if text.isprintable() or "\n" not in text:
        return visible(text)
    return "\n".join(visible(line) for line in text.split("\n"))


def pre(text: str, css_class: str = "") -> Markup:
    """A preformatted block (raw JSON, commands, config) that is inert in every context.

    Every line is entity-encoded like :func:`md`, leading spaces included, and blank lines
    become a single encoded space: the block then survives both a top-level raw HTML block and
    a paragraph inside a list item (where Python-Markdown would otherwise apply inline syntax,
    strip indentation or end the paragraph at a blank line), and shows the text exactly.
    """
    cls = f' class="{css_class}"' if css_class else ""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        body = line.lstrip(" ")
        lead = len(line) - len(body)
        lines.append("&#32;" * lead + (str(md(body)) if body else ("" if lead else "&#32;")))
    return Markup(f"<pre{cls}><code>" + "\n".join(lines) + "</code></pre>")


#: In ASCII-only JSON: an escaped backslash, or a surrogate pair (a character beyond U+FFFF).
_JSON_PAIR = re.compile(r"(\\\\)|\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _yaml_escape(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    high, low = int(match.group(2), 16), int(match.group(3), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


def front_matter_str(value: str) -> Markup:
    """A YAML scalar for page front matter: HTML-escaped (themes print titles unescaped) and
    double-quoted with JSON's escapes (nothing can break out of the scalar), in pure ASCII.

    Characters beyond U+FFFF are written as YAML ``\\U0001f600`` escapes: JSON's surrogate
    pair ``\\ud83d\\ude00`` is two lone surrogates to YAML, which MkDocs' loader rejects, and
    MkDocs then silently drops the whole front matter into the page body.
    """
    quoted = json.dumps(html.escape(visible(value)), ensure_ascii=True)
    return Markup(_JSON_PAIR.sub(_yaml_escape, quoted))


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """Shorten a huge field for display; the full value stays in the raw JSON download."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True
