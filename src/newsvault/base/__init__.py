"""What every stage shares, at the bottom of the layers: it imports nothing else of newsvault.

JavaScript's trim and WHATWG hrefs (the archive format is defined by what Node
wrote), atomic file writes, the clock and China time, the character diff every
view of versions shows, and the failpoints the crash tests kill at.

The names below are imported from their modules when first asked for: a
command that needs only the clock (`newsvault search`) does not load the URL
parser (ada_url).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsvault.base.lazy import lazy_names

if TYPE_CHECKING:
    from newsvault.base.files import write_atomic
    from newsvault.base.hrefs import whatwg_href
    from newsvault.base.text import JS_WHITESPACE, js_trim

__all__ = ["JS_WHITESPACE", "js_trim", "whatwg_href", "write_atomic"]

_HOME = {"JS_WHITESPACE": "text", "js_trim": "text", "whatwg_href": "hrefs", "write_atomic": "files"}

__getattr__ = lazy_names(__name__, _HOME)
