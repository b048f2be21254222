"""One spelling for indexed text and queries: Simplified Chinese, lower case, half-width.

Folding is character by character on purpose. OpenCC's phrase tables convert
in context (乾隆 stays 乾隆 while a lone 乾 becomes 干), so a query folded on
its own could differ from the same characters folded inside an article and be
missed. A per-character table cannot do that: fold(a substring) is always a
substring of fold(the text), and the length never changes, so offsets found in
folded text are offsets in the original (snippets need that).
"""

from __future__ import annotations

import re
from array import array
from functools import cache

import opencc

# Han ideographs: URO, extension A, compatibility ideographs, extensions B–F.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2EBEF))


_HAN = re.compile("|".join(f"[{chr(lo)}-{chr(hi)}]" for lo, hi in _HAN_RANGES))
_FEW = 200_000  # characters folded one text at a time (a command's queries, snippets) before the whole table pays
_folded_alone = [0]


@cache
def _t2s() -> opencc.OpenCC:
    """OpenCC's Traditional → Simplified converter: 2 ms to make, so once."""
    return opencc.OpenCC("t2s")


def _changes(chars: str) -> dict[int, str]:
    """Code point → replacement, for those of `chars` that change (str.translate's form)."""
    unique = "".join(set(chars))
    han = _HAN.findall(unique)
    table: dict[int, str] = {}
    if han:
        # One conversion call for all of them; a newline between characters keeps
        # OpenCC from matching phrases across them.
        simplified = _t2s().convert("\n".join(han)).split("\n")
        table.update({ord(t): s for t, s in zip(han, simplified, strict=True) if t != s and len(s) == 1})
    for ch in unique:
        c = ord(ch)
        if 0xFF01 <= c < 0xFF5F:  # full-width ASCII: ＡＢＣ１２３ are ABC123
            table[c] = chr(c - 0xFEE0).lower()
        elif c == 0x3000:
            table[c] = " "
        elif c < 0x530 and (lower := ch.lower()) != ch and len(lower) == 1:
            table[c] = lower  # capitals of Latin, Greek and Cyrillic, where lower case keeps the length
    return table


@cache
def _table() -> dict[int, str]:
    """Code point → replacement, for every character that changes."""
    # From UTF-32 bytes: a third of the time of chr() per code point.
    han = "".join(array("I", range(lo, hi + 1)).tobytes().decode("utf-32-le") for lo, hi in _HAN_RANGES)
    others = "".join(map(chr, range(0xFF01, 0xFF5F))) + "\u3000" + "".join(map(chr, range(0x530)))
    return _changes(han + others)


@cache
def _dense() -> list[int | str]:
    """The same as a list indexed by code point, every one up to the last that changes.

    str.translate looks each character up; a dict raises (and catches) KeyError for
    every character that stays, a list answers them all: twice as fast on Chinese
    text. Characters past its end raise IndexError and are kept as they are.
    """
    table = _table()
    dense: list[int | str] = list(range(max(table) + 1))
    for c, s in table.items():
        dense[c] = s
    return dense


def fold(text: str) -> str:
    """`text` in the one spelling that is indexed; same length, position for position.

    The whole table takes 66–290 ms to make: a search command (a query, twenty
    snippets) folds only its own characters, until `_FEW` characters were folded so.
    """
    if _dense.cache_info().currsize or _folded_alone[0] + len(text) > _FEW:
        return text.translate(_dense())
    _folded_alone[0] += len(text)
    return text.translate(_changes(text))
