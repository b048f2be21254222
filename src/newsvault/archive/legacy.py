"""The 2020 layout (``articles/<name>/<id>_<title>.md``, 100-entry lists).

newsvault never writes this layout for new articles, but the old tree must be
readable and its lists reproducible: they are how we prove that an imported
archive was read completely and in the right order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from newsvault.archive.lists import list_date
from newsvault.base.text import encode_utf8, js_trim

LEGACY_LIST_SIZE = 100
# /^\d+_([\s\S]+)\.md$/ of the original; \Z because Python's $ also matches before a final LF.
_FILE_NAME = re.compile(r"([0-9]+)_([\s\S]+)\.md\Z")
# Characters Node's legacy url.parse escapes even though encodeURIComponent would not
# be asked to (its "autoEscape" list).
_AUTO_ESCAPE = {c: f"%{ord(c):02X}" for c in "\t\n\r \"'<>\\^`{|}"}


@dataclass(frozen=True)
class LegacyListFile:
    file_name: str  # the name in articles/<name>/, e.g. "1047747_标题.md"
    ms: int | None  # parse_article(...).ms of its content


def parse_legacy_file_name(file_name: str) -> tuple[int, str] | None:
    """``(id, title)`` of a 2020 file name; the title keeps ``--`` for ``/``.

    None for names the original's list code would have choked on.
    """
    match = _FILE_NAME.match(file_name)
    return None if match is None else (int(match.group(1)), match.group(2))


def legacy_link(name: str, file_name: str) -> str:
    """The list link ``/articles/`` + Node's ``url.resolve('', name + '/' + file)``.

    Only the parts of legacy url.parse that a relative ``<name>/<file>`` path can
    reach: backslashes before ``?``/``#`` become ``/``, the auto-escape set is
    percent-encoded, dot segments are resolved. Non-ASCII stays as it is.
    """
    relative = f"{name}/{file_name}"
    split = min((i for i in (relative.find("?"), relative.find("#")) if i >= 0), default=len(relative))
    path, tail = relative[:split].replace("\\", "/"), relative[split:]
    escaped = "".join(_AUTO_ESCAPE.get(c, c) for c in _remove_dot_segments(path) + tail)
    return f"/articles/{escaped}"


def _remove_dot_segments(path: str) -> str:
    """Node's resolveObject for a relative path: ``.`` dropped, ``..`` pops, excess ``..`` kept."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == ".." and kept and kept[-1] != "..":
            kept.pop()
        else:
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/".join(kept)


def format_legacy_list(name: str, files: Iterable[LegacyListFile]) -> bytes:
    """Render a 2020 ``lists/<name>.md`` from the files of ``articles/<name>/``.

    Like the original (``readdirSync`` order, then ``slice(0, 100)``) this sorts the
    names by their UTF-8 bytes and takes the first 100 itself. Names without the
    ``<id>_<title>.md`` shape are skipped; the original crashed on them.
    """
    named = [(f, parsed[1]) for f in files if (parsed := parse_legacy_file_name(f.file_name))]
    named.sort(key=lambda pair: pair[0].file_name.encode("utf-8", "surrogateescape"))
    items = "\n".join(
        f"{_date_prefix(f.ms)}[{js_trim(title)}]({legacy_link(name, f.file_name)})\n"
        for f, title in named[:LEGACY_LIST_SIZE]
    )
    return encode_utf8(f"{name}\n------\n\n{items}\n\n[查看更多](/articles/{name})")


def _date_prefix(ms: int | None) -> str:
    return "" if ms is None else f"{list_date(ms)} "
