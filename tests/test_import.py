"""Importing duty-machine trees: every byte comes back, and archiving carries on.

Every comparison is of whole files' bytes, every file of the tree, both ways
(nothing missing, nothing extra): a single byte lost or changed fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner

from newsvault.archive import format_article
from newsvault.cli import cli
from newsvault.importer import import_tree
from newsvault.render.tree import render_tree
from newsvault.schedule import run_once
from newsvault.store import articles as store_articles
from newsvault.store import sources as store_sources
from tests.reference import reference
from tests.vaults import open_vault, rss, rss_item, write_vault

CORPUS = "corpus/duty-machine-news"  # final-2025 is in tests/data/shared; the 2020 snapshot needs ../shared
# The reader rules of the spec, written out again here so the test does not trust the code under test.
_DATE = re.compile(rb"<!--([0-9]+)-")
_TITLE = re.compile(rb"\[([\s\S]*?)\]\(")


def files_of(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file below root (names as the file system has them) with its bytes."""
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if rel not in skip:
                found[rel] = path.read_bytes()
    return found


def as_written(data: bytes) -> tuple[str, str, int | None]:
    """Title, link and date of an article file as the original's reader rules find them."""
    date = _DATE.search(data)
    title = _TITLE.search(data)
    assert title is not None
    link = data[title.end() :].split(b"\n", 1)[0]
    link = link[:-1] if link.endswith(b")") else link
    decode = lambda b: b.decode("utf-8", "replace")  # noqa: E731
    return decode(title.group(1)), decode(link), int(date.group(1)) if date else None


def invoke(vault: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--vault", str(vault), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def empty_vault(path: Path) -> Path:
    """A vault with no sources configured: import must work without any."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "vault.toml").write_text('[archive]\npath = "archive"\n', "utf-8")
    return path


def json_articles(vault: Path, *args: str) -> list[dict]:
    return [json.loads(line) for line in invoke(vault, "articles", "--json", *args).splitlines()]


def assert_round_trip(vault: Path, tree: Path, skip: tuple[str, ...] = (), exact: bool = True) -> dict[str, bytes]:
    """Render the vault; its archive must hold the tree, every file byte for byte.

    ``exact``: and nothing else (a tree without README or lists gets generated ones).
    """
    invoke(vault, "render")
    expected = files_of(tree, skip)
    rendered = files_of(vault / "archive")
    if exact:
        assert sorted(rendered) == sorted(expected)
    else:
        assert set(expected) <= set(rendered)
    different = [rel for rel in expected if rendered[rel] != expected[rel]]
    assert different == []
    return expected


def assert_reported_as_written(vault: Path, tree: Path, count: int) -> None:
    listed = json_articles(vault)
    assert len(listed) == count
    assert len({a["path"] for a in listed}) == count
    for article in listed:
        title, link, ms = as_written((tree / article["path"]).read_bytes())
        assert (article["title"], article["link"], article["date_ms"]) == (title, link, ms), article["path"]


# Must hold 1 -------------------------------------------------------------------------------------


def test_snapshot_2020_imports_and_renders_back_byte_for_byte(shared, tmp_path):
    tree = shared / CORPUS / "snapshot-2020-07-20"
    vault = empty_vault(tmp_path / "vault")
    output = invoke(vault, "import", str(tree))
    assert "MANIFEST.tsv" in output  # reported as not part of the archive
    assert "no date line: 165 file(s)" in output
    expected = assert_round_trip(vault, tree, skip=("MANIFEST.tsv",))
    assert len(expected) == 3775
    assert_reported_as_written(vault, tree, 3767)
    config, engine = open_vault(vault)
    with engine.connect() as conn:
        outlets = {r["abbr"]: r["name"] for r in store_sources.all_sources(conn)}
    # 2020 folders are named after the outlet; they join the catalogue's abbreviations.
    assert outlets == {
        "bbc": "BBC",
        "cdt": "中国数字时代",
        "ft": "金融时报",
        "nyt": "纽约时报",
        "reuters": "路透",
        "rfi": "法广",
        "voa": "美国之音",
    }
    assert render_tree(engine, config, full=True).written == 0

    # The same tree again changes nothing.
    listed = json_articles(vault)
    again = invoke(vault, "import", str(tree))
    assert "kept as they are: none" in again and "2020 layout (<id>_<title>.md): 0 new" in again
    assert json_articles(vault) == listed
    invoke(vault, "render")
    assert files_of(vault / "archive") == expected
    assert json_articles(vault, "--source", "cdt") == [a for a in listed if a["abbr"] == "cdt"]


# Must hold 2 -------------------------------------------------------------------------------------

_LIST_LINE = re.compile(r"(?:([0-9]+)-([0-9]+) )?\[(.*)\]\(/articles/voa/([0-9]+)\.md\)\Z")


def _list_entries(data: bytes) -> list[tuple[int, str, int | None]]:
    """(id, title, ms) of every entry of a final-format list; ms some year's noon in China on its M-D."""
    entries = []
    for line in data.decode("utf-8").split("\n")[3:]:
        if not line:
            continue
        match = _LIST_LINE.match(line)
        assert match, line
        month, day, title, archive_id = match.groups()
        ms = None
        if month:
            noon = datetime(2024, int(month), int(day), 4, tzinfo=UTC)  # 12:00 in UTC+8; 2024 has 2-29
            ms = int(noon.timestamp() * 1000)
        entries.append((int(archive_id), title, ms))
    return entries


def test_final_2025_imports_renders_back_and_its_list_regenerates(tmp_path):
    tree = reference(f"{CORPUS}/final-2025")
    vault = empty_vault(tmp_path / "vault")
    invoke(vault, "import", str(tree))
    # The transcription has one list; the other outlets get theirs generated, nothing else is added.
    expected = assert_round_trip(vault, tree, skip=("MANIFEST.tsv",), exact=False)
    added = set(files_of(vault / "archive")) - set(expected)
    assert added == {
        f"lists/{name}.md" for name in ("中国数字时代", "德国之声", "纽约时报", "路透", "自由亚洲电台", "法广")
    }
    assert_reported_as_written(vault, tree, 11)

    # Build the 297 articles the list names but the tree lacks, from the list itself;
    # they are new to the store, so render must regenerate the list from the articles.
    original = expected["lists/美国之音.md"]
    entries = _list_entries(original)
    assert len(entries) == 300
    config, engine = open_vault(vault)
    with engine.begin() as conn:
        store_articles.insert_many(
            conn,
            [
                dict(
                    source="voa",
                    archive_id=archive_id,
                    link=f"https://v.example/{archive_id}",
                    title=title,
                    date_ms=ms,
                    body="<p>x</p>",
                    first_seen_ms=1,
                    last_seen_ms=1,
                )
                for archive_id, title, ms in entries
                if not store_articles.id_taken(conn, "voa", archive_id)
            ],
        )
    render_tree(engine, config, full=True)
    regenerated = (config.archive / "lists/美国之音.md").read_bytes()
    assert regenerated == original
    # Nothing else of the imported tree moved, and the hand-edited README stayed.
    for rel, data in expected.items():
        assert (config.archive / rel).read_bytes() == data, rel
    assert "友情链接".encode() in (config.archive / "README.md").read_bytes()


# Must hold 3 -------------------------------------------------------------------------------------


def _final_file(ms: int, title: str, link: str) -> bytes:
    return format_article(ms, title, link, f"<p>{title}</p>")


def test_countdown_crosses_1000000_after_import(tmp_path, server):
    tree = tmp_path / "tree"
    (tree / "articles/rfi").mkdir(parents=True)
    for n, archive_id in enumerate((1000003, 1000002, 1000001)):
        (tree / f"articles/rfi/{archive_id}.md").write_bytes(
            _final_file(1_695_700_000_000 + n, f"旧文{n}", f"https://www.rfi.fr/cn/old/{n}")
        )
    url = server.set(
        "/rfi.xml",
        rss(
            rss_item("新三", "https://www.rfi.fr/cn/new/3", "Tue, 26 Sep 2023 12:00:00 GMT", "<p>3</p>"),
            rss_item("新二", "https://www.rfi.fr/cn/new/2", "Tue, 26 Sep 2023 11:00:00 GMT", "<p>2</p>"),
            rss_item("新一", "https://www.rfi.fr/cn/new/1", "Tue, 26 Sep 2023 10:00:00 GMT", "<p>1</p>"),
            rss_item("旧文2", "https://www.rfi.fr/cn/old/2", None, "<p>旧文2</p>"),
        ),
    )
    vault = write_vault(tmp_path / "vault", {"rfi": {"feed": url}})
    config, engine = open_vault(vault)
    import_tree(engine, config, tree)
    report = run_once(config, engine)
    assert report.sources[0].new == 3
    folder = config.archive / "articles/rfi"
    assert sorted(int(p.stem) for p in folder.iterdir()) == [999998, 999999, 1000000, 1000001, 1000002, 1000003]
    assert b"[\xe6\x96\xb0\xe4\xb8\x80]" in (folder / "1000000.md").read_bytes()  # 新一, the oldest new one
    assert "[新三]" in (folder / "999998.md").read_text("utf-8")
    listing = (config.archive / "lists/法广.md").read_text("utf-8")
    ids = [int(i) for i in re.findall(r"/articles/rfi/([0-9]+)\.md", listing)]
    assert ids == [999998, 999999, 1000000, 1000001, 1000002, 1000003]
    # The next run goes on below.
    server.set(
        "/rfi.xml", rss(rss_item("新四", "https://www.rfi.fr/cn/new/4", "Wed, 27 Sep 2023 10:00:00 GMT", "<p>4</p>"))
    )
    run_once(config, engine)
    assert (folder / "999997.md").exists()


# Recognition -------------------------------------------------------------------------------------


def test_feed_items_of_imported_articles_are_recognised(tmp_path, server):
    tree = tmp_path / "tree"
    # The first VOA article of the 2020 snapshot (by name) and the newest of the final list, both in tests/data/shared.
    old_name = "1047747_停止邪恶打压：美国务卿就中共镇压法轮功21周年发表声明.md"
    legacy = reference(f"{CORPUS}/snapshot-2020-07-20/articles/美国之音/{old_name}")
    (tree / "articles/美国之音").mkdir(parents=True)
    shutil.copyfile(legacy, tree / "articles/美国之音" / old_name)
    (tree / "articles/voa").mkdir()
    final = reference(f"{CORPUS}/final-2025/articles/voa/1008880.md")
    shutil.copyfile(final, tree / "articles/voa/1008880.md")

    def again(path: Path) -> str:
        """The article as its feed would show it again: same title, link, date and body."""
        data = path.read_bytes()
        title, link, ms = as_written(data)
        assert ms is not None
        date = format_datetime(datetime.fromtimestamp(ms / 1000, UTC), usegmt=True)
        return rss_item(title, link, date, data.decode("utf-8").split("\n")[4])

    url = server.set(
        "/voa.xml",
        rss(
            again(final),
            again(legacy),
            rss_item(
                "真正的新文章", "https://www.voachinese.com/a/new.html", "Sun, 16 Feb 2025 08:00:00 GMT", "<p>n</p>"
            ),
        ),
    )
    vault = write_vault(tmp_path / "vault", {"voa": {"feed": url}})
    config, engine = open_vault(vault)
    import_tree(engine, config, tree)
    report = run_once(config, engine)
    assert (report.sources[0].new, report.sources[0].updated, report.sources[0].unchanged) == (1, 0, 2)
    assert len(json_articles(vault)) == 3
    assert sorted(os.listdir(config.archive / "articles/voa")) == ["1008879.md", "1008880.md"]
    # The imported files are untouched.
    assert (config.archive / "articles/voa/1008880.md").read_bytes() == final.read_bytes()
    assert (config.archive / "articles/美国之音" / old_name).read_bytes() == legacy.read_bytes()


# Messy files -------------------------------------------------------------------------------------


def _messy_tree(root: Path) -> dict[str, str]:
    """A tree of every kind of damage real archives have; returns path -> the warning it must get."""
    good = _final_file(1_600_000_000_000, "好", "https://a.example/1")
    files: dict[str, tuple[bytes, str | None]] = {
        "articles/voa/1000.md": (b"", "empty file"),
        "articles/voa/.gitkeep": (b"", "not an article file name"),
        "articles/voa/1001.md": (good.replace("好".encode(), b"\xff\xfe", 1), "invalid UTF-8"),
        "articles/rfa/1002.md": (
            _final_file(1_600_000_000_000, "回车", "https://a.example/2").replace(b"</p>", b"\r</p>"),
            "CR inside the text",
        ),
        "articles/voa/1003.md": (_final_file(1_600_000_000_000, "标题 [方括号] 里", "https://a.example/3"), None),
        "articles/voa/1004.md": (
            _final_file(1_600_000_000_000, "标题](带括号", "https://a.example/4"),
            "differs from the final format",
        ),
        "articles/voa/1005.md": (
            format_article(1_600_000_000_000, "长文", "https://a.example/5", "<p>" + "很长的正文。" * 5000 + "</p>"),
            None,
        ),
        "articles/voa/1006.md": (
            b"<!--1600000000000-->\n[  untrimmed  ](https://a.example/6)\n------\n\nx\n",
            "differs from the final format",
        ),
        "articles/德国之声/1047000_第一行\n第二行 | 冒号: 问号?.md": (
            _final_file(1_595_000_000_000, "第一行\n第二行 | 冒号: 问号?", "https://a.example/7"),
            "file name other systems refuse",
        ),
        "articles/中国数字时代/400000_旧格式.md": (
            "[旧格式](https://chinadigitaltimes.net/chinese/?p=648575)\n------\n日期：Fri, 12 Jun 2020 07:50:51 +0000"
            "\n\n<p>正文</p>\n".encode(),
            "no date line",
        ),
        "articles/unknown/1048574.md": (_final_file(1_600_000_000_000, "新媒体", "https://u.example/1"), None),
        "articles/voa/1007.md": (  # git takes it for binary; PostgreSQL's text cannot hold U+0000
            format_article(1_600_000_000_000, "空\x00字符", "https://a.example/8", "<p>正文\x00</p>"),
            "U+0000 inside the text",
        ),
        "articles/.gitkeep": (b"", "not part of the archive layout"),
        "lists/.gitkeep": (b"", "not part of the archive layout"),
        "lists/unknown.md": (b"unknown\n------\n\n", None),
    }
    for rel, (data, _) in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return {rel: warning for rel, (_, warning) in files.items() if warning}


def test_messy_files_are_imported_warned_and_rendered_back(tmp_path):
    tree = tmp_path / "tree"
    warnings = _messy_tree(tree)
    vault = empty_vault(tmp_path / "vault")
    config, engine = open_vault(vault)
    report = import_tree(engine, config, tree, workers=2)
    assert report.failed == []
    warned: dict[str, list[str]] = {}
    for rel, what in report.warnings:
        warned.setdefault(rel, []).append(what)
    for rel, warning in warnings.items():
        assert any(warning in what for what in warned.get(rel, [])), (rel, warned.get(rel))
    assert report.files == len(files_of(tree))  # nothing dropped
    assert_round_trip(vault, tree, exact=False)  # the tree has no README: one is generated
    listed = {a["path"]: a for a in json_articles(vault)}
    assert len(listed) == 11
    assert listed["articles/voa/1007.md"]["title"] == "空字符"  # the file's bytes are kept whole
    assert listed["articles/中国数字时代/400000_旧格式.md"]["date_ms"] is None
    assert listed["articles/voa/1003.md"]["title"] == "标题 [方括号] 里"
    assert listed["articles/unknown/1048574.md"]["abbr"] == "unknown"
    assert "第一行\n第二行" in listed["articles/德国之声/1047000_第一行\n第二行 | 冒号: 问号?.md"]["title"]


def test_tree_without_readme_gets_the_generated_one(tmp_path):
    tree = tmp_path / "tree"
    (tree / "articles/voa").mkdir(parents=True)
    (tree / "articles/voa/1048574.md").write_bytes(_final_file(1_600_000_000_000, "一", "https://a.example/1"))
    vault = write_vault(tmp_path / "vault", {"voa": {"feed": "https://a.example/feed"}})
    config, engine = open_vault(vault)
    import_tree(engine, config, tree, workers=1)
    render_tree(engine, config, full=True)
    assert "[美国之音](lists/美国之音.md)" in (config.archive / "README.md").read_text("utf-8")
    assert "[一](/articles/voa/1048574.md)" in (config.archive / "lists/美国之音.md").read_text("utf-8")


def test_both_layouts_of_one_outlet_with_the_same_ids(tmp_path):
    """The original restarted its countdown when it changed layout: ids repeat across the two folders."""
    tree = tmp_path / "tree"
    (tree / "articles/voa").mkdir(parents=True)
    (tree / "articles/美国之音").mkdir(parents=True)
    (tree / "articles/voa/1048574.md").write_bytes(_final_file(1_610_000_000_000, "新", "https://a.example/n"))
    (tree / "articles/美国之音/1048574_旧.md").write_bytes(_final_file(1_590_000_000_000, "旧", "https://a.example/o"))
    vault = empty_vault(tmp_path / "vault")
    config, engine = open_vault(vault)
    import_tree(engine, config, tree)
    assert {a["path"] for a in json_articles(vault, "--source", "voa")} == {
        "articles/voa/1048574.md",
        "articles/美国之音/1048574_旧.md",
    }
    assert_round_trip(vault, tree, exact=False)


def test_verify_accepts_an_imported_tree_with_its_kept_files(tmp_path):
    """verify knows the files an import keeps (lists, README, strays), and still finds real orphans."""
    import shutil

    from click.testing import CliRunner

    from newsvault.cli import cli

    tree = tmp_path / "tree"
    shutil.copytree(reference(f"{CORPUS}/final-2025"), tree, ignore=shutil.ignore_patterns("*.tsv"))
    (tree / "articles/voa/.gitkeep").write_bytes(b"")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "vault.toml").write_text("")
    runner = CliRunner()
    assert runner.invoke(cli, ["--vault", str(vault), "import", str(tree)]).exit_code == 0
    assert runner.invoke(cli, ["--vault", str(vault), "render"]).exit_code == 0
    ok = runner.invoke(cli, ["--vault", str(vault), "verify"])
    assert ok.exit_code == 0, ok.output
    (vault / "archive/articles/voa/stray.md").write_text("x")
    bad = runner.invoke(cli, ["--vault", str(vault), "verify"])
    assert bad.exit_code == 1 and "articles/voa/stray.md: not in the store (orphan)" in bad.output
