"""URLs inside article bodies: resolving, srcset lists and scheme checks.

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
_SRCSET_URL = re.compile(r"[\t\n\f\r ,]*([^\t\n\f\r ]+)")
_SRCSET_DESCRIPTOR = re.compile(r"([^,(]|\([^)]*\)?)*")


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


def parse_srcset(value: str) -> list[tuple[str, str]]:
    """(url, descriptor) pairs of a srcset, following the HTML candidate-list grammar.

    A URL ends at whitespace; a comma at its very end separates candidates
    (so data: URLs with commas inside survive); the descriptor runs to the next
    comma outside parentheses.
    """
    candidates = []
    pos = 0
    while pos < len(value):
        match = _SRCSET_URL.match(value, pos)
        if match is None or not match.group(1):
            break
        url = match.group(1)
        pos = match.end()
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            found = _SRCSET_DESCRIPTOR.match(value, pos)
            assert found is not None  # the pattern also matches the empty string
            descriptor = found.group(0).strip()
            pos = found.end() + 1  # past the comma
        if url:
            candidates.append((url, descriptor))
    return candidates


def format_srcset(candidates: list[tuple[str, str]]) -> str:
    """A srcset from (url, descriptor) pairs, as parse_srcset reads it back."""
    return ", ".join(f"{url} {d}".rstrip() for url, d in candidates)


def largest(candidates: list[tuple[str, str]]) -> str | None:
    """The candidate with the largest width or density: the best copy to keep or mirror."""

    def size(descriptor: str) -> float:
        try:
            return float(descriptor[:-1]) if descriptor[-1:] in ("w", "x") else 1.0
        except ValueError:
            return 0.0

    if not candidates:
        return None
    return max(candidates, key=lambda c: size(c[1]))[0]
