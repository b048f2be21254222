"""OPML 2.0, the subscription list every feed reader exports and imports.

Read with lxml rather than listparser: listparser keeps only each feed's URL,
title and categories, so the `newsvault:abbr` attribute (the archive folder,
which OPML has no place for) would be lost and a round trip between two vaults
would rename every outlet's folder; lxml is already how newsvault reads XML,
with entities, DTDs and the network off. `recover` reads the slightly broken
files some readers export.

Outlets are `<outline type="rss">` with `text` and `title` (the name),
`xmlUrl`, and newsvault's own namespaced `abbr`, `body` and `link` (and
`enabled="false"` for an outlet switched off), which other readers ignore; an
outlet's `category` is the folder outline it sits in, which is how feed readers
show and import folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from newsvault.config import Source

NS = "https://github.com/newsvault/newsvault"
_ABBR = f"{{{NS}}}abbr"
_ENABLED = f"{{{NS}}}enabled"
SETTINGS = ("body", "link")  # where an outlet's bodies and links come from: written out, read back


class OpmlError(Exception):
    """The file is not an OPML subscription list."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None
    abbr: str | None  # newsvault's own attribute, when a vault exported the list
    category: str | None  # the folders it sits in, joined by "/"; else its first `category` attribute
    enabled: bool = True
    settings: dict[str, str] = field(default_factory=dict)  # SETTINGS the file states


def format_opml(sources: Iterable[Source], title: str = "newsvault sources") -> bytes:
    """An OPML 2.0 document of `sources`, in their order, grouped into their categories' folders."""
    root = etree.Element("opml", version="2.0", nsmap={"newsvault": NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for source in sources:
        parent = body
        if source.category:
            if source.category not in folders:
                folders[source.category] = etree.SubElement(body, "outline", text=source.category)
            parent = folders[source.category]
        outline = etree.SubElement(
            parent, "outline", type="rss", text=source.name, title=source.name, xmlUrl=source.feed
        )
        outline.set(_ABBR, source.abbr)
        for key in SETTINGS:
            outline.set(f"{{{NS}}}{key}", getattr(source, key))
        if not source.enabled:
            outline.set(_ENABLED, "false")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _attr(element: etree._Element, name: str) -> str | None:
    """An attribute by its name in any case (readers write xmlUrl, xmlurl and XMLURL); None when blank."""
    wanted = name.lower()
    for key, value in element.attrib.items():
        if isinstance(key, str) and key.lower() == wanted and value.strip():
            return str(value).strip()
    return None


def _category(element: etree._Element, folders: list[str]) -> str | None:
    if folders:
        return "/".join(folders)
    first = (_attr(element, "category") or "").split(",", 1)[0].strip().strip("/")
    return first or None


def _walk(parent: etree._Element, folders: list[str], out: list[OpmlFeed]) -> None:
    for outline in parent.iterchildren("outline"):
        url = _attr(outline, "xmlUrl")
        label = _attr(outline, "text") or _attr(outline, "title")
        if url is not None:
            enabled = (outline.get(_ENABLED) or "true").strip().lower() != "false"
            settings = {key: value for key in SETTINGS if (value := outline.get(f"{{{NS}}}{key}"))}
            out.append(OpmlFeed(url, label, outline.get(_ABBR), _category(outline, folders), enabled, settings))
        _walk(outline, [*folders, label] if url is None and label else folders, out)


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every feed outline of an OPML file, at any depth, in document order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not XML ({exc.msg})") from None
    # The tag's local name by hand: a recovered document's root can be named anything (`nv:enabled`, with an
    # unbound prefix), which etree.QName refuses with a ValueError.
    if root is None or not isinstance(root.tag, str) or root.tag.rpartition("}")[2].lower() != "opml":
        raise OpmlError("not an OPML file (no <opml> element)")
    out: list[OpmlFeed] = []
    for body in root.iterchildren("body"):
        _walk(body, [], out)
    return out
