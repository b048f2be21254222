"""The fixture pages whose main text is known, and how extracted text is scored against it.

Scores are over character bigrams (counted with multiplicity), which suits
Chinese, where there are no word boundaries to split on, and which does not
punish an extractor for line breaks or spacing the gold text lays out differently.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import lxml.html

PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "pages"
_GNE_BLOCK = re.compile(r">{5,}([^>\s]+)>{5,}\n(.*?)\n<{5,}", re.DOTALL)


def _bigrams(text: str) -> Counter[str]:
    chars = "".join(text.split())
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def overlap(gold: str, got: str) -> tuple[float, float]:
    """(recall, precision) of `got` against `gold`."""
    want, have = _bigrams(gold), _bigrams(got)
    common = sum((want & have).values())
    return common / max(sum(want.values()), 1), common / max(sum(have.values()), 1)


def _html_text(path: Path) -> str:
    return lxml.html.fragment_fromstring(path.read_text("utf-8"), create_parent="div").text_content()


def _gne(name: str) -> str:
    blocks = dict(_GNE_BLOCK.findall((PAGES / "other_zh/gne_result.expected.txt").read_text("utf-8")))
    return json.loads(blocks[name])["content"]


def gold_pages() -> Iterator[tuple[Path, str]]:
    """(page, its known main text) for every fixture page that has one."""
    bbc = PAGES / "bbc_chinese"
    stem = "bbc_zhongwen_simp_121210_hongkong_politics"
    yield bbc / f"newspaper3k_{stem}.html", (bbc / f"newspaper3k_{stem}.expected.txt").read_text("utf-8")
    # goose3's own expected text is cut short, so its capture is scored against the full text too.
    yield bbc / f"goose3_{stem}.html", (bbc / f"newspaper3k_{stem}.expected.txt").read_text("utf-8")
    other = PAGES / "other_zh"
    for name in ("gmw", "pixnet", "qq", "youth"):
        yield other / f"readability_{name}.html", _html_text(other / f"readability_{name}.expected.html")
    yield other / "gne_guancha.html", _gne("tests/guancha/guancha.html")
    yield other / "gne_sina.html", _gne("tests/sina/sina.html")
