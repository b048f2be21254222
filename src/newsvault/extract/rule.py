"""One entry point for "what would be archived from this page", shared by runs, reextract and test-rule.

A source's rule is its CSS selector when `body = "page"`, automatic extraction
otherwise; keeping the choice here means test-rule shows exactly what a run
would store, and reextract stores exactly what a run would have.
"""

from __future__ import annotations

from collections.abc import Mapping

from newsvault.base.plaintext import fragment
from newsvault.config import Source

from .auto import Extracted, auto_body, extracted, parse_page
from .lazy import promote_lazy_images
from .page import select_body


def extract_page(
    page: str | bytes, headers: Mapping[str, str] | None = None, url: str | None = None, selector: str | None = None
) -> Extracted:
    """The body by `selector` (as innerHTML, like CDT's archive), or found automatically without one."""
    if selector is None:
        return auto_body(page, headers, url)
    html = select_body(page, selector, headers)
    shown = fragment(html)
    promote_lazy_images(shown)  # the stored HTML stays as the page had it; its pictures are what a reader sees
    body = extracted(parse_page(page, headers), shown)
    return Extracted(body.title, body.date, html, body.text, body.images)


def extract_for(
    source: Source, page: str | bytes, headers: Mapping[str, str] | None = None, url: str | None = None
) -> Extracted:
    """What `source`'s rule takes from one of its article pages."""
    return extract_page(page, headers, url, source.selector if source.body == "page" else None)
