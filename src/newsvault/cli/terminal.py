"""Text from feeds, pages and servers made harmless before it reaches a terminal.

Titles, links, reason phrases and error messages are written by whoever runs a
source. Printed raw, an ESC sequence could retitle the window, clear the
screen, recolour or hide what follows, and a newline could forge a summary line
("good: new 99, ok") that a person or a cron mail filter takes for ours. Every
command prints untrusted text through this module, so there is one place that
decides what a terminal may see:

- `visible` spells out every character a terminal or a reader could act on
  instead of show: C0 and C1 controls (newline and tab included), DEL, lone
  surrogates, line and paragraph separators and the bidi controls that reorder
  what is displayed ("Trojan Source"). They become Python-style escapes
  (``\\x1b``, ``\\u202e``), so the text stays one line and still tells what was
  there.
- `visible_lines` does the same for text that is meant to have lines (page
  text, diffs), keeping only its newlines.
- `plain` wraps either as a rich `Text`, which rich never reads as markup or
  emoji codes: a title holding ``[red]`` or ``:warning:`` prints as written.
- `json_line` is JSON whose strings carry those characters as ``\\uXXXX``
  escapes: the same value for a program, nothing raw for a terminal.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from newsvault.config.load import BIDI_CONTROLS

if TYPE_CHECKING:
    from rich.text import Text

# Cc (C0, DEL, C1), Cs (lone surrogates from undecodable bytes), Zl and Zp, and
# the bidi controls: ALM, LRM, RLM, LRE..RLO, LRI..PDI.
# Controls, line and paragraph separators, lone surrogates, and the bidi controls config refuses in names.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + "".join(sorted(BIDI_CONTROLS)) + "]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str) -> str:
    """`text` as one line with every control, separator and bidi character escaped."""
    return _UNSAFE.sub(_escape, text)


def visible_lines(text: str) -> str:
    """`text` with its lines kept and everything else `visible` escapes escaped."""
    return "\n".join(visible(line) for line in text.split("\n"))


def plain(text: str, style: str | None = None) -> Text:
    """One line for rich: escaped, and never parsed for markup, emoji codes or highlighting."""
    from rich.text import Text  # imported when asked: `search` into a pipe prints without rich

    return Text(visible(text), style=style or "")


def json_line(value: object) -> str:
    """`value` as one line of JSON (UTF-8 text kept readable) with nothing a terminal acts on left raw."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))
