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

from tests.reference import SHARED, reference

# ../shared's page fixtures, all of them (bench/bench_extract.py measures every page); tests take one by page().
PAGES = SHARED / "fixtures" / "pages"
_GNE_BLOCK = re.compile(r">{5,}([^>\s]+)>{5,}\n(.*?)\n<{5,}", re.DOTALL)
_BBC = "bbc_chinese/newspaper3k_bbc_zhongwen_simp_121210_hongkong_politics"

# Every fixture page whose main text is known (path under fixtures/pages) -> the file holding that text, and for
# GeneralNewsExtractor's expectations the name of its block. goose3's own expected text for the BBC page is cut
# short, so its capture is scored against newspaper3k's full text too.
GOLD: dict[str, tuple[str, str | None]] = {
    f"{_BBC}.html": (f"{_BBC}.expected.txt", None),
    "bbc_chinese/goose3_bbc_zhongwen_simp_121210_hongkong_politics.html": (f"{_BBC}.expected.txt", None),
    **{
        f"other_zh/readability_{name}.html": (f"other_zh/readability_{name}.expected.html", None)
        for name in ("gmw", "pixnet", "qq", "youth")
    },
    "other_zh/gne_guancha.html": ("other_zh/gne_result.expected.txt", "tests/guancha/guancha.html"),
    "other_zh/gne_sina.html": ("other_zh/gne_result.expected.txt", "tests/sina/sina.html"),
}


def page(relative: str) -> Path:
    """A fixture page by its path under fixtures/pages: tests/data/shared's copy, else ../shared's; else skip."""
    return reference(f"fixtures/pages/{relative}")


def _bigrams(text: str) -> Counter[str]:
    chars = "".join(text.split())
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def overlap(gold: str, got: str) -> tuple[float, float]:
    """(recall, precision) of `got` against `gold`."""
    want, have = _bigrams(gold), _bigrams(got)
    common = sum((want & have).values())
    return common / max(sum(want.values()), 1), common / max(sum(have.values()), 1)


def gold_text(name: str) -> str:
    """The known main text of the page GOLD names."""
    source, block = GOLD[name]
    path = page(source)
    if block is not None:
        return json.loads(dict(_GNE_BLOCK.findall(path.read_text("utf-8")))[block])["content"]
    if path.suffix == ".html":
        return lxml.html.fragment_fromstring(path.read_text("utf-8"), create_parent="div").text_content()
    return path.read_text("utf-8")


def gold_pages() -> Iterator[tuple[Path, str]]:
    """(page, its known main text) for every fixture page that has one."""
    for name in GOLD:
        yield page(name), gold_text(name)
