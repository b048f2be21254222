"""Telling readers where they are: edits, deletions and new articles queued in the store and posted to Telegram."""

from .queue import queue_events
from .telegram import NotifyReport, post_queued
from .witness import WitnessReport, witness_queued

__all__ = ["NotifyReport", "WitnessReport", "post_queued", "queue_events", "witness_queued"]
