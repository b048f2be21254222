"""Turn a feed's bytes into UTF-8 before any parser sees them.

Both parsers have their own encoding logic, and neither is right for Chinese
feeds: feedparser-rs ignores the HTTP charset, feedparser falls back to
windows-1252 for a declared ``gbk``, and both believe a ``gb2312`` declaration
that servers routinely put on UTF-8 bytes. So the decision is made once, here:

1. a byte order mark, or the UTF-16/32 patterns of an XML document without one;
2. strict UTF-8, whatever is declared (most "gb2312" feeds today are UTF-8);
3. the declared charset (HTTP header first, then the XML declaration), with the
   GB family read as GB18030 and Big5 as CP950 plus HKSCS;
4. undeclared: GB18030 or Big5 as chardet's two CJK probers judge the
   double-byte runs, reported as a problem. Never by trial order: Big5 bytes
   almost always decode as GB18030 without error, so the first codec tried
   would win whatever the text is.

The parsers then get UTF-8 with the XML declaration saying so.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chardet.big5prober import Big5Prober
from chardet.gb2312prober import GB2312Prober

__all__ = ["Decoded", "decode", "to_utf8"]

_BOMS = (  # UTF-32 before UTF-16: FF FE 00 00 starts with FF FE.
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# An ASCII "<" or "{" in UTF-16/32 without a BOM (XML 1.0 appendix F).
_WIDE_PATTERNS = (
    (re.compile(rb"[<{]\x00\x00\x00"), "utf-32-le"),
    (re.compile(rb"\x00\x00\x00[<{]"), "utf-32-be"),
    (re.compile(rb"[<{]\x00[^\x00]\x00"), "utf-16-le"),
    (re.compile(rb"\x00[<{]\x00[^\x00]"), "utf-16-be"),
)

# Declared names mapped to the codec that reads what servers actually send:
# GB2312/GBK text routinely contains GB18030-only characters, and Big5 feeds
# use Microsoft's CP950 (the browsers' Big5) with Hong Kong additions.
_SUPERSETS = {
    **dict.fromkeys(
        (
            "gb2312",
            "gbk",
            "x-gbk",
            "cp936",
            "ms936",
            "windows-936",
            "euc-cn",
            "csgb2312",
            "gb_2312-80",
            "gb2312-80",
            "gb18030",
        ),
        "gb18030",
    ),
    **dict.fromkeys(
        ("big5", "big-5", "cn-big5", "csbig5", "x-x-big5", "cp950", "x-big5", "big5-hkscs", "big5hkscs"), "big5"
    ),
}

_XML_DECLARATION = re.compile(r"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])([^"']*)(["'])""")
_XML_DECLARATION_BYTES = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# [^<>]: each <meta scans only its own tag, never on into the ones after it.
_META_CHARSET = re.compile(rb"""<meta[^<>]+charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Decoded:
    """UTF-8 bytes for the parsers, the encoding they were read with, and any doubt about it."""

    data: bytes
    encoding: str
    problem: str | None = None
    text: str | None = None  # `data` decoded (JSON is parsed from it: no second decoding)


def to_utf8(data: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode ``data`` as described in the module docstring and re-encode it as UTF-8.

    Bytes that are UTF-8 already, with no BOM and no other encoding declared,
    are given as they came: encoding them again would make the same bytes (a
    third of the time the parse stage spent before the parser, bench_pipeline).
    """
    text, encoding, problem = decode(data, headers)
    if encoding == "utf-8" and problem is None and not data.startswith(codecs.BOM_UTF8):
        declaration = _XML_DECLARATION.match(text)
        if declaration is None or declaration.group(3).lower() == "utf-8":
            return Decoded(data, encoding, problem, text)
    return Decoded(_declare_utf8(text).encode("utf-8"), encoding, problem, text)


def decode(data: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str, str | None]:
    """Text, the encoding it was read with, and any doubt; for feeds and for HTML pages alike."""
    headers = headers or {}
    for bom, name in _BOMS:
        if data.startswith(bom):
            text, problem = _decode_as(data[len(bom) :], name)
            return text, name, problem
    for pattern, name in _WIDE_PATTERNS:
        if pattern.match(data, 0, 4):
            text, problem = _decode_as(data, name)
            return text, name, problem
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    declared = [name for name in (_header_charset(headers), _xml_charset(data), _meta_charset(data)) if name]
    for name in declared:
        try:
            return _codec_decode(data, name, "strict"), name, None
        except UnicodeDecodeError:
            continue
    if declared:
        text, problem = _decode_as(data, declared[0])
        return text, declared[0], problem
    for guess in _gb_or_big5(data):
        try:
            text = _codec_decode(data, guess, "strict")
        except UnicodeDecodeError:
            continue
        return text, guess, f"no encoding declared and the bytes are not UTF-8; read as {guess}"
    text, problem = _decode_as(data, "utf-8")
    return text, "utf-8", problem


# Runs of double-byte characters: the probers need only these, and skipping the
# ASCII markup between them makes detection about 30x faster on a web page.
_DOUBLE_BYTE_RUNS = re.compile(rb"(?:[\x81-\xfe][\x40-\x7e\x80-\xfe])+")
_DETECTION_SAMPLE = 8192


def _gb_or_big5(data: bytes) -> tuple[str, str]:
    """Both codecs, the one chardet's character-frequency probers find likelier first.

    On the fixtures (4 real GB pages, 3 real Big5 feeds, 17 UTF-8 pages
    re-encoded both ways, whole and as a 60-character snippet) this is right 74
    times in 75, where trying GB18030 first is wrong on every Big5 input; the
    miss is a snippet on which both probers are sure, and a tie goes to GB18030.
    """
    runs: list[bytes] = []
    size = 0
    for match in _DOUBLE_BYTE_RUNS.finditer(data):
        runs.append(match.group())
        size += len(runs[-1]) + 1
        if size >= _DETECTION_SAMPLE:
            break
    if not runs:  # nothing double-byte to judge (and the probers fail on empty input)
        return ("gb18030", "big5")
    sample = b" ".join(runs)
    gb, big5 = GB2312Prober(), Big5Prober()
    gb.feed(sample)
    big5.feed(sample)
    return ("big5", "gb18030") if big5.get_confidence() > gb.get_confidence() else ("gb18030", "big5")


def _decode_as(data: bytes, name: str) -> tuple[str, str | None]:
    """Decode, replacing what cannot be read, and say so: one bad byte must not lose the feed."""
    try:
        return _codec_decode(data, name, "strict"), None
    except UnicodeDecodeError as error:
        text = _codec_decode(data, name, "replace")
        return text, f"bytes at offset {error.start} and maybe later are not valid {name}; replaced with U+FFFD"


def _codec_decode(data: bytes, name: str, errors: str) -> str:
    if name == "big5":
        if errors == "strict":
            return data.decode("cp950", errors="newsvault-big5hkscs")
        return data.decode("big5hkscs", errors=errors)
    return data.decode(name, errors=errors)


def _big5hkscs_character(error: UnicodeError) -> tuple[str, int]:
    """Read a character CP950 lacks (Hong Kong supplementary set) with the HKSCS table."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    pair = error.object[error.start : error.start + 2]
    try:
        return bytes(pair).decode("big5hkscs"), error.start + 2
    except UnicodeDecodeError:
        raise error from None


codecs.register_error("newsvault-big5hkscs", _big5hkscs_character)


def _header_charset(headers: Mapping[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "content-type":
            match = _CHARSET_PARAM.search(value)
            return _codec_name(match.group(1)) if match else None
    return None


def _xml_charset(data: bytes) -> str | None:
    match = _XML_DECLARATION_BYTES.match(data[:512])
    return _codec_name(match.group(1).decode("ascii")) if match else None


def _meta_charset(data: bytes) -> str | None:
    """An HTML page's <meta charset> or http-equiv Content-Type, which browsers look for in the first 1024 bytes."""
    match = _META_CHARSET.search(data[:4096])
    return _codec_name(match.group(1).decode("ascii")) if match else None


# Codecs of Python's string literals, not of documents: they read every byte past ASCII as Latin-1 and a
# text's backslash escapes as characters, so a feed declaring one was read wrong without an error.
_PYTHON_ESCAPES = frozenset({"unicode-escape", "raw-unicode-escape"})


def _codec_name(declared: str) -> str | None:
    """The codec to read a declared charset with; None for names Python does not know."""
    name = declared.strip().lower()
    if name in _SUPERSETS:
        return _SUPERSETS[name]
    try:
        codec = codecs.lookup(name)
        # Not b"": bytes.decode skips the codec for empty bytes, so every unknown name (x-gbk,
        # x-user-defined) passed, then failed the feed. A non-ASCII byte with "replace" also
        # refuses bytes-to-bytes codecs (base64, rot13) and those no document is in (idna, punycode).
        b"<\xe4>".decode(codec.name, "replace")
    except (LookupError, ValueError, UnicodeError):  # ValueError: a NUL in the name
        return None
    return None if codec.name in _PYTHON_ESCAPES else codec.name


def _declare_utf8(text: str) -> str:
    """Make the XML declaration match the UTF-8 the parsers will get."""
    return _XML_DECLARATION.sub(r"\1\2utf-8\4", text, count=1)
