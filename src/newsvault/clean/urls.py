"""URLs inside article bodies: resolving and scheme checks (srcset lists: `newsvault.base.srcset`).

Bodies are stored as given, so their URLs can be relative to the article page;
whatever displays a body elsewhere (site, reader, feeds out) must resolve them
against the article link or the images and links break. Resolution uses ada,
the WHATWG parser browsers use, so the result is what a browser would load.
"""

from __future__ import annotations

import re

import ada_url

# What a URL parser ignores before reading the scheme: C0 controls and space at
# the ends, tab and newlines anywhere ("java\tscript:" is still javascript:).
_IGNORED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")


def scheme(url: str) -> str | None:
    """The scheme a browser would see, lower-cased; None for a relative URL."""
    match = _SCHEME.match(_IGNORED.sub("", url).strip(_C0_AND_SPACE))
    return match.group(1).lower() if match else None


def absolute(url: str, base: str | None) -> str:
    """`url` resolved against `base`; unchanged when there is no base or it cannot be joined.

    Leaving an unjoinable URL alone rather than dropping it lets the sanitiser,
    which runs last, be the one place that decides what is allowed.
    """
    if base is None:
        return url
    try:
        return ada_url.join_url(base, url.strip())
    except ValueError:
        return url
