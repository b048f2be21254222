"""Pure functions for the duty-machine archive format (see spec/ARCHIVE-FORMAT.md).

Everything here maps values to bytes and back; nothing reads the store. The
writers produce the final format byte for byte, the readers accept every layout
the original archive ever had.
"""

from newsvault.render.article import ArticleFile, format_article, parse_article
from newsvault.render.files import write_atomic
from newsvault.render.ids import FIRST_ID, article_path, cdt_id, next_ids, shard_of
from newsvault.render.legacy import (
    LEGACY_LIST_SIZE,
    LegacyListFile,
    format_legacy_list,
    legacy_link,
    parse_legacy_file_name,
)
from newsvault.render.lists import LIST_SIZE, ListEntry, format_list, list_date, list_title
from newsvault.render.readme import format_readme
from newsvault.render.text import JS_WHITESPACE, js_trim
from newsvault.render.urls import whatwg_href

__all__ = [
    "FIRST_ID",
    "JS_WHITESPACE",
    "LEGACY_LIST_SIZE",
    "LIST_SIZE",
    "ArticleFile",
    "LegacyListFile",
    "ListEntry",
    "article_path",
    "cdt_id",
    "format_article",
    "format_legacy_list",
    "format_list",
    "format_readme",
    "js_trim",
    "legacy_link",
    "list_date",
    "list_title",
    "next_ids",
    "parse_article",
    "parse_legacy_file_name",
    "shard_of",
    "whatwg_href",
    "write_atomic",
]
