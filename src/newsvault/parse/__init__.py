"""The parse stage: feed bytes (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x) to entries."""

from .dates import normalise_date
from .model import Entry, Feed, FeedError
from .reader import parse

__all__ = ["Entry", "Feed", "FeedError", "normalise_date", "parse"]
