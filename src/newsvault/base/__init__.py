"""What every stage shares, at the bottom of the layers: it imports nothing else of newsvault.

JavaScript's trim and WHATWG hrefs (the archive format is defined by what Node
wrote), atomic file writes, the clock and China time, the character diff every
view of versions shows, and the failpoints the crash tests kill at.
"""

from newsvault.base.files import write_atomic
from newsvault.base.hrefs import whatwg_href
from newsvault.base.text import JS_WHITESPACE, js_trim

__all__ = ["JS_WHITESPACE", "js_trim", "whatwg_href", "write_atomic"]
