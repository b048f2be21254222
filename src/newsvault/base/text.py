"""JavaScript's idea of whitespace, which the archive format is defined by.

The original archiver was written in Node, so every trim in the format uses
ECMAScript's WhiteSpace + LineTerminator set. Python's ``str.strip()`` differs in
both directions: it also strips U+001C–U+001F and U+0085, and it does not strip
U+FEFF. Using it would make some titles and body lines differ by a byte.
"""

from __future__ import annotations

import re

JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters XML 1.0 forbids: feeds' titles and bodies and article pages occasionally carry them, and lxml
# refuses them in any tree it builds or changes (ValueError), where a parser merely keeps them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def js_trim(s: str) -> str:
    """``String.prototype.trim``: the same result Node gave the original archive."""
    return s.strip(JS_WHITESPACE)


def to_usv(s: str) -> str:
    """Replace lone surrogates by U+FFFD, as JS does when a string leaves the engine.

    Surrogates reach us from files read with ``surrogateescape`` (invalid UTF-8)
    or from broken feeds; Node wrote them as U+FFFD, and strict UTF-8 encoding
    would otherwise fail.
    """
    return _LONE_SURROGATE.sub("\ufffd", s)


def xml_chars(s: str) -> str:
    """`s` without the characters XML 1.0 forbids: what an lxml tree can hold, and an XML feed."""
    return _NOT_XML.sub("", s)


# A numeric reference to one of them (&#8; &#x1B; &#xFFFE;): an HTML parser puts the character itself in its tree.
_NOT_XML_REF = re.compile(
    r"&#(?:0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45])(?![0-9])|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])"
    r"(?![0-9a-fA-F]));?"
)


def xml_markup(html: str) -> str:
    """HTML without the characters XML 1.0 forbids, written or referred to: parsed, every value of its tree is one
    lxml can set again (a lazy image's address made its `src`, a text moved), where it refused one (ValueError)."""
    return _NOT_XML_REF.sub("", _NOT_XML.sub("", html))


def without_nul(s: str) -> str:
    """`s` without U+0000, which a JSON Feed can carry: PostgreSQL's text cannot hold it (the feed's whole
    transaction failed there, every run), and git takes a file holding one for binary (no diff, no page on GitHub).
    Nothing a reader sees is lost."""
    return s.replace("\x00", "")


def encode_utf8(s: str) -> bytes:
    """UTF-8 as Node's ``fs.writeFileSync`` writes a string."""
    return to_usv(s).encode("utf-8")


QUOTE_LIMIT = 200  # characters of a server's or a feed's words quoted in one message


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """At most `limit` characters of text someone else chose, on one line, "…" marking a cut.

    Reason phrases, Location headers, parser complaints that echo the bytes
    read, and links from feeds go into one-line messages (the run summary, the
    fetch log, the health page); quoting them whole let a server put 16 KB of
    its own bytes into each. Control characters are left for the terminal's
    edge (`newsvault.cli.terminal`) to spell out.
    """
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"
