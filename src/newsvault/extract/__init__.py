"""Full text: which items to keep and where each article's body comes from."""

from .categories import keep_by_categories
from .page import ExtractError, select_body
from .serialize import inner_html

__all__ = ["ExtractError", "inner_html", "keep_by_categories", "select_body"]
