"""The 2020 layout: every article of the snapshot is read, every list regenerated.

Files are read in binary and names listed from the directory, so names with
spaces, ``|``, ``:``, ``?`` and long CJK runs reach the code as they are on disk.
"""

from __future__ import annotations

import ast
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsvault.archive import LegacyListFile, format_legacy_list, legacy_link, parse_article, parse_legacy_file_name
from newsvault.base import js_trim

SNAPSHOT = "corpus/duty-machine-news/snapshot-2020-07-20"
DATA = Path(__file__).parent / "data" / "render"
OUTLETS = ["BBC", "中国数字时代", "法广", "纽约时报", "美国之音", "路透", "金融时报"]


@pytest.fixture(scope="module")
def snapshot(shared) -> dict[str, dict[str, bytes]]:
    """outlet -> file name -> bytes, checked against the snapshot's MANIFEST."""
    root = shared / SNAPSHOT
    manifest = {}
    for line in (root / "MANIFEST.tsv").read_text("utf-8").splitlines()[1:]:
        path, _blob, size, _sha = line.split("\t")
        manifest[ast.literal_eval(path)] = int(size)
    tree: dict[str, dict[str, bytes]] = {}
    for outlet in sorted(os.listdir(root / "articles")):
        folder = root / "articles" / outlet
        tree[outlet] = {name: (folder / name).read_bytes() for name in os.listdir(folder)}
    on_disk = {f"articles/{o}/{n}": len(b) for o, files in tree.items() for n, b in files.items()}
    assert on_disk == {p: s for p, s in manifest.items() if p.startswith("articles/")}
    return tree


def test_snapshot_has_the_expected_outlets(snapshot):
    assert sorted(snapshot) == sorted(OUTLETS)
    assert sum(map(len, snapshot.values())) == 3767


@pytest.mark.parametrize("outlet", OUTLETS)
def test_legacy_list_regenerates_byte_for_byte(shared, snapshot, outlet):
    files = [LegacyListFile(name, parse_article(data).ms) for name, data in snapshot[outlet].items()]
    expected = (shared / SNAPSHOT / "lists" / f"{outlet}.md").read_bytes()
    assert format_legacy_list(outlet, files) == expected


def test_every_snapshot_article_parses(snapshot):
    kinds = {"dated": 0, "old cdt": 0}
    for outlet, files in snapshot.items():
        for name, data in files.items():
            parsed = parse_article(data)
            ident, title = parse_legacy_file_name(name)
            assert 0 < ident < 0xFFFFF, name
            # The file name is the title as written, "/" replaced by "--".
            assert parsed.title.replace("/", "--") == title, name
            assert parsed.url.startswith(("https://", "http://")), name
            assert parsed.body and "\n" not in parsed.body, name
            text = data.decode("utf-8")
            if parsed.ms is not None:
                kinds["dated"] += 1
                assert text.startswith(f"<!--{parsed.ms}-->\n[{parsed.title}]({parsed.url})\n"), name
                assert parsed.date_text is None
                # These files were written by the same rules as the final format.
                assert parsed.canonical, name
            else:
                kinds["old cdt"] += 1
                assert outlet == "中国数字时代", name
                assert text.startswith(f"[{parsed.title}]({parsed.url})\n------\n日期：{parsed.date_text}\n\n")
                assert text.endswith(f"\n\n{parsed.body}\n")
                assert not parsed.canonical
    assert kinds == {"dated": 3767 - 165, "old cdt": 165}


def test_old_cdt_dates_are_rfc_2822(snapshot):
    dates = [
        parse_article(data).date_text for data in snapshot["中国数字时代"].values() if parse_article(data).ms is None
    ]
    assert len(dates) == 165
    assert all(re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", d) for d in dates)


def test_snapshot_names_with_special_characters(snapshot):
    names = [n for files in snapshot.values() for n in files]
    assert sum("|" in n for n in names) == 190
    assert sum(":" in n for n in names) == 31  # PROVENANCE counts 57 with the withheld outlets
    assert sum("?" in n for n in names) == 21
    assert parse_legacy_file_name("398095_【立此存照】新华网 |中国科学院.md") == (
        398095,
        "【立此存照】新华网 |中国科学院",
    )
    assert legacy_link("中国数字时代", "398095_新华网 |中国.md") == "/articles/中国数字时代/398095_新华网%20%7C中国.md"


def test_legacy_link_matches_node_url_resolve():
    fixture = json.loads((DATA / "node_legacy_url_resolve.json").read_text("utf-8"))
    mismatches = [
        (name, want, legacy_link(fixture["outlet"], name))
        for name, want in fixture["cases"]
        if legacy_link(fixture["outlet"], name) != want
    ]
    assert len(fixture["cases"]) == 158 and mismatches == []


def test_legacy_list_with_newline_title_cr_and_no_date():
    """What the withheld 德国之声 and 自由亚洲电台 folders contain (see PROVENANCE)."""
    cr_article = b"<!--1593476000000-->\n[t](https://www.rfa.org/x.html)\n------\n\n<p>a\rb</p>\n"
    files = [
        LegacyListFile("1048198_德语媒体：北京的快速回应\n\n.md", 1593475200000),
        LegacyListFile("1048199_ 两边有空格 .md", None),
        LegacyListFile("1048200_a--b?c.md", parse_article(cr_article).ms),
        LegacyListFile("not-an-article.txt", 0),
    ]
    assert parse_article(cr_article).body == "<p>a\rb</p>" and parse_article(cr_article).canonical
    assert format_legacy_list("德国之声", files[::-1]).decode() == (
        "德国之声\n------\n\n"
        "6-30 [德语媒体：北京的快速回应](/articles/德国之声/1048198_德语媒体：北京的快速回应%0A%0A.md)\n\n"
        "[两边有空格](/articles/德国之声/1048199_%20两边有空格%20.md)\n\n"
        "6-30 [a--b?c](/articles/德国之声/1048200_a--b?c.md)\n\n\n"
        "[查看更多](/articles/德国之声)"
    )


def test_legacy_list_takes_the_first_100_in_byte_order():
    files = [LegacyListFile(f"{i}_t{i}.md", None) for i in range(1000000, 1000150)]
    files.append(LegacyListFile("999999_sorts_last.md", None))
    text = format_legacy_list("x", files).decode()
    assert text.count("](/articles/x/") == 100
    assert "999999" not in text and "1000099_" in text and "1000100_" not in text


CHINA = timezone(timedelta(hours=8))
_LEGACY_ENTRY = re.compile(r"(?:([0-9]+)-([0-9]+) )?\[([\s\S]*?)\]\(/articles/[^/]+/([^)]*)\)\n")
_UNESCAPE = {f"%{ord(c):02X}": c for c in "\t\n\r \"'<>\\^`{|}"}
# a640784c predates strip(title): its lists show three titles with a trailing space.
_UNSTRIPPED = {("a640784c", "德国之声"), ("a640784c", "自由亚洲电台")}


def _files_named_by(list_text: str) -> list[LegacyListFile]:
    """File names recovered from the links, dates as noon (China) of each M-D."""
    files = []
    for month, day, _title, link in _LEGACY_ENTRY.findall(list_text.split("\n------\n\n", 1)[1]):
        name = re.sub(r"%[0-9A-F]{2}", lambda m: _UNESCAPE.get(m.group(), m.group()), link)
        ms = int(datetime(2020, int(month), int(day), 12, tzinfo=CHINA).timestamp() * 1000) if month else None
        files.append(LegacyListFile(name, ms))
    return files


@pytest.mark.parametrize("commit", ["e2ed987e", "90eda74d", "a640784c", "65ec0487"])
def test_history_lists_regenerate_from_the_files_they_name(shared, commit):
    """The four format-evolution commits of June 2020 keep lists but no articles."""
    root = shared / "corpus/duty-machine-news/history-2020/format-evolution" / commit / "lists"
    for path in sorted(root.iterdir()):
        outlet, data = path.stem, path.read_bytes()
        files = _files_named_by(data.decode())
        assert files, outlet
        generated = format_legacy_list(outlet, files)
        if (commit, outlet) in _UNSTRIPPED:
            assert generated != data
            trimmed = re.sub(r"\[([^\]]*)\]\(", lambda m: f"[{js_trim(m.group(1))}](", data.decode())
            assert generated == trimmed.encode(), outlet
        else:
            assert generated == data, outlet
