"""Telling readers where they are: edits, deletions and new articles queued in the store and posted to Telegram."""

from .queue import queue_events
from .telegram import NotifyReport, post_queued

__all__ = ["NotifyReport", "post_queued", "queue_events"]
