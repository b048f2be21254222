"""HTML's srcset: the candidate-list grammar, once, for extraction (lazy images) and display (proxies, mirrors)."""

from __future__ import annotations

import re

_SRCSET_URL = re.compile(r"[\t\n\f\r ,]*([^\t\n\f\r ]+)")
_SRCSET_DESCRIPTOR = re.compile(r"([^,(]|\([^)]*\)?)*")


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
