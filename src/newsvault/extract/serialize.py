"""HTML fragments serialised as the HTML standard's algorithm does.

The original archive took CDT bodies with a browser-grade DOM library and its
`innerHTML`; lxml's own serialiser differs (entities, attribute quoting), so
stored bodies would not match. The algorithm is short enough to state here.
"""

from __future__ import annotations

from lxml import etree

VOID = frozenset(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr".split()
)
RAW_TEXT = frozenset("style script xmp iframe noembed noframes plaintext".split())


def _escape_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(s: str) -> str:
    return s.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace('"', "&quot;")


def _local(name: str) -> str:
    """A tag's or attribute's name without its namespace. Not `etree.QName`, which also validates the name, and an
    HTML parser keeps names XML refuses (an attribute `target<math` from broken markup raised ValueError)."""
    return name.rpartition("}")[2]


def _tag(el: etree._Element) -> str:
    return _local(el.tag) if isinstance(el.tag, str) else ""


def _outer(el: etree._Element, out: list[str], raw_parent: bool) -> None:
    if isinstance(el, etree._Comment):
        out.append(f"<!--{el.text or ''}-->")
    elif isinstance(el, etree._ProcessingInstruction):
        out.append(f"<?{el.target} {el.text or ''}>")
    elif isinstance(el.tag, str):
        name = _tag(el)
        out.append("<" + name)
        for key, value in el.attrib.items():
            out.append(f' {_local(key)}="{_escape_attr(value)}"')
        out.append(">")
        if name not in VOID:
            _inner(el, out, name in RAW_TEXT)
            out.append(f"</{name}>")
    if el.tail:
        out.append(el.tail if raw_parent else _escape_text(el.tail))


def _inner(el: etree._Element, out: list[str], raw: bool) -> None:
    if el.text:
        out.append(el.text if raw else _escape_text(el.text))
    for child in el:
        _outer(child, out, raw)


def inner_html(el: etree._Element) -> str:
    """The element's innerHTML."""
    out: list[str] = []
    _inner(el, out, _tag(el) in RAW_TEXT)
    return "".join(out)
