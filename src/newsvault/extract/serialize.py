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


def _open(el: etree._Element, out: list[str]) -> bool:
    """Write a node's start (a whole comment, instruction or void element); whether its children follow."""
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
            _text(el.text, out, name in RAW_TEXT)
            return True
    return False


def _text(text: str | None, out: list[str], raw: bool) -> None:
    if text:
        out.append(text if raw else _escape_text(text))


def inner_html(el: etree._Element) -> str:
    """The element's innerHTML.

    Walked with a stack of its own, not by recursion: a page nesting ~500
    elements deep exhausted Python's recursion limit, and the article's page
    failed every run with an internal error.
    """
    out: list[str] = []
    _text(el.text, out, _tag(el) in RAW_TEXT)
    open_elements = [(el, iter(el), _tag(el) in RAW_TEXT)]  # each with its children still to write
    while open_elements:
        parent, children, raw = open_elements[-1]
        child = next(children, None)
        if child is None:
            open_elements.pop()
            if open_elements:  # a descendant of `el`: closed, then its tail, in its own parent's context
                out.append(f"</{_tag(parent)}>")
                _text(parent.tail, out, open_elements[-1][2])
        elif _open(child, out):
            open_elements.append((child, iter(child), _tag(child) in RAW_TEXT))
        else:
            _text(child.tail, out, raw)
    return "".join(out)
