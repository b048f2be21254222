"""Shared helpers for the parse-stage tests."""

from __future__ import annotations

from tests.reference import reference


def feed_bytes(relative: str) -> bytes:
    """Bytes of a fixture feed under fixtures/feeds/ (tests/data/shared's copy, else ../shared's; else skip)."""
    return reference(f"fixtures/feeds/{relative}").read_bytes()


def rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    """A minimal RSS 2.0 document around ``items`` (with the content and dc namespaces)."""
    return (
        f"{declaration}\n"
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Test</title><link>http://example.org/</link>{items}</channel></rss>"
    )
