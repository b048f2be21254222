"""What the archive writes stays well-formed whatever the titles, links and outlet names (issue 13, items 5-9).

A hostile source is served from 127.0.0.1 beside a good one and the real
`newsvault run` archives both; every list and article header it writes is then
rendered with GitHub's own renderer (cmark-gfm, through `cmarkgfm`, raw HTML
let through so that any that leaks shows), and each list entry must be exactly
one link, each header the date comment and one link with the stored title and
link, no link anywhere `javascript:` or `data:`, and `verify` must pass.
Outlet names and abbreviations that cannot be files are refused by the config
with one line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import cmarkgfm
import lxml.html
import pytest
from cmarkgfm.cmark import Options

from newsvault.archive import format_article
from newsvault.archive.article import read_header
from newsvault.archive.ids import article_path
from newsvault.archive.markdown import escape_link, escape_title, one_line, unescape_link, unescape_title
from newsvault.render.tree import escaped
from newsvault.render.verify import Kind, verify
from newsvault.store import articles as store_articles
from tests.vaults import open_vault, rss, rss_item, write_vault

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))

# The red team's titles and the rest of what Markdown could take for structure.
HOSTILE_TITLES = [
    "Line1\nLine2\n------\n\n<!--1-->",
    "A](javascript:alert(1)) B",
    "<script>alert(1)</script>标题",
    "<!-- 注释没有结尾",
    "竖线 | 表格 | 标题",
    "|---|---|",
    "反引号 `code` 与 `` 多个 ` 单个",
    "# 井号开头",
    "------",
    "=====",
    "*强调* 与 _下划线_ 和 **粗体** ~删除~ $数学$",
    "> 引用开头",
    "- 列表 + 加号 1. 有序",
    "结尾反斜杠\\",
    "\\[已转义\\] 与 \\\\ 双 与 C:\\dir",
    "\u202e反向覆盖\u202c 与 \u2066隔离\u2069 与 \u200f",
    "[视频] 方括号 [a](http://x.example/) ![图](http://y.example/i.png) [ref][ref]",
    "[ref]: javascript:alert(1)",
    "&quot;实体&amp; &#x3c;script&#x3e;",
    "行\r回车\r\n两个\u2028分隔\u2029段\x0b垂直\x0c换页\x85下一行",
    "<http://autolink.example/> 与 <a@b.example> 与 www.bare.example",
    "    缩进四格",
    "! 感叹号 ![",
]
# Links a WHATWG href keeps as they are but a Markdown link destination would not.
HOSTILE_LINKS = [
    "https://bad.example/a)b",
    "https://bad.example/((x",
    "https://bad.example/?q=a\\)",
    "https://bad.example/?q=`x`",
    "https://bad.example/?q=&amp;x",
    "https://bad.example/" + "(" * 40 + "x" + ")" * 40,
]
REFUSED_LINKS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)"]
DATE = "2024-05-01T12:00:00Z"
RSS_DATE = "Wed, 01 May 2024 12:00:00 GMT"


def newsvault(vault: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEWSVAULT, "--vault", str(vault), *args], capture_output=True, text=True, timeout=240, check=False
    )


def good_feed() -> bytes:
    return rss(
        rss_item("好消息", "https://good.example/1", RSS_DATE, "<p>一</p>"),
        rss_item("又一条", "https://good.example/2", "Wed, 01 May 2024 11:00:00 GMT", "<p>二</p>"),
    )


def hostile_feed(suffix: str = "") -> bytes:
    """A JSON Feed: JSON carries every character (XML 1.0 refuses VT, FF and most controls)."""
    items: list[dict[str, Any]] = [
        {
            "id": f"t{n}",
            "url": f"https://bad.example/t{n}",
            "title": title + suffix,
            # A reference definition in the body would make balanced brackets in a title a link.
            "content_html": "[视频]: javascript:alert(1)",
            "date_published": DATE,
        }
        for n, title in enumerate(HOSTILE_TITLES)
    ]
    items += [
        {"id": f"l{n}", "url": link, "title": f"链接 {n}", "content_html": "<p>正文</p>", "date_published": DATE}
        for n, link in enumerate(HOSTILE_LINKS)
    ]
    items += [
        {"id": f"r{n}", "url": link, "title": f"拒绝 {n}", "content_html": "<p>正文</p>", "date_published": DATE}
        for n, link in enumerate(REFUSED_LINKS)
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "坏", "items": items}).encode()


def markdown(data: bytes) -> lxml.html.HtmlElement:
    """The file as GitHub renders it, raw HTML included, under one <div>."""
    html = cmarkgfm.github_flavored_markdown_to_html(data.decode("utf-8"), options=Options.CMARK_OPT_UNSAFE)
    return lxml.html.fragment_fromstring(html, create_parent="div")


def one_link(element: lxml.html.HtmlElement) -> tuple[str, str]:
    """(href, text) of an element that holds one link and nothing else but plain text before it.

    The href percent-decoded: cmark percent-encodes what it does not keep in an
    href (a backslash, a backtick, non-ASCII), GitHub as well; it is the same link.
    """
    children = list(element)  # comments and raw HTML elements count
    assert len(children) == 1 and children[0].tag == "a", lxml.html.tostring(element, encoding="unicode")
    link = children[0]
    assert len(link) == 0 and not (link.tail or "").strip(), lxml.html.tostring(element, encoding="unicode")
    return unquote(link.get("href")), link.text or ""


def run_hostile(tmp_path: Path, server) -> tuple[Path, list[Any]]:  # type: ignore[no-untyped-def]
    """Two runs (the second retitles every hostile item: versions and the edited list) beside a good source."""
    sources = {
        "good": {"name": "好", "feed": server.set("/good.xml", good_feed())},
        "bad": {"name": "坏", "feed": server.set("/bad.json", hostile_feed()), "body": "content:encoded"},
    }
    vault = write_vault(tmp_path, sources, timeout=30, archive={"shard_by_month": True, "monthly_lists": True})
    first = newsvault(vault, "run")
    assert "no content:encoded body" not in first.stdout, first.stdout
    server.set("/bad.json", hostile_feed(" 改"))
    newsvault(vault, "run")
    check = newsvault(vault, "verify")
    assert check.returncode == 0, check.stdout + check.stderr
    config, engine = open_vault(vault)
    with engine.connect() as conn:
        rows = [dict(r) for abbr in ("good", "bad") for r in store_articles.for_render(conn, abbr)]
    assert sorted(r["title"] for r in rows if r["source"] == "good") == ["又一条", "好消息"]
    return config.archive, rows


def test_hostile_titles_leave_one_link_per_list_entry(tmp_path, server):
    """Item 5: newlines, `<!--`, `<script>` and the rest: every list line is exactly one link with the title."""
    archive, rows = run_hostile(tmp_path, server)
    expected = {f"/{article_path(r['source'], r['archive_id'], r['path'], r['shard'])}": r for r in rows}
    lists = sorted((archive / "lists").rglob("*.md"))
    names = {p.relative_to(archive).as_posix() for p in lists}
    assert {"lists/坏.md", "lists/好.md", "lists/已修改.md"} <= names
    seen = set()
    for path in lists:
        data = path.read_bytes()
        root = markdown(data)
        heading, *entries = list(root)
        assert heading.tag == "h2" and len(heading) == 0, path
        lines = data.decode().split("\n------\n\n", 1)[1].rstrip("\n").split("\n\n")
        assert len(entries) == len([line for line in lines if line]), path  # a paragraph per line and entry
        for entry in entries:
            assert entry.tag == "p", path
            if path.name == "README.md":  # lists/<name>/README.md: "[yyyy-mm](yyyy-mm.md) N 篇"
                assert [e.tag for e in entry] == ["a"], path
                continue
            href, text = one_link(entry)
            assert re.fullmatch(r"[0-9]{1,2}-[0-9]{1,2} ", entry.text or ""), (path, entry.text)
            assert text == one_line(expected[href]["title"]), (path, text)
            seen.add(href)
    assert seen == set(expected)


def test_hostile_titles_and_links_leave_a_five_line_header_that_reads_back(tmp_path, server):
    """Item 6: a six-line header or a title's own link is impossible; the header reads back to the store."""
    archive, rows = run_hostile(tmp_path, server)
    files = [(archive / article_path(r["source"], r["archive_id"], r["path"], r["shard"]), r) for r in rows]
    versions = sorted((archive / "versions").rglob("*.md"))
    assert len(versions) == len(HOSTILE_TITLES)  # the first titles, now earlier versions
    for path, row in files:
        data = path.read_bytes()
        assert data.count(b"\n") == 5 and data.split(b"\n")[2:4] == [b"------", b""], path
        assert read_header(data) == (one_line(row["title"]), row["link"]), path
        comment, heading, *_ = list(markdown(data))
        assert isinstance(comment, lxml.html.HtmlComment) and comment.text == str(row["date_ms"]), path
        assert heading.tag == "h2" and one_link(heading) == (unquote(row["link"]), one_line(row["title"])), path
    for path in versions:
        data = path.read_bytes()
        header = read_header(data)
        assert header is not None and data.count(b"\n") == 5, path
        comment, heading, *_ = list(markdown(data))
        assert heading.tag == "h2" and one_link(heading) == (unquote(header[1]), header[0]), path
        assert header[0].removesuffix(" 改") in {one_line(t) for t in HOSTILE_TITLES}


def test_no_javascript_or_data_link_anywhere_in_the_tree(tmp_path, server):
    archive, rows = run_hostile(tmp_path, server)
    assert not any(r["link"].startswith(("javascript:", "data:", "vbscript:")) for r in rows)
    assert len([r for r in rows if r["source"] == "bad"]) == len(HOSTILE_TITLES) + len(HOSTILE_LINKS)
    targets = []
    for path in sorted(archive.rglob("*.md")):
        root = markdown(path.read_bytes())
        targets += [(path, v) for e in root.iter() if e.tag in ("a", "img") for v in (e.get("href"), e.get("src"))]
    assert targets
    for path, target in targets:
        assert target is None or not re.match(r"\s*(javascript|data|vbscript):", target, re.I), (path, target)


def test_verify_names_a_header_that_does_not_read_back(tmp_path, server, monkeypatch):
    """Item 6's second half: a tree holding the bytes render writes is not enough, its headers must read back.

    The original's header (what newsvault wrote before) is put into the tree and
    into what verify expects: only the hostile titles and links are named, as
    header problems, and the good articles (whose header is the same either way) pass.
    """
    from newsvault.render import verify as verify_module

    archive, rows = run_hostile(tmp_path, server)
    config, engine = open_vault(tmp_path)

    def unescaped(row):  # type: ignore[no-untyped-def]
        return format_article(row["date_ms"], row["title"], row["link"], row["body"])

    differ = set()
    for row in rows:
        path = article_path(row["source"], row["archive_id"], row["path"], row["shard"])
        (archive / path).write_bytes(unescaped(row))
        if unescaped(row) != format_article(row["date_ms"], row["title"], row["link"], row["body"], escaped=True):
            differ.add(path)
    monkeypatch.setattr(verify_module, "article_bytes", unescaped)
    problems = list(verify(engine, config))
    assert {p.kind for p in problems} == {Kind.HEADER}
    assert {p.where for p in problems} == differ
    # The red team's two and the other hostile titles and links; not those written the same either way ("|", "# ").
    red_team = {
        article_path(r["source"], r["archive_id"], r["path"], r["shard"])
        for r in rows
        if r["title"].startswith(("Line1", "A](javascript"))
    }
    assert len(red_team) == 2 and red_team < differ
    assert len(differ) > 10 and not any(p.startswith("articles/good/") for p in differ)


def test_verify_cli_prints_the_header_problem_beside_the_difference(tmp_path, server):
    archive, rows = run_hostile(tmp_path, server)
    row = next(r for r in rows if r["title"].startswith("Line1"))
    path = archive / article_path(row["source"], row["archive_id"], row["path"], row["shard"])
    path.write_bytes(format_article(row["date_ms"], row["title"], row["link"], row["body"]))
    result = newsvault(tmp_path, "verify")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    where = path.relative_to(archive).as_posix()
    assert f"{where}: differs from the store" in result.stdout
    assert f"{where}: header does not read back as one link with the stored title and link" in lines


def _refused(tmp_path: Path, server, sources: dict[str, dict[str, object]], message: str) -> str:  # type: ignore[no-untyped-def]
    """`run` and `verify` stop at the config with one line naming the problem, no traceback."""
    sources = {"good": {"name": "好", "feed": server.set("/good.xml", good_feed())}, **sources}
    vault = write_vault(tmp_path, sources)
    for command in ("run", "verify"):
        result = newsvault(vault, command)
        assert result.returncode != 0, result.stdout
        error = result.stderr.strip()
        assert "Traceback" not in error and len(error.splitlines()) == 1, error
        assert message in error, error
    assert not (tmp_path / "archive").exists()
    return error


def test_an_outlet_name_too_long_for_a_file_is_refused_in_one_line(tmp_path, server):
    """Item 7: over 255 bytes with ".md" the list cannot exist; the config says so instead of a traceback."""
    feed = server.set("/x.xml", good_feed())
    error = _refused(tmp_path, server, {"long": {"name": "好" * 85, "feed": feed}}, "not usable as a list file name")
    assert "258 bytes in UTF-8 with '.md'" in error
    _refused(tmp_path / "b", server, {"a" * 251: {"name": "长", "feed": feed}}, "not usable as a folder name")
    _refused(tmp_path / "c", server, {"a" * 201: {"name": "长", "feed": feed}}, "more than the store's 200")


def test_the_longest_names_that_fit_are_archived_and_verified(tmp_path, server):
    """252 bytes of name (255 with ".md") and 200 characters of abbr (the store's column): run, render, verify."""
    hostile = {
        "a" * 200: {
            "name": "好" * 84,
            "feed": server.set("/long.xml", rss(rss_item("长", "https://l.example/1", RSS_DATE, "<p>长</p>"))),
        }
    }
    vault = write_vault(tmp_path, {"good": {"name": "好", "feed": server.set("/good.xml", good_feed())}, **hostile})
    run = newsvault(vault, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "archive" / "lists" / ("好" * 84 + ".md")).is_file()
    assert len(list((tmp_path / "archive" / "articles" / ("a" * 200)).rglob("*.md"))) == 1
    assert len(list((tmp_path / "archive" / "articles" / "good").rglob("*.md"))) == 2
    check = newsvault(vault, "verify")
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(
    ("abbr", "name", "message"),
    [
        (
            '"a\\u0000b"',
            "坏",
            "[sources.'a\\x00b']: not usable as a folder name (articles/<abbr>/): contains the control character "
            "U+0000",
        ),
        (
            "bad",
            "坏\\u0000源",
            "key 'name': not usable as a list file name (lists/<name>.md): contains the control character "
            "U+0000: '坏\\x00源'",
        ),
        ('"a\\nb"', "坏", "contains the control character U+000A"),
        ("bad", "坏\\u202e源", "contains the control character U+202E"),
        ("bad", "坏\\u0085源", "contains the control character U+0085"),
        ('"a b"', "坏", "contains ' ', which a list's link to articles/<abbr>/ cannot hold"),
        ('"a\\\\b"', "坏", "contains a path separator"),
    ],
)
def test_control_characters_and_separators_are_refused_in_one_line(tmp_path, server, abbr, name, message):
    """Item 8: a NUL in an abbr was `ValueError: embedded null byte`; now any control character is a config error."""
    text = (
        f'[sources.good]\nname = "好"\nfeed = "{server.set("/good.xml", good_feed())}"\n\n'
        f'[sources.{abbr}]\nname = "{name}"\nfeed = "{server.set("/x.xml", good_feed())}"\n'
    )
    tmp_path.joinpath("vault.toml").write_text(text, "utf-8")
    for command in ("run", "verify"):
        result = newsvault(tmp_path, command)
        error = result.stderr.strip()
        assert result.returncode != 0 and "Traceback" not in error and len(error.splitlines()) == 1, error
        assert message in error, error


def test_two_outlets_with_one_name_are_refused_naming_both(tmp_path, server):
    """Item 9: one lists/好源.md cannot show two outlets; nor can "BBC" and "bbc" on macOS or Windows."""
    feed = server.set("/x.xml", good_feed())
    error = _refused(
        tmp_path,
        server,
        {"one": {"name": "好源", "feed": feed}, "two": {"name": "好源", "feed": feed}},
        "[sources.one] and [sources.two]: the same name '好源'",
    )
    assert error.endswith("each outlet needs its own")
    _refused(
        tmp_path / "b",
        server,
        {"one": {"name": "BBC", "feed": feed}, "two": {"name": "bbc", "feed": feed}},
        "[sources.one] and [sources.two]: names 'BBC' and 'bbc', one file name on macOS and Windows",
    )
    _refused(
        tmp_path / "c",
        server,
        {"voa": {}, "mine": {"name": "美国之音", "feed": feed}},  # the catalogue's name of voa
        "[sources.voa] and [sources.mine]: the same name '美国之音'",
    )


@pytest.mark.parametrize(
    "title", [*HOSTILE_TITLES, "a\x00b", "a\ud800b", "x]", "]\\(", "\\", "a\\\\", "&#1234567;", "&#x110000;"]
)
def test_escaping_reads_back_and_keeps_ordinary_titles(title):
    escaped_title = escape_title(title)
    assert "\n" not in escaped_title and "\r" not in escaped_title and "](" not in escaped_title
    assert unescape_title(escaped_title) == one_line(title)
    html = markdown(f"[{escaped_title}](https://a.example/)\n".encode())
    assert one_link(html[0]) == ("https://a.example/", one_line(title))


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_links_read_back_as_given(link):
    from newsvault.base.hrefs import whatwg_href

    href = whatwg_href(link)
    assert unescape_link(escape_link(href)) == href
    assert one_link(markdown(f"[t]({escape_link(href)})\n".encode())[0]) == (unquote(href), "t")


def test_a_lone_surrogate_reads_back_as_the_replacement_character_it_is_written_as():
    data = format_article(1, "a\udc80]", "https://a.example/", "b", escaped=True)
    assert read_header(data) == ("a\ufffd]", "https://a.example/") and one_line("a\udc80]") == "a\ufffd]"


def test_ordinary_titles_are_written_exactly_as_the_original_wrote_them():
    for title in [
        "中俄“背靠背”合作最终或因中亚破裂",
        "朝那书屋 | 徐贲：沉默",
        "IMF：收缩6.6%",
        "OPEC+同意",
        "AIT:望",
        "a < b",
        "C:\\dir",
        "AT&T",
    ]:
        args = (1, title, "https://a.example/x(y)", "<p>b</p>")
        assert format_article(*args, escaped=True) == format_article(*args)


def test_a_feed_retitling_an_imported_article_gets_the_escaped_header():
    """An imported row is written as imported only until a feed changes it."""
    row = {"imported": True, "updated_ms": None}
    assert not escaped(row)
    assert escaped({**row, "updated_ms": 1}) and escaped({"imported": False, "updated_ms": None})


def test_a_stored_link_from_before_the_http_rule_is_written_with_an_empty_target():
    """Render must not stop on an older row whose link identify would now refuse; verify then reports it."""
    data = format_article(1_700_000_000_000, "旧标题", "javascript:alert(1)", "<p>正文</p>", escaped=True)
    header = data.decode().splitlines()[1]
    assert header == "[旧标题]()" and b"javascript" not in data.lower()
