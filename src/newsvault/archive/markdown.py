"""Titles and links of newsvault's own articles, written so that Markdown keeps its shape.

The original put titles into ``[title](url)`` as they came (its defect 8): a title
with a line break made a six-line header or split a list entry, ``<script>`` or
``<!--`` passed as raw HTML, and ``A](javascript:…) B`` made a link of its own.
Files imported from the original keep those bytes; new articles are written by
the rule below, which GitHub (cmark-gfm) renders as exactly one link whose text is
the title and whose target is the stored link. It changes as few titles as
possible: of the 4,168 distinct titles of the duty-machine corpus only two,
``[视频]…`` and a double-encoded ``&quot;``, so real titles keep the bytes the
original gave them.

- Each run of line breaks (LF, CR, VT, FF, U+001C–U+001E, U+0085, U+2028, U+2029)
  becomes one space, and NUL becomes U+FFFD (what CommonMark shows for it; git
  takes a file with NUL for binary). A title is one line of the file.
- ``[`` and ``]`` are always escaped: even balanced brackets become a link when
  the body (stored as given) defines a reference of that name, and an escaped
  ``]`` keeps the reader rule ``\\[([\\s\\S]*?)\\]\\(`` on the right ``](``
  because the ``(`` after a ``]`` is escaped too.
- `````, ``*``, ``_``, ``~`` and ``$`` are always escaped: a code span could
  reach into the link (a query may hold a backtick), and the others would make
  emphasis, strike-through or GitHub's math of a literal title.
- ``<`` only before a letter, ``/``, ``!`` or ``?`` (where raw HTML, a comment or
  an autolink could start); ``&`` only where it starts an entity reference;
  ``\\`` only before ASCII punctuation or at the end (``C:\\dir`` stays as it is).
- In the link, ``\\`` the same way; an ``&`` that starts an entity reference as
  ``&amp;`` (cmark decodes entities in a link before backslashes, so ``\\&``
  would not keep it); the parentheses only when they are unbalanced or nested
  deeper than cmark follows (32).

Everything else (``|``, ``#``, ``>``, ``-``, ``!``, bidi controls) cannot leave
the link text and is written as given; ``unescape_title`` and ``unescape_link``
undo the rule.
"""

from __future__ import annotations

import re
import string

from newsvault.base.text import js_trim, to_usv

_LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
_PUNCTUATION = frozenset(string.punctuation)
_ALWAYS = frozenset("[]`*_~$")
_STARTS_HTML = frozenset(string.ascii_letters + "/!?")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation
_MAX_PAREN_DEPTH = 32  # cmark stops reading a link destination nested deeper


def one_line(title: str) -> str:
    """The title a new article's header shows: trimmed, each run of line breaks one space, NUL as U+FFFD.

    Lone surrogates (a broken feed) become U+FFFD here too, as the written file has them.
    """
    return to_usv(js_trim(_LINE_BREAKS.sub(" ", title))).replace("\0", "\ufffd")


def escape_title(title: str) -> str:
    """``one_line(title)`` as link text: GitHub renders it literally, inside one link."""
    text = one_line(title)
    out: list[str] = []
    for i, c in enumerate(text):
        after = text[i + 1 : i + 2]
        if (
            c in _ALWAYS
            or (c == "(" and text[i - 1 : i] == "]")
            or (c == "<" and after in _STARTS_HTML)
            or (c == "&" and _ENTITY.match(text, i))
            or _escapes(text, i)
        ):
            out.append("\\")
        out.append(c)
    return "".join(out)


def escape_link(href: str) -> str:
    """A WHATWG href (no spaces, controls, ``<`` or ``>``) as a link destination read back unchanged."""
    escape_parens = not _parens_followable(href)
    out: list[str] = []
    for i, c in enumerate(href):
        if (escape_parens and c in "()") or _escapes(href, i):
            out.append("\\")
        out.append("&amp;" if c == "&" and _ENTITY.match(href, i) else c)
    return "".join(out)


def unescape_title(text: str) -> str:
    """The title ``escape_title`` wrote, as Markdown reads it."""
    return _ESCAPED.sub(r"\1", text)


def unescape_link(text: str) -> str:
    """The href ``escape_link`` wrote, as Markdown reads it (entities first, as cmark does)."""
    return _ESCAPED.sub(r"\1", text.replace("&amp;", "&"))


def _escapes(text: str, i: int) -> bool:
    """Whether ``text[i]`` is a backslash Markdown would take for an escape (before punctuation or our ``]``)."""
    return text[i] == "\\" and (i + 1 == len(text) or text[i + 1] in _PUNCTUATION)


def _parens_followable(href: str) -> bool:
    """Whether cmark reads the href's parentheses as part of it: balanced, and nested at most 32 deep."""
    depth = 0
    for c in href:
        if c == "(":
            depth += 1
            if depth > _MAX_PAREN_DEPTH:
                return False
        elif c == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
