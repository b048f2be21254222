"""Big trees: month folders for new articles and monthly lists that link every article (issue 6)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import update

from newsvault.archive import article_path, parse_article, shard_of
from newsvault.archive.lists import ListEntry, format_month_index, format_month_list, list_month
from newsvault.archive.readme import format_readme
from newsvault.cli import cli
from newsvault.importer import import_tree
from newsvault.publish import publish
from newsvault.render.tree import render_tree
from newsvault.render.verify import verify
from newsvault.schedule import run_once
from newsvault.store.schema import articles
from tests.vaults import open_vault, rss, rss_item, tree, write_vault

LAYOUT = {"shard_by_month": True, "monthly_lists": True}
_LINK = re.compile(r"\]\(([^)]+)\)")


def _feed(count: int, start_day: int = 0) -> bytes:
    """`count` items, one a day from 2025-11-20 (UTC) backwards and forwards over a month boundary."""
    items = []
    for n in range(start_day, start_day + count):
        day = 20 + n % 25  # 20 Nov .. 14 Dec
        month, mday = ("Nov", day) if day <= 30 else ("Dec", day - 30)
        items.append(
            rss_item(
                f"第{n}条",
                f"https://example.org/a/{n}",
                f"Sun, {mday:02d} {month} 2025 {n % 24:02d}:00:00 GMT",
                f"<p>正文 {n}</p>",
            )
        )
    return rss(*items)


def _links(archive: Path, file: str) -> list[str]:
    """Targets of a Markdown file's links, as root-relative paths."""
    here = Path(file).parent
    found = []
    for target in _LINK.findall((archive / file).read_text("utf-8")):
        found.append(target[1:] if target.startswith("/") else (here / target).as_posix())
    return found


def _reachable(archive: Path) -> set[str]:
    """Every Markdown file a reader can reach by following links from README.md."""
    seen, todo = set(), ["README.md"]
    while todo:
        file = todo.pop()
        if file in seen or not file.endswith(".md"):
            continue
        seen.add(file)
        assert (archive / file).is_file(), f"broken link to {file}"
        todo += _links(archive, file)
    return seen


def test_paths_and_months_are_china_time():
    assert article_path("voa", 7) == "articles/voa/7.md"
    assert article_path("voa", 7, None, "2025/12") == "articles/voa/2025/12/7.md"
    assert article_path("voa", 7, "articles/美国之音/7_x.md", "2025/12") == "articles/美国之音/7_x.md"
    midnight_china = 1_764_518_400_000  # 2025-11-30T16:00:00Z = 1 Dec 00:00 in China
    assert shard_of(midnight_china - 1, 0) == "2025/11"
    assert shard_of(midnight_china, 0) == "2025/12"
    assert shard_of(10**18, midnight_china) == "2025/12"  # no calendar holds it: filed when seen
    assert list_month(midnight_china) == "2025-12" and list_month(midnight_china - 1) == "2025-11"
    assert list_month(None) == "undated" and list_month(10**17) == "undated"  # beyond year 9999


def test_month_list_and_index_bytes():
    entries = [
        ListEntry("voa", 5, "甲", 1_764_518_400_000, file="articles/voa/2025/12/5.md"),
        ListEntry("voa", 9, "乙](x", None),
    ]
    assert (
        format_month_list("美国之音", "2025-12", entries)
        == (
            "美国之音 2025-12\n------\n\n12-1 [甲](/articles/voa/2025/12/5.md)\n\n[乙](/articles/voa/9.md)\n\n"
        ).encode()
    )
    assert (
        format_month_index("美国之音", [("2025-12", 1), ("2025-11", 30)])
        == ("美国之音\n------\n\n[2025-12](2025-12.md) 1 篇\n\n[2025-11](2025-11.md) 30 篇\n").encode()
    )
    assert format_readme(["BBC"], monthly=True).startswith(
        "抓取新闻媒体文章\n------\n\n[BBC](lists/BBC.md) [按月](lists/BBC/README.md)\n".encode()
    )


def test_sharded_vault_links_every_article_not_only_the_newest_300(tmp_path, server):
    url = server.set("/voa.xml", _feed(320))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    archive = config.archive
    files = sorted(p.relative_to(archive).as_posix() for p in (archive / "articles").rglob("*.md"))
    assert len(files) == 320
    assert all(re.fullmatch(r"articles/voa/2025/(11|12)/[0-9]+\.md", f) for f in files)
    for file in files:  # each article sits in the month of its date, in China time
        ms = parse_article((archive / file).read_bytes()).ms
        assert file.split("/")[2:4] == shard_of(ms, 0).split("/")
    newest = _links(archive, "lists/美国之音.md")
    assert len(newest) == 300 and set(newest) <= set(files)  # the 300-list links the month folders
    reachable = _reachable(archive)
    assert set(files) <= reachable  # the 20 beyond the newest 300 too
    months = sorted(p.name for p in (archive / "lists/美国之音").iterdir())
    assert months == ["2025-11.md", "2025-12.md", "README.md"]
    november = (archive / "lists/美国之音/2025-11.md").read_text("utf-8").splitlines()
    assert november[0] == "美国之音 2025-11"
    dates = [parse_article((archive / f).read_bytes()).ms for f in _links(archive, "lists/美国之音/2025-11.md")]
    assert dates == sorted(dates, reverse=True) and all(list_month(ms) == "2025-11" for ms in dates)
    assert list(verify(engine, config)) == []


def test_a_redated_article_keeps_its_file_and_changes_month_list(tmp_path, server):
    url = server.set(
        "/voa.xml", rss(rss_item("唯一", "https://example.org/a/1", "Sat, 29 Nov 2025 00:00:00 GMT", "<p>x</p>"))
    )
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    archive = config.archive
    assert (archive / "articles/voa/2025/11/1048574.md").exists()
    server.set(
        "/voa.xml", rss(rss_item("唯一", "https://example.org/a/1", "Tue, 06 Jan 2026 00:00:00 GMT", "<p>改</p>"))
    )
    report = run_once(config, engine)
    assert report.sources[0].updated == 1
    assert parse_article((archive / "articles/voa/2025/11/1048574.md").read_bytes()).ms == 1_767_657_600_000
    assert sorted(p.name for p in (archive / "lists/美国之音").iterdir()) == ["2026-01.md", "README.md"]
    assert _links(archive, "lists/美国之音/2026-01.md") == ["articles/voa/2025/11/1048574.md"]
    earlier = parse_article((archive / "versions/voa/2025/11/1048574/1.md").read_bytes())  # beside it, by month
    assert earlier.ms == 1_764_374_400_000
    assert _links(archive, "lists/已修改.md") == ["articles/voa/2025/11/1048574.md"]


def test_turning_sharding_on_moves_no_published_file(tmp_path, server):
    url = server.set(
        "/voa.xml", rss(rss_item("旧", "https://example.org/a/1", "Sat, 29 Nov 2025 00:00:00 GMT", "<p>x</p>"))
    )
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    config, engine = open_vault(vault)
    assert not run_once(config, engine).failed
    assert not (config.archive / "lists/美国之音").exists()  # the original layout unless asked
    server.set(
        "/voa.xml",
        rss(
            rss_item("新", "https://example.org/a/2", "Mon, 01 Dec 2025 00:00:00 GMT", "<p>y</p>"),
            rss_item("旧", "https://example.org/a/1", "Sat, 29 Nov 2025 00:00:00 GMT", "<p>x</p>"),
        ),
    )
    config, engine = open_vault(write_vault(vault, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    assert (config.archive / "articles/voa/1048574.md").exists()
    assert (config.archive / "articles/voa/2025/12/1048573.md").exists()
    assert _links(config.archive, "lists/美国之音.md") == ["articles/voa/2025/12/1048573.md", "articles/voa/1048574.md"]


def test_a_published_sharded_tree_imports_back_byte_for_byte(tmp_path, server):
    url = server.set("/voa.xml", _feed(40))
    config, engine = open_vault(write_vault(tmp_path / "first", {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    published = tree(config.archive)

    # Disaster recovery: a new vault rebuilt from the published repository alone.
    again, engine2 = open_vault(write_vault(tmp_path / "second", {"voa": {"feed": url}}, archive=LAYOUT))
    report = import_tree(engine2, again, config.archive, workers=1)
    assert report.new["voa"] == 40
    with engine2.connect() as conn:
        shards = {r.shard for r in conn.execute(articles.select())}
    assert shards == {"2025/11", "2025/12"}
    render_tree(engine2, again, full=True)
    assert tree(again.archive) == published
    assert list(verify(engine2, again)) == []
    # New articles continue the countdown in their month folder.
    server.set("/voa.xml", _feed(41))
    assert run_once(again, engine2).sources[0].new == 1
    assert (again.archive / "articles/voa/2025/12/1048534.md").exists()  # item 40: 5 Dec
    # The imported monthly lists gave way to the store's: a full render keeps the new one listed.
    render_tree(engine2, again, full=True)
    assert "articles/voa/2025/12/1048534.md" in _links(again.archive, "lists/美国之音/2025-12.md")


def test_publish_counts_articles_in_month_folders_per_outlet(tmp_path, server):
    url = server.set("/voa.xml", _feed(3))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    report = publish(config.archive, [], author="t <t@localhost>")
    assert report.commit is not None
    assert report.commit.message.startswith("newsvault: 3 new, 0 updated (voa +3)")
    with engine.begin() as conn:  # an edit in place shows as an update of that outlet
        conn.execute(
            update(articles).where(articles.c.archive_id == 1048574).values(title="改过的标题", rendered_sha=None)
        )
    render_tree(engine, config)
    assert publish(config.archive, [], author="t <t@localhost>").commit.message.startswith(
        "newsvault: 0 new, 1 updated (voa ~1)"
    )


def test_init_writes_a_sharded_layout_for_new_vaults_and_the_flat_one_when_asked(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    config, _ = open_vault(tmp_path / "v")
    assert config.tree.shard_by_month and config.tree.monthly_lists
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "flat"), "--flat"]).exit_code == 0
    config, _ = open_vault(tmp_path / "flat")
    assert not config.tree.shard_by_month and not config.tree.monthly_lists


def test_a_render_killed_before_its_lists_leaves_none_stale(tmp_path, server, monkeypatch):
    from newsvault.render import tree as from_store

    url = server.set("/voa.xml", _feed(2))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    server.set("/voa.xml", _feed(3))

    def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # the process dies after the new article was written and marked

    monkeypatch.setattr(from_store, "_render_months", killed)
    try:
        run_once(config, engine)
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert len(_links(config.archive, "lists/美国之音.md")) == 2  # the lists were not reached
    run_once(config, engine)  # nothing new in the feed, nothing left to write for the articles
    assert len(_links(config.archive, "lists/美国之音.md")) == 3
    assert (
        sum(
            len(_links(config.archive, f"lists/美国之音/{m}"))
            for m in ("2025-11.md", "2025-12.md")
            if (config.archive / "lists/美国之音" / m).exists()
        )
        == 3
    )
    assert list(verify(engine, config)) == []
