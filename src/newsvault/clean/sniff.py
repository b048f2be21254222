"""What an image really is, judged by its bytes, and whether it may be stored.

Mirrored files are served from the vault's own site, so a file that is not
the picture it claims to be (an HTML error page, a script, an SVG carrying
script) must never land there. The bytes decide the type and the extension;
the server's Content-Type may only confirm it.
"""

from __future__ import annotations

import re

from lxml import etree

SVG_NS = "{http://www.w3.org/2000/svg}"
# Declared types that say nothing about the bytes; anything else must be image/*.
_GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "")
_SVG_TYPES = ("image/svg+xml", "text/xml", "application/xml")
# Comments and doctypes are taken once each (atomic, possessive): a lazy
# ``<!--.*?-->`` may also end at any later "-->", so a run of comments without
# <svg after it would be tried in exponentially many ways.
_SVG_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*+(?:<\?xml[^>]*+>\s*+)?(?>(?:<!--.*?-->|<!DOCTYPE[^>]*+>)\s*+)*+<svg[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_ACTIVE_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
_EMBEDDED = re.compile(r"\s*(#|data:image/(png|jpeg|gif|webp)[;,])", re.IGNORECASE)
_EXTERNAL_CSS = re.compile(r"@import|url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


class Refused(Exception):
    """The bytes may not be stored; the message says why, for the user."""


def raster_type(data: bytes) -> str | None:
    """The extension of a JPEG, PNG, GIF, WebP or AVIF image, from its magic number."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        box = int.from_bytes(data[:4], "big")
        brands = [data[i : i + 4] for i in range(8, min(box, len(data), 64), 4)]  # major, version, compatible
        if {b"avif", b"avis"} & set(brands[:1] + brands[2:]):
            return "avif"
    return None


def _svg_problem(data: bytes) -> str | None:
    """Why an SVG is unsafe to serve from the vault, or None when it is inert."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        return f"SVG is not well-formed XML ({exc.msg})"
    if root.getroottree().docinfo.internalDTD is not None:
        return "SVG declares a DTD (entities are not accepted)"
    if root.tag != SVG_NS + "svg":
        return "not an SVG document"
    for element in root.iter(etree.Element):
        name = etree.QName(element).localname.lower()
        if name in _ACTIVE_ELEMENTS:
            return f"SVG carrying script or foreign content (<{etree.QName(element).localname}>)"
        if name == "style" and _EXTERNAL_CSS.search(element.text or ""):
            return "SVG style loads external resources"
        for attribute, value in element.attrib.items():
            local = etree.QName(attribute).localname.lower()
            if local.startswith("on"):
                return f"SVG carrying script (event handler {local})"
            if "javascript:" in re.sub(r"\s", "", value).lower():
                return "SVG carrying script (javascript: URL)"
            if local == "href" and not _EMBEDDED.match(value):
                return "SVG refers to an external resource"
            if local == "style" and _EXTERNAL_CSS.search(value):
                return "SVG style loads external resources"
    return None


def image_type(data: bytes, content_type: str | None) -> str:
    """The extension to store `data` under; raises Refused with the reason otherwise."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if not data:
        raise Refused("empty image (0 bytes)")
    ext = raster_type(data)
    if ext is None and _SVG_START.match(data[:4096]):
        problem = _svg_problem(data)
        if problem:
            raise Refused(problem)
        ext = "svg"
    if ext is None:
        said = f"server said {declared}" if declared else "no Content-Type"
        raise Refused(f"not a JPEG, PNG, GIF, WebP, AVIF or SVG image ({said}; bytes start {data[:8]!r})")
    allowed = _SVG_TYPES if ext == "svg" else ()
    if not (declared.startswith("image/") or declared in _GENERIC_TYPES or declared in allowed):
        raise Refused(f"server said {declared}, not an image type (the bytes look like {ext})")
    return ext
