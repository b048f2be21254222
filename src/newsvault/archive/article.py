"""One article file (``articles/<abbr>/<id>.md``): writing it and reading it back.

The writer produces the final duty-machine format byte for byte. The reader also
accepts everything the archive ever contained (the 2020 ``<id>_<title>.md`` files,
the older CDT files with a ``日期：`` line instead of the date comment, and plain
garbage) because importing an existing archive must never stop on one bad file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsvault.archive.markdown import escape_link, escape_title, unescape_link, unescape_title
from newsvault.base.hrefs import whatwg_href
from newsvault.base.text import encode_utf8, js_trim

# The reader rules of the original (``/<!--(\d+)-/`` and ``/\[([\s\S]*?)\]\(/``),
# with JavaScript's ASCII-only \d.
_DATE = re.compile(r"<!--([0-9]+)-")
_TITLE = re.compile(r"\[([\s\S]*?)\]\(")
_CDT_DATE_PREFIX = "日期："
_DATE_LINE = re.compile(r"<!--[0-9]+-->")


@dataclass(frozen=True)
class ArticleFile:
    """What a reader can recover from one article file.

    ``canonical`` is True exactly when ``format_article(ms, title, url, body)``
    gives back the bytes that were parsed, i.e. the file can be regenerated from
    these fields; anything else (legacy layouts, untrimmed titles, invalid UTF-8,
    truncation) must be kept as found rather than rewritten.
    """

    ms: int | None
    title: str
    url: str
    body: str
    canonical: bool
    date_text: str | None = None  # the "日期：" value of the old CDT format, as written


def format_article(ms: int, title: str, url: str, body: str, *, escaped: bool = False) -> bytes:
    """Render one article in the final format.

    Without `escaped` the title and link are written as the original wrote them,
    which an imported file needs to come back byte for byte; every article
    newsvault archives itself is `escaped` (see ``archive.markdown``), so that its
    header stays five lines with one link, whatever the title says.

    An `escaped` article whose link is not http(s) gets an empty link target.
    Raises ValueError when ``url`` is not an absolute URL or ``ms`` is negative:
    a negative date would be written but could never be read back by the
    ``<!--(\\d+)-`` rule.
    """
    if ms < 0:
        raise ValueError(f"article date before 1970 cannot be archived: {ms}")
    href = whatwg_href(url)
    if escaped and not href.startswith(("http://", "https://")):
        # New items cannot have one (identify refuses them); a row stored before that rule
        # is written with an empty target, which `verify` reports, rather than stopping render.
        href = ""
    header = f"[{escape_title(title)}]({escape_link(href)})" if escaped else f"[{js_trim(title)}]({href})"
    text = f"<!--{ms}-->\n{header}\n------\n\n{''.join(js_trim(piece) for piece in body.split(chr(10)))}\n"
    return encode_utf8(text)


def parse_article(data: bytes) -> ArticleFile:
    """Read any article file of the archive; never raises.

    Invalid UTF-8 is kept as surrogate escapes (so nothing is lost), and missing
    parts come back as ``None`` or ``""``.
    """
    text = data.decode("utf-8", "surrogateescape")
    date = _DATE.search(text)
    ms = _to_int(date.group(1)) if date else None
    # Searched only up to the last "](": a "[" after it cannot start a title, and
    # each one would otherwise be scanned to the end (quadratic in the "["s).
    title_match = _TITLE.search(text, 0, text.rfind("](") + 2)
    if title_match is None:
        return ArticleFile(ms=ms, title="", url="", body="", canonical=False)
    title = title_match.group(1)
    link_line, _, rest = text[title_match.end() :].partition("\n")
    url = link_line[:-1] if link_line.endswith(")") else link_line
    date_text, body = _split_body(rest)
    return ArticleFile(
        ms=ms,
        title=title,
        url=url,
        body=body,
        canonical=ms is not None and _regenerates(data, ms, title, url, body),
        date_text=date_text,
    )


def read_header(data: bytes) -> tuple[str, str] | None:
    """The (title, link) of an `escaped` article file as Markdown reads them; None if its header is not that.

    What `verify` checks of every file newsvault wrote for its own articles: the
    date line, one ``[title](link)`` line, ``------`` and a blank line, the title
    and link escaped exactly as ``format_article`` escapes them. A header that
    fails (a six-line one, a title that closes the link early) or reads back to
    something other than the stored title and link would not show as one link.
    """
    lines = data.decode("utf-8", "surrogateescape").split("\n", 4)
    if len(lines) < 5 or not _DATE_LINE.fullmatch(lines[0]) or lines[2:4] != ["------", ""]:
        return None
    line = lines[1]
    end = line.find("](")  # an escaped title has none: its "]" is written "\]", a "(" after it "\("
    if not line.startswith("[") or end < 0 or not line.endswith(")"):
        return None
    title, link = line[1:end], line[end + 2 : -1]
    if escape_title(unescape_title(title)) != title or escape_link(unescape_link(link)) != link:
        return None
    return unescape_title(title), unescape_link(link)


def _split_body(rest: str) -> tuple[str | None, str]:
    """Skip the ``------`` rule (and the old CDT date line) and return the body.

    Both layouts put one blank line before the body and one LF after it.
    """
    lines = rest.split("\n", 3)
    date_text = None
    if lines[0] == "------" and len(lines) > 1:
        lines = lines[1:]
        if lines[0].startswith(_CDT_DATE_PREFIX):
            date_text = lines[0][len(_CDT_DATE_PREFIX) :]
            lines = lines[1:]
        if lines and lines[0] == "":
            lines = lines[1:]
    body = "\n".join(lines)
    return date_text, body[:-1] if body.endswith("\n") else body


def _to_int(digits: str) -> int | None:
    # Python refuses int() of more than 4300 digits; such a "date" is garbage anyway.
    try:
        return int(digits)
    except ValueError:
        return None


def _regenerates(data: bytes, ms: int, title: str, url: str, body: str) -> bool:
    try:
        return format_article(ms, title, url, body) == data
    except ValueError:
        return False
