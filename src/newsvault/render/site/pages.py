"""Templates to bytes: every page of the site is one Jinja template rendered with autoescape.

Values are escaped by the templates; only HTML that display_html sanitised
or that diff.py escaped itself comes in as Markup.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from .paths import href

_ENV = Environment(
    loader=PackageLoader(__package__, "templates"),
    autoescape=True,
    auto_reload=False,  # compiled once: checking each template's file before every page was 5% of a render
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=StrictUndefined,
)
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def page(template: str, here: str, **context: Any) -> bytes:
    """The page `template` as it lives at `here` (site-relative): its links are relative to it."""
    link: Callable[[str], str] = lambda target: href(here, target)  # noqa: E731
    context.setdefault("inline_css", None)
    return _ENV.get_template(template).render(link=link, **context).encode("utf-8")


def stylesheet() -> str:
    return resources.files(__package__).joinpath("static/site.css").read_text("utf-8")


def safe_link(url: str | None) -> str | None:
    """The article's original link, when following it cannot run anything."""
    return url if url and url.strip().lower().startswith(SAFE_SCHEMES) else None
