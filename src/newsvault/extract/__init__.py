"""Full text: which items to keep and where each article's body comes from."""

from newsvault.base.plaintext import plain_text, text_length

from .auto import Extracted, auto_body
from .categories import keep_by_categories
from .lazy import promote_lazy_images
from .page import ExtractError, select_body
from .rule import extract_for, extract_page
from .serialize import inner_html

__all__ = [
    "ExtractError",
    "Extracted",
    "auto_body",
    "extract_for",
    "extract_page",
    "inner_html",
    "keep_by_categories",
    "plain_text",
    "promote_lazy_images",
    "select_body",
    "text_length",
]
