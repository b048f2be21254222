"""The fetch stage: bounded, polite, retrying HTTP GETs for feeds, pages and images.

async with Fetcher() as fetcher:
    response = await fetcher.fetch(Request(url, etag=..., last_modified=...))
"""

from newsvault.fetch.client import DEFAULT_USER_AGENT, Fetcher
from newsvault.fetch.model import FetchError, Request, Response

__all__ = ["DEFAULT_USER_AGENT", "FetchError", "Fetcher", "Request", "Response"]
