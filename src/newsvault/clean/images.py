"""Where displayed images load from: as given, through a proxy, or from the vault.

The policy rewrites `src` and every `srcset` candidate together: a browser
that supports srcset ignores `src`, so a srcset left pointing at a blocked host
would defeat the policy (the original archive had exactly that defect).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

import ada_url
from lxml import etree

from newsvault.base.srcset import format_srcset, parse_srcset
from newsvault.clean.urls import scheme
from newsvault.config.model import DEFAULT_PROXY, IMAGE_MODES

PLACEHOLDERS = ("{url}", "{url_without_scheme}")
# Kept unencoded in a substituted URL: enough to stay readable in a query
# value; `&`, `#`, spaces and quotes are encoded so the proxy gets the whole URL.
_SAFE_IN_QUERY = ":/?=@!$'()*+,;%[]~"


@dataclass(frozen=True)
class ImagePolicy:
    mode: str = "proxy"  # "keep" | "proxy" | "mirror"
    proxy: str = DEFAULT_PROXY  # template with {url} or {url_without_scheme}

    def __post_init__(self) -> None:
        if self.mode not in IMAGE_MODES:
            raise ValueError(f"image mode must be one of {', '.join(IMAGE_MODES)}, not {self.mode!r}")
        if self.mode == "proxy" and not any(p in self.proxy for p in PLACEHOLDERS):
            raise ValueError(f"proxy template {self.proxy!r} has neither {{url}} nor {{url_without_scheme}}")


@cache
def _host(url: str) -> str | None:
    try:
        return ada_url.URL(url.split("{", 1)[0] or url).host
    except ValueError:
        return None


def proxied(url: str, template: str) -> str:
    """`url` through the proxy `template`; URLs already on the proxy's host are left alone.

    Feeds such as feedx already proxy their images through images.weserv.nl;
    proxying those again would only add a hop.
    """
    if scheme(url) not in ("http", "https"):
        return url
    try:
        host = ada_url.URL(url).host
    except ValueError:
        return url
    if host is not None and host == _host(template):
        return url
    encoded = quote(url, safe=_SAFE_IN_QUERY)
    return template.replace("{url_without_scheme}", encoded.split("://", 1)[1]).replace("{url}", encoded)


def apply_policy(img: etree._Element, policy: ImagePolicy, assets: Mapping[str, str] | None) -> None:
    """Point `img` where `policy` says; its URLs must already be absolute.

    Mirror mode: a mirrored `src` becomes the asset path and the original URL
    is kept in `data-original-src` (no script may swap it in on error, so it is
    there for readers and tools); srcset candidates that were not mirrored are
    dropped, since the browser would prefer them over the asset. An image not
    (yet) mirrored is shown as given.
    """
    src = (img.get("src") or "").strip()
    srcset = img.get("srcset")
    if policy.mode == "proxy":
        if src:
            img.set("src", proxied(src, policy.proxy))
        if srcset:
            img.set("srcset", format_srcset([(proxied(u, policy.proxy), d) for u, d in parse_srcset(srcset)]))
    elif policy.mode == "mirror" and assets and src in assets:
        img.set("data-original-src", src)
        img.set("src", assets[src])
        if srcset:
            kept = [(assets[u], d) for u, d in parse_srcset(srcset) if u in assets]
            if kept:
                img.set("srcset", format_srcset(kept))
            else:
                del img.attrib["srcset"]
