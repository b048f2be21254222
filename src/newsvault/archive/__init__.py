"""The duty-machine archive format (see spec/ARCHIVE-FORMAT.md): values to bytes and back.

Pure functions, reading nothing: no store, no files, no clock. The writers
produce the final format byte for byte, the readers accept every layout the
original archive ever had. `render` writes trees with them, `importer` reads
trees with them, `schedule` numbers new articles with them.
"""

from newsvault.archive.article import ArticleFile, format_article, parse_article
from newsvault.archive.ids import FIRST_ID, MAX_ID, archive_id_of, article_path, cdt_id, next_ids, shard_of
from newsvault.archive.legacy import (
    LEGACY_LIST_SIZE,
    LegacyListFile,
    format_legacy_list,
    legacy_link,
    parse_legacy_file_name,
)
from newsvault.archive.lists import LIST_SIZE, ListEntry, format_list, list_date, list_title
from newsvault.archive.readme import format_readme

__all__ = [
    "FIRST_ID",
    "LEGACY_LIST_SIZE",
    "LIST_SIZE",
    "MAX_ID",
    "ArticleFile",
    "LegacyListFile",
    "ListEntry",
    "archive_id_of",
    "article_path",
    "cdt_id",
    "format_article",
    "format_legacy_list",
    "format_list",
    "format_readme",
    "legacy_link",
    "list_date",
    "list_title",
    "next_ids",
    "parse_article",
    "parse_legacy_file_name",
    "shard_of",
]
