"""The site's relative links and page language: as the slower general functions they replaced decided them."""

from __future__ import annotations

import posixpath
import random
from urllib.parse import quote

from newsvault.render.site.lang import script_lang
from newsvault.render.site.paths import href

SIMPLIFIED = "这国说为时会个们来对发经过东华报学门关长开问还进动与从现实见该网"
TRADITIONAL = "這國說為時會個們來對發經過東華報學門關長開問還進動與從現實見該網"


def _relpath_href(from_page: str, to_page: str) -> str:
    """The oracle: posixpath.relpath, which href replaced for its cost."""
    return quote(posixpath.relpath(to_page, posixpath.dirname(from_page) or "."), safe="/.-_~#")


def test_href_is_relpath_for_every_shape_of_site_path() -> None:
    rng = random.Random(14)
    folders = ["voa", "rfi", "2020-07", "a", "美国"]
    for _ in range(50_000):
        here = "/".join(rng.choice(folders) for _ in range(rng.randint(0, 3)))
        page = f"{here}/{rng.choice(['index.html', 'p.html', 'q.versions.html'])}".lstrip("/")
        target = "/".join(rng.choice([*folders, "index.html", "site.css"]) for _ in range(rng.randint(1, 4)))
        target += rng.choice(["", "#top", "/"])
        assert href(page, target) == _relpath_href(page, target), (page, target)


def test_href_examples() -> None:
    assert href("voa/2020-07/1.html", "voa/index.html") == "../index.html"
    assert href("index.html", "美国/index.html") == "%E7%BE%8E%E5%9B%BD/index.html"
    assert href("voa/index.html", "voa/") == "."


def _counted(text: str) -> str:
    head = text[:4000]
    simplified = sum(char in SIMPLIFIED for char in head)
    traditional = sum(char in TRADITIONAL for char in head)
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def test_script_lang_counts_as_a_loop_over_the_characters_would() -> None:
    rng = random.Random(7)
    pool = SIMPLIFIED + TRADITIONAL + "的了是在中文ab "
    for _ in range(5_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 5000)))
        assert script_lang(text) == _counted(text)
    assert script_lang("這是國際新聞") == "zh-Hant" and script_lang("这是国际新闻") == "zh-Hans"
