"""Importing an existing duty-machine archive (either layout, or both) into the store."""

from .load import BATCH_FILES, ImportReport, import_tree
from .read import written_link

__all__ = ["BATCH_FILES", "ImportReport", "import_tree", "written_link"]
