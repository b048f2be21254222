"""Text into index tokens, and a query into an FTS5 expression over them.

Chinese has no spaces, and word segmentation both misses sub-words (镕基 in
朱镕基) and splits words a query holds whole. Overlapping character bigrams
cannot miss: every substring of two or more characters is a run of adjacent
bigrams. Each CJK run ends with its last character alone, which makes single
characters findable (as the prefix `X*`) and keeps two runs from chaining into
a phrase across the punctuation between them. Latin words and numbers are
whole lower-case tokens.

Text:  "朱镕基说G20" -> 朱镕 镕基 基说 说 g20
Query: "镕基"       -> "镕基"        "朱镕基" -> "朱镕 镕基"      "基" -> "基" *

Until migration 0011 SQLite's FTS5 tables held these tokens, with no prefix
index (it doubled the index): a query made only of single characters asked a
second table of each document's distinct CJK characters. Now
PostgreSQL's tsvector is made of them (`tsquery`), and SQLite's index is
`apart`, which uses `segments` and `pieces` from here.
"""

from __future__ import annotations

import re
from operator import add

from .fold import fold

# Scripts written without spaces: kana, Han (with extensions), Hangul.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ebef"
_SEGMENT = re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<word>[^\\W_{_CJK}]+)")
_PIECE = re.compile(r"[^\W_]+")


def _tokens(folded: str) -> list[str]:
    out: list[str] = []
    for cjk, word in _SEGMENT.findall(folded):
        if cjk:
            out.extend(map(add, cjk, cjk[1:]))  # the bigrams
            out.append(cjk[-1])
        else:
            out.append(word)
    return out


def index_text(text: str) -> str:
    """The tokens of `text`, space-separated, for an FTS5 column with the ascii tokenizer."""
    return " ".join(_tokens(fold(text)))


Phrase = tuple[list[str], bool]  # tokens in order; whether the last one is a prefix


def _phrase(piece: str) -> Phrase:
    """One unbroken run of word characters as a phrase of tokens, true to substring matching.

    The piece may sit inside a longer run of the text, so its last CJK character
    is not a run end: the trailing single-character token is dropped (or, when
    the run is one character, becomes a prefix). A final Latin word is a prefix too.
    """
    tokens = _tokens(piece)
    last = list(_SEGMENT.finditer(piece))[-1]
    if last.lastgroup == "cjk" and len(last.group()) > 1:
        tokens.pop()
        return tokens, False
    return tokens, True


def pieces(query: str) -> list[str]:
    """The folded runs of word characters in `query`: each must occur in a hit."""
    return [p for p in _PIECE.findall(fold(query)) if _SEGMENT.search(p)]


def segments(piece: str) -> list[str]:
    """A piece's Latin words and CJK runs: how it is found where the text spaces them otherwise."""
    return [m.group() for m in _SEGMENT.finditer(piece)]


def phrases(query: str) -> list[Phrase]:
    """What a hit must hold, one phrase per piece of `query` (all of them: AND)."""
    return [_phrase(p) for p in pieces(query)]


def fts5_expression(found: list[Phrase]) -> str:
    return " AND ".join('"' + " ".join(tokens) + '"' + (" *" if prefix else "") for tokens, prefix in found)


def tsquery(found: list[Phrase]) -> str:
    """The same for PostgreSQL's to_tsquery('simple', …): `<->` is adjacency, `:*` a prefix."""
    return " & ".join(
        "("
        + " <-> ".join(f"'{t}'" + (":*" if prefix and i == len(tokens) - 1 else "") for i, t in enumerate(tokens))
        + ")"
        for tokens, prefix in found
    )
