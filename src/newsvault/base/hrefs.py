"""Article links as the original wrote them: ``new URL(link).href``.

Python's urllib neither normalises nor percent-encodes the way browsers do, so a
WHATWG parser (ada, the one Node itself uses) is the only way to get the same
bytes into the ``[title](url)`` line.
"""

from __future__ import annotations

import ada_url

from newsvault.base.text import to_usv


def whatwg_href(url: str) -> str:
    """Serialise an absolute URL exactly as ``new URL(url).href`` does.

    Raises ValueError for relative or unparsable input, which ``new URL`` would
    have thrown on too: the caller decides what to do with such an item rather
    than having it silently archived under a made-up link.
    """
    try:
        # The URL parser takes a USVString; ada would fail on lone surrogates.
        return ada_url.normalize_url(to_usv(url))  # the href, without building a URL object (a third faster)
    except ValueError as exc:
        raise ValueError(f"not an absolute URL: {url!r}") from exc
