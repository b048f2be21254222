"""Every regex in src/ that reads untrusted text runs in linear time (issue 13).

Each case feeds one regex (called the way its module calls it) about 1 MB of
the input that makes it backtrack most: long runs where a pattern has two
quantifiers over the same characters, many openers with no closer after them
for lazy ``.*?`` scans, runs of parts a lazy repeat could also join. A
backtracking regex takes minutes to days on these; a linear one milliseconds.

Time is measured against a plain pass over the same input (``count("<")``, a
memchr-speed scan: 0.27 ms per MB on the machine these numbers are from), so
the bound moves with the machine: RATIO × that baseline, 0.27 s there. The
linear cases below took 2x to 270x the baseline there (the costly ones build
hundreds of thousands of matches or pieces); the old quadratic regexes need
10^5x and more on 1 MB, the exponential ones never finish. An alarm stops a
case at the bound (the regex engine checks for signals every few thousand
steps), so the old regexes fail within seconds instead of hanging the suite;
the best of three tries is kept, so a run that another process delayed does
not fail.

Not listed, because they never see 1 MB: patterns applied to at most a few
bytes (encoding's UTF-16/32 probes read 4 bytes), to directory names
(importer's shard folders), and config/load.py's, which read the user's own
vault.toml.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from newsvault.archive import article, ids, legacy
from newsvault.base import plaintext, srcset, textdiff
from newsvault.base import text as render_text
from newsvault.clean import sniff as image_sniff
from newsvault.clean import urls
from newsvault.clean.sanitize import _DATA_IMAGE
from newsvault.extract import lazy
from newsvault.importer import read as importer_read
from newsvault.parse import dates, encoding, sniff, xmlfeed
from newsvault.publish import actions, git, remotes
from newsvault.search import tokens

N = 1_000_000
RATIO = 1000  # allowed multiple of the plain pass (see above)


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[bytes], object] | Callable[[str], object]
    data: bytes | str


def _b(unit: bytes, tail: bytes = b"") -> bytes:
    """`unit` repeated to at least N bytes, then `tail` (what makes the match fail at the very end)."""
    return unit * -(-N // len(unit)) + tail


def _s(unit: str, tail: str = "") -> str:
    return unit * -(-N // len(unit)) + tail


CASES = [
    # parse/sniff.py: the prolog before the root element; the root's end tag
    Case("sniff._PROLOG spaces", lambda d: sniff._PROLOG.match(d), _b(b" ")),
    Case("sniff._PROLOG processing instructions", lambda d: sniff._PROLOG.match(d), _b(b"<?a?>", b"x")),
    Case("sniff._PROLOG comments", lambda d: sniff._PROLOG.match(d), _b(b"<!--a-->", b"x")),
    Case("sniff._PROLOG unclosed PIs", lambda d: sniff._PROLOG.match(d), _b(b"<?")),
    Case("sniff._PROLOG doctype subset", lambda d: sniff._PROLOG.match(d), b"<!DOCTYPE x [" + _b(b"] ")),
    Case("sniff._PROLOG doctype brackets", lambda d: sniff._PROLOG.match(d), b"<!DOCTYPE x " + _b(b"[]")),
    Case("sniff._HTML_DOCTYPE spaces", lambda d: sniff._HTML_DOCTYPE.match(d), _b(b" ")),
    Case("sniff._HTML_DOCTYPE PIs", lambda d: sniff._HTML_DOCTYPE.match(d), _b(b"<?a?> ", b"x")),
    Case("sniff._HTML_DOCTYPE comments", lambda d: sniff._HTML_DOCTYPE.match(d), _b(b"<!--a--> ", b"x")),
    Case("sniff.closes_root", lambda d: sniff.closes_root(d, "rss"), _b(b"</ ")),
    Case("sniff._URL", lambda d: sniff._URL.fullmatch(d), _s("http://", " ") + _s("a") + " x"),
    # parse/xmlfeed.py: scans of the whole document
    Case(
        "xmlfeed._EMPTY_TEXT_ELEMENT red team",
        lambda d: xmlfeed._EMPTY_TEXT_ELEMENT.search(d),
        b"<title" + _b(b" ", b">"),
    ),
    Case("xmlfeed._EMPTY_TEXT_ELEMENT openers", lambda d: xmlfeed._EMPTY_TEXT_ELEMENT.search(d), _b(b"<title ")),
    Case("xmlfeed._EMPTY_TEXT_ELEMENT attrs", lambda d: xmlfeed._EMPTY_TEXT_ELEMENT.search(d), b"<title" + _b(b" /")),
    Case(
        "xmlfeed._for_feedparser_rs",
        lambda d: xmlfeed._for_feedparser_rs(d, True),
        b"&nbsp;<category/>" + b"<title" + _b(b" ", b"/>"),
    ),
    Case("xmlfeed.split_unparsed CDATA openers", xmlfeed.split_unparsed, _b(b"<![CDATA[")),
    Case("xmlfeed.split_unparsed comment openers", xmlfeed.split_unparsed, _b(b"<!--")),
    Case("xmlfeed._NAKED_MARKUP spaces", lambda d: xmlfeed._NAKED_MARKUP.search(d), b"<title" + _b(b" ")),
    Case("xmlfeed._NAKED_MARKUP openers", lambda d: xmlfeed._NAKED_MARKUP.search(d), _b(b"<title ")),
    Case("xmlfeed._NAKED_MARKUP text", lambda d: xmlfeed._NAKED_MARKUP.search(d), b"<title>" + _b(b"a", b"</")),
    Case("xmlfeed._HTML_ENTITY", lambda d: xmlfeed._HTML_ENTITY.sub(b"", d), _b(b"&a")),
    Case("xmlfeed._ITEM_START", lambda d: xmlfeed._ITEM_START.search(d), b"<" + _b(b"a")),
    Case("xmlfeed._ITEM_START prefixes", lambda d: xmlfeed._ITEM_START.search(d), _b(b"<a:")),
    Case("xmlfeed._ITEM_END", lambda d: xmlfeed._ITEM_END.findall(d), b"</item" + _b(b" ")),
    Case("xmlfeed._SAX_POSITION", lambda d: xmlfeed._SAX_POSITION.match(d), "<unknown>:" + _s("1")),
    # parse/dates.py: a feed's date strings
    Case("dates letters", dates.normalise_date, _s("a")),
    Case("dates parentheses", dates.normalise_date, _s("(")),
    Case("dates weekdays", dates.normalise_date, _s("wed, ")),
    Case("dates month days", dates.normalise_date, _s("may 1, ")),
    Case("dates numbers", dates.normalise_date, _s("1 ")),
    Case("dates fraction", dates.normalise_date, "2024-05-01t12:30:00." + _s("1", "x")),
    # parse/encoding.py: declarations and charsets
    Case(
        "encoding._XML_DECLARATION", lambda d: encoding._XML_DECLARATION.sub("", d, count=1), "<?xml" + _s(" encoding")
    ),
    Case(
        "encoding._XML_DECLARATION spaces",
        lambda d: encoding._XML_DECLARATION.sub("", d, count=1),
        "<?xml encoding=" + _s(" "),
    ),
    Case("encoding._XML_DECLARATION_BYTES", lambda d: encoding._XML_DECLARATION_BYTES.match(d), _b(b" ")),
    Case("encoding._META_CHARSET", lambda d: encoding._META_CHARSET.search(d), _b(b"<meta")),
    Case("encoding._CHARSET_PARAM", lambda d: encoding._CHARSET_PARAM.search(d), _s("charset=")),
    Case("encoding._DOUBLE_BYTE_RUNS", lambda d: list(encoding._DOUBLE_BYTE_RUNS.finditer(d)), _b(b"\x81\x20")),
    # extract: page text and image attributes
    Case("plaintext._SPACES", lambda d: plaintext._SPACES.sub(" ", d), _s(" \u3000")),
    Case("lazy placeholder names", lambda d: lazy.is_placeholder(d), _s("blank")),
    Case("lazy placeholder suffixes", lambda d: lazy.is_placeholder(d), _s("blank.gi")),
    # clean: images and URLs
    Case("image_sniff._SVG_START comments", lambda d: image_sniff._SVG_START.match(d), _b(b"<!--a-->", b"x")),
    Case("image_sniff._SVG_START doctypes", lambda d: image_sniff._SVG_START.match(d), _b(b"<!DOCTYPE a> ", b"x")),
    Case("image_sniff._SVG_START spaces", lambda d: image_sniff._SVG_START.match(d), b"<?xml" + _b(b" ")),
    Case("image_sniff._EMBEDDED", lambda d: image_sniff._EMBEDDED.match(d), _s(" ")),
    Case("image_sniff._EXTERNAL_CSS", lambda d: image_sniff._EXTERNAL_CSS.search(d), _s("url(#")),
    Case("sanitize._DATA_IMAGE", lambda d: _DATA_IMAGE.match(d), _s("data:image/")),
    Case("urls._IGNORED", lambda d: urls._IGNORED.sub("", d), _s("\t")),
    Case("urls._SCHEME", lambda d: urls._SCHEME.match(d), _s("a")),
    Case("srcset.parse_srcset commas", srcset.parse_srcset, _s("a,")),
    Case("srcset.parse_srcset descriptors", srcset.parse_srcset, "a " + _s("(")),
    Case("srcset._SRCSET_DESCRIPTOR", lambda d: srcset._SRCSET_DESCRIPTOR.match(d), _s("a(")),
    # publish: git's output and remote URLs
    Case("git._USERINFO dotted words", lambda d: git._USERINFO.sub("", d), _s("a.")),
    Case("git._USERINFO schemes", lambda d: git._USERINFO.sub("", d), _s("a://b")),
    Case("remotes._VARIABLE", lambda d: remotes._VARIABLE.sub("", d), _s("${a")),
    Case("remotes._USERINFO", lambda d: remotes._USERINFO.match(d), _s("a")),
    Case("actions._SCP_LIKE", lambda d: actions._SCP_LIKE.fullmatch(d), "git@" + _s("a")),
    # search: tokenising article text
    Case("tokens._SEGMENT", lambda d: tokens._SEGMENT.findall(d), _s("abc中文字_")),
    Case("tokens._PIECE", lambda d: tokens._PIECE.findall(d), _s("a_")),
    # render: archive files, diffs, feeds out
    Case("article.parse_article brackets", lambda d: article.parse_article(d), _b(b"[")),
    Case("article._DATE", lambda d: article._DATE.search(d), "<!--" + _s("1")),
    Case("ids._WORDPRESS_POST", lambda d: ids._WORDPRESS_POST.search(d), _s("?p=")),
    Case("legacy._FILE_NAME", lambda d: legacy._FILE_NAME.match(d), "1_" + _s("a.md", "x")),
    Case("importer._FINAL_NAME", lambda d: importer_read._FINAL_NAME.match(d), _s("1", ".mdx")),
    Case("render_text._LONE_SURROGATE", lambda d: render_text._LONE_SURROGATE.sub("", d), _s("\ud800a")),
    Case("textdiff._SENTENCE_END", lambda d: textdiff._SENTENCE_END.split(d), _s("。abc")),
    Case("textdiff.marks removed openers", lambda d: list(textdiff.marks(d)), _s("[-", "{+x+}")),
    Case("textdiff.marks both openers", lambda d: list(textdiff.marks(d)), _s("{+[-", "-]")),
    Case("render_text._NOT_XML", lambda d: render_text._NOT_XML.sub("", d), _s("\x00a")),
    Case("render_text._NOT_XML_REF zeros", lambda d: render_text._NOT_XML_REF.sub("", d), "&#" + _s("0")),
    Case("render_text._NOT_XML_REF hex zeros", lambda d: render_text._NOT_XML_REF.sub("", d), "&#x" + _s("0")),
    Case("render_text._NOT_XML_REF refs", lambda d: render_text._NOT_XML_REF.sub("", d), _s("&#x0001f;&#8")),
]


class _Slow(Exception):
    pass


def _raise_slow(signum: int, frame: object) -> None:
    raise _Slow


def _timed(run: Callable[[object], object], data: object, limit: float) -> float:
    """Seconds for one call, or infinity when the alarm stopped it at `limit` (the regex engine checks signals)."""
    previous = signal.signal(signal.SIGALRM, _raise_slow)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        run(data)
        return time.perf_counter() - start
    except _Slow:
        return float("inf")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _baseline(data: bytes | str) -> float:
    """A plain pass over the same input: the fastest of five counts of "<"."""
    if isinstance(data, bytes):
        return min(_timed(lambda d: d.count(b"<"), data, 10) for _ in range(5))  # type: ignore[attr-defined]
    return min(_timed(lambda d: d.count("<"), data, 10) for _ in range(5))  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_worst_case_megabyte_is_linear(case: Case) -> None:
    assert len(case.data) >= N
    limit = RATIO * _baseline(case.data)
    best = float("inf")
    for _ in range(3):
        best = min(best, _timed(case.run, case.data, limit))  # type: ignore[arg-type]
        if best < limit:
            break
    assert best < limit, f"{case.name}: over {RATIO}x a plain pass ({limit * 1000:.1f} ms) on {len(case.data)} units"
