"""Feeds of changes after real runs: an article edited, one deleted and one censored at their source.

Every feed the site writes and the reader serves is parsed with feedparser and
checked offline the way the W3C validator would: well-formed XML, each format's
required elements, unique ids, RFC 3339 (Atom, JSON Feed) and RFC 822 (RSS) dates,
newest first; then what each entry says changed, and where its links lead.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import feedparser_rs
import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import update
from starlette.testclient import TestClient

from newsvault.base.clock import now_ms
from newsvault.cli import cli
from newsvault.render.site.paths import site_root
from newsvault.store import changes, statuses, versions
from newsvault.store import sources as store_sources
from newsvault.store.schema import checks
from newsvault.web import create_app
from tests.vaults import open_vault, rss, rss_item, write_vault

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://news.example/site/"
ARCHIVE = "https://github.com/someone/news/blob/main/"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
DATE = "Wed, 01 May 2024 12:00:00 GMT"
HOSTILE = '<script>alert("t")</script>天气<img src=x onerror=alert(1)>'
KINDS = ("edited", "deleted")
FORMATS = ("atom", "rss", "json")
# (outlet or None for all) → (edits, deletions) its feeds carry
EXPECTED = {None: (2, 2), "alpha": (1, 2), "beta": (1, 0)}


def _items(server, edited: bool) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    alpha = [
        rss_item(
            "部长访问三国（更新）" if edited else "部长访问三国",
            server.url("/a/1.html"),
            DATE,
            "<p>部长今天访问了三个国家，会见了总统。</p>" * 2 if edited else "<p>部长今天访问了两个国家。</p>" * 2,
        ),
        rss_item("将被删除的报道", server.url("/a/2.html"), DATE, "<p>这篇报道说了一些敏感的事情。</p>"),
        rss_item("将被屏蔽的报道", server.url("/a/3.html"), DATE, "<p>这篇报道之后被屏蔽。</p>"),
    ]
    beta = [rss_item(HOSTILE, server.url("/b/1.html"), DATE, "<p>明天有雨。</p>" if edited else "<p>明天晴。</p>")]
    return rss(*alpha), rss(*beta)


def _run(vault: Path) -> None:
    result = CliRunner().invoke(cli, ["--vault", str(vault), "run"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Two runs of `newsvault run`: the second finds the edits and, re-checking, the deletions."""
    from tests.support.server import LocalServer

    with LocalServer() as server:
        for path in ("/a/1.html", "/a/2.html", "/a/3.html", "/b/1.html"):
            server.set(path, "<html><title>报道</title><body>正文</body></html>")
        server.set("/", "<html><title>首页</title><body>首页</body></html>")
        alpha, beta = _items(server, edited=False)
        vault = write_vault(
            tmp_path_factory.mktemp("changes"),
            {
                "alpha": {"name": "阿尔法新闻", "feed": server.set("/alpha.xml", alpha)},
                "beta": {"name": "贝塔日报", "feed": server.set("/beta.xml", beta)},
            },
        )
        with (vault / "vault.toml").open("a", encoding="utf-8") as f:
            f.write(f'[site]\nbase_url = "{BASE}"\n[publish]\narchive_url = "{ARCHIVE}"\n')
        _run(vault)
        config, engine = open_vault(vault)
        site = site_root(config)
        for kind in KINDS:  # nothing changed yet: the feeds are there, empty
            assert not feedparser.parse((site / f"feeds/changes/{kind}.atom").read_bytes()).entries
        assert not (config.archive / "feeds").exists()  # the archive has none yet, as it has no change lists
        alpha, beta = _items(server, edited=True)
        server.set("/alpha.xml", alpha)
        server.set("/beta.xml", beta)
        server.set("/a/2.html", "gone", status=410)
        server.set("/a/3.html", "", status=302, headers={"Location": "/"})
        # A quarter of an hour later: every article's first re-check is due.
        with engine.begin() as conn:
            conn.execute(update(checks).values(next_ms=1))
        with engine.connect() as conn:
            before = changes.marks(conn, now_ms())
        _run(vault)
        with engine.connect() as conn:
            assert changes.sources_with_changes(conn, before) == {"alpha", "beta"}
            assert changes.sources_with_changes(conn, changes.marks(conn, now_ms())) == set()
        yield config, engine, site


def _rfc3339(value: str) -> datetime:
    assert RFC3339.fullmatch(value), value
    return datetime.fromisoformat(value)


def _newest_first(dates: list[datetime]) -> None:
    assert dates == sorted(dates, reverse=True)


def check_atom(data: bytes, self_url: str | None) -> list[dict[str, str]]:
    feed = etree.fromstring(data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.findtext(f"{ATOM}{required}"), required
    _rfc3339(feed.findtext(f"{ATOM}updated"))
    if self_url:
        assert feed.find(f"{ATOM}link[@rel='self']").get("href") == self_url
    feed_author = feed.find(f"{ATOM}author") is not None
    entries = []
    for entry in feed.iter(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}"), required
        assert feed_author or entry.find(f"{ATOM}author") is not None
        alternate = entry.find(f"{ATOM}link[@rel='alternate']")
        related = entry.find(f"{ATOM}link[@rel='related']")
        entries.append(
            {
                "id": entry.findtext(f"{ATOM}id"),
                "updated": entry.findtext(f"{ATOM}updated"),
                "link": alternate.get("href"),
                "related": related.get("href") if related is not None else "",
                "content": entry.findtext(f"{ATOM}content"),
                "summary": entry.findtext(f"{ATOM}summary") or "",
                "title": entry.findtext(f"{ATOM}title"),
            }
        )
    _newest_first([_rfc3339(e["updated"]) for e in entries])
    return entries


def check_rss(data: bytes) -> list[dict[str, str]]:
    root = etree.fromstring(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    entries = []
    for item in channel.iter("item"):
        assert item.findtext("title") or item.findtext("description")
        assert item.find("guid").get("isPermaLink") == "false"
        entries.append(
            {
                "id": item.findtext("guid"),
                "updated": item.findtext("pubDate"),
                "link": item.findtext("link"),
                "content": item.findtext("description"),
                "title": item.findtext("title"),
            }
        )
    _newest_first([parsedate_to_datetime(e["updated"]) for e in entries])
    return entries


def check_json(data: bytes, self_url: str | None) -> list[dict[str, str]]:
    feed = json.loads(data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    if self_url:
        assert feed["feed_url"] == self_url
    entries = []
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
        _rfc3339(item["date_modified"])
        entries.append(
            {
                "id": item["id"],
                "updated": item["date_published"],
                "link": item["url"],
                "related": item.get("external_url", ""),
                "content": item["content_html"],
                "summary": item.get("summary", ""),
                "title": item["title"],
            }
        )
    _newest_first([_rfc3339(e["updated"]) for e in entries])
    return entries


def check_feed(ext: str, data: bytes, self_url: str | None = None) -> list[dict[str, str]]:
    """The entries of one feed, after every offline check of its format and a feed parser's reading.

    feedparser reads Atom and RSS; it reads no JSON Feed, which feedparser-rs
    (the Rust port, a parser of its own) reads as JSON Feed 1.1.
    """
    parsed = (feedparser_rs if ext == "json" else feedparser).parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == {"atom": "atom10", "rss": "rss20", "json": "json11"}[ext]
    entries = {
        "atom": lambda: check_atom(data, self_url),
        "rss": lambda: check_rss(data),
        "json": lambda: check_json(data, self_url),
    }[ext]()
    assert [e.id for e in parsed.entries] == [e["id"] for e in entries]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), ids
    return entries


def _path(kind: str, abbr: str | None, ext: str) -> str:
    return f"feeds/changes/{abbr}/{kind}.{ext}" if abbr else f"feeds/changes/{kind}.{ext}"


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("abbr", list(EXPECTED))
def test_every_feed_of_changes_follows_its_format(world, abbr, ext):
    _config, _engine, site = world
    for kind, expected in zip(KINDS, EXPECTED[abbr], strict=True):
        path = _path(kind, abbr, ext)
        entries = check_feed(ext, (site / path).read_bytes(), BASE + path if ext != "rss" else None)
        assert len(entries) == expected, (path, entries)


def _entries(site: Path, kind: str, abbr: str | None = None, ext: str = "atom") -> list[dict[str, str]]:
    return check_feed(ext, (site / _path(kind, abbr, ext)).read_bytes())


def test_an_edit_carries_its_character_diff_and_links_to_the_archived_copies(world):
    _config, _engine, site = world
    entry = next(e for e in _entries(site, "edited", "alpha") if "部长" in e["title"])
    assert entry["title"] == "【已修改】部长访问三国（更新）"
    assert entry["id"].endswith("/v2") and entry["id"].startswith("urn:newsvault:alpha/")
    assert "标题：部长访问三国<ins>（更新）</ins>" in entry["content"]
    assert "<del>两</del><ins>三</ins>" in entry["content"] and "<ins>，会见了总统</ins>" in entry["content"]
    assert "[-两-]{+三+}" in entry["summary"]  # the same diff as text
    # The link is the site's versions page, which exists where the link says; the related link the archive file.
    assert entry["link"].startswith(BASE) and entry["link"].endswith(".versions.html")
    page = site / entry["link"].removeprefix(BASE)
    assert page.is_file() and "两个国家" in page.read_text("utf-8")
    article_id = entry["id"].split("/")[1]
    assert entry["related"] == f"{ARCHIVE}articles/alpha/{article_id}.md"
    assert (_config.archive / f"articles/alpha/{article_id}.md").is_file()
    rss_entry = next(e for e in _entries(site, "edited", "alpha", "rss") if e["id"] == entry["id"])
    assert rss_entry["link"] == entry["link"] and "<ins>（更新）</ins>" in rss_entry["content"]


def test_a_deletion_carries_status_time_and_last_text(world):
    _config, engine, site = world
    entries = {e["title"]: e for e in _entries(site, "deleted", None, "json")}
    assert set(entries) == {"【已删除】将被删除的报道", "【被审查】将被屏蔽的报道"}
    gone = entries["【已删除】将被删除的报道"]
    assert "这篇报道说了一些敏感的事情。" in gone["content"] and "410" in gone["content"]
    with engine.connect() as conn:
        (event,) = [e for e in statuses.deletion_events(conn, "alpha", 10) if e["status"] == "gone"]
    noticed = datetime.fromisoformat(gone["updated"])
    assert int(noticed.timestamp()) == event["seen_ms"] // 1000  # the time it was noticed, not the run's end
    assert gone["id"].endswith(f"/gone/{event['seen_ms']}")
    assert gone["link"] == f"{BASE}alpha/{event['archive_id']}.html"
    assert (site / f"alpha/{event['archive_id']}.html").is_file()
    assert gone["related"] == f"{ARCHIVE}articles/alpha/{event['archive_id']}.md"
    assert "这篇报道之后被屏蔽。" in entries["【被审查】将被屏蔽的报道"]["summary"]


def test_feeds_are_bounded_newest_first(world):
    _config, engine, _site = world
    with engine.connect() as conn:
        everything = versions.edits(conn, None, 100)
        assert [e["id"] for e in versions.edits(conn, None, 1)] == [everything[0]["id"]]
        assert [e["source"] for e in versions.edits(conn, "beta", 100)] == ["beta"]
        assert len(statuses.deletion_events(conn, None, 1)) == 1


@pytest.mark.parametrize("abbr", list(EXPECTED))
def test_the_archive_tree_carries_the_same_feeds_linking_its_files(world, abbr):
    """A reader of the repository alone (no site) follows the changes: the feeds are in the tree too."""
    config, _engine, site = world
    listed = {"edited": "lists/%E5%B7%B2%E4%BF%AE%E6%94%B9.md", "deleted": "lists/%E5%B7%B2%E5%88%A0%E9%99%A4.md"}
    for kind, expected in zip(KINDS, EXPECTED[abbr], strict=True):
        for ext in FORMATS:
            data = (config.archive / _path(kind, abbr, ext)).read_bytes()
            entries = check_feed(ext, data)
            assert [e["id"] for e in entries] == [e["id"] for e in _entries(site, kind, abbr, ext)]
            assert len(entries) == expected
            for entry in entries:  # each to its file in the published tree, which is there
                assert entry["link"].startswith(f"{ARCHIVE}articles/")
                assert (config.archive / entry["link"].removeprefix(ARCHIVE)).is_file()
        home = etree.fromstring((config.archive / _path(kind, abbr, "atom")).read_bytes()).find(f"{ATOM}link")
        assert home is not None and home.get("href") == ARCHIVE + listed[kind]  # the change list beside them


def test_a_store_rebuilt_from_the_tree_leaves_its_feeds_as_published(world, tmp_path):
    """A lost store (an evicted Actions cache) is imported again from the tree, without the history of changes."""
    config, _engine, _site = world
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(config.vault, rebuilt, ignore=shutil.ignore_patterns("vault.sqlite*", "search-index", "site"))
    toml = rebuilt / "vault.toml"  # a store of its own: with --store=postgresql the world's database is named there
    toml.write_text(re.sub(r'(?m)^\[store\]\nurl = ".*"\n', "", toml.read_text("utf-8")), "utf-8")
    archive = rebuilt / config.archive.relative_to(config.vault)
    changed = [archive / "lists/已修改.md", archive / "lists/已删除.md", *(archive / "feeds/changes").rglob("*.*")]
    published = {p: p.read_bytes() for p in changed}
    assert len(published) == 2 + 3 * 2 * 3
    for command in (["import", str(archive)], ["render"]):
        result = CliRunner().invoke(cli, ["--vault", str(rebuilt), *command])
        assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in changed} == published
    assert sorted((archive / "feeds/changes").rglob("*.*")) == sorted(changed[2:])  # no feed of a made-up outlet
    _config, engine = open_vault(rebuilt)
    try:
        with engine.connect() as conn:  # the change lists are newsvault's, not outlets named 已修改 and 已删除
            assert sorted(s["abbr"] for s in store_sources.all_sources(conn)) == ["alpha", "beta"]
    finally:
        engine.dispose()


def test_an_unchanged_run_rewrites_no_feed(world):
    config, _engine, site = world
    feeds = sorted((site / "feeds/changes").rglob("*.*"))
    assert len(feeds) == 3 * 2 * 3
    feeds += sorted((config.archive / "feeds/changes").rglob("*.*"))
    assert len(feeds) == 2 * 3 * 2 * 3
    stamps = {p: p.stat().st_mtime_ns for p in feeds}
    _run(config.vault)
    assert {p: p.stat().st_mtime_ns for p in feeds} == stamps


@pytest.mark.parametrize("abbr", list(EXPECTED))
def test_the_reader_serves_them_linking_its_own_pages(world, abbr):
    config, engine, site = world
    client = TestClient(create_app(config, engine))
    for kind, expected in zip(KINDS, EXPECTED[abbr], strict=True):
        for ext in FORMATS:
            url = f"/changes/{abbr}/{kind}.{ext}" if abbr else f"/changes/{kind}.{ext}"
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"].startswith(
                {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}[ext]
            )
            entries = check_feed(ext, response.content, "http://testserver" + url if ext != "rss" else None)
            assert len(entries) == expected
            from_site = _entries(site, kind, abbr, ext)
            assert [e["id"] for e in entries] == [e["id"] for e in from_site]  # one builder, the same changes
            for entry in entries:
                assert entry["link"].startswith("http://testserver/a/")
                assert client.get(entry["link"]).status_code == 200
    assert "/changes/edited.atom" in client.get("/edited").text


def test_the_reader_refuses_unknown_feeds(world):
    config, engine, _site = world
    client = TestClient(create_app(config, engine))
    for url in ("/changes/nope.atom", "/changes/edited.xml", "/changes/zzz/edited.atom", "/changes/edited"):
        assert client.get(url).status_code == 404, url


def test_a_hostile_title_stays_text(world):
    _config, _engine, site = world
    (entry,) = _entries(site, "edited", "beta", "json")
    assert entry["title"] == f"【已修改】{HOSTILE}"  # carried whole, as text
    assert "<script" not in entry["content"] and "<img" not in entry["content"]
    assert "<del>晴</del><ins>有雨</ins>" in entry["content"]


def test_without_addresses_entries_link_the_original(tmp_path, server):
    from tests.site_vault import build

    config, _engine = build(tmp_path, server)
    site = site_root(config)
    for kind in KINDS:
        for ext in FORMATS:
            (entry,) = check_feed(ext, (site / _path(kind, None, ext)).read_bytes())
            assert entry["link"].startswith(server.url("/voa/"))
            assert entry.get("related", "") == ""


def test_the_reader_makes_its_feeds_again_after_a_change(tmp_path, server):
    from newsvault.store import articles as store_articles
    from tests.site_vault import build

    config, engine = build(tmp_path, server)
    client = TestClient(create_app(config, engine))
    first = check_feed("json", client.get("/changes/voa/deleted.json").content)
    assert [e["title"] for e in first] == ["【已删除】将被删除的文章"]
    assert client.get("/changes/voa/deleted.json").content == client.get("/changes/voa/deleted.json").content
    with engine.begin() as conn:
        (old,) = store_articles.match(conn, "voa", [(None, server.url("/voa/old"))])
        statuses.record(conn, old["id"], "censored", 2**42, "redirect to home page")
    again = check_feed("json", client.get("/changes/voa/deleted.json").content)
    assert [e["title"] for e in again] == ["【被审查】四月的旧闻", "【已删除】将被删除的文章"]
    assert "redirect to home page" in again[0]["content"]


def test_a_site_from_before_gets_them_without_a_full_render(tmp_path, server):
    import shutil

    from newsvault.render.site import render_site
    from tests.site_vault import build

    config, engine = build(tmp_path, server)
    site = site_root(config)
    with engine.begin() as conn:  # re-checks long past: the render after one within the slack redoes deleted.html
        conn.execute(update(checks).values(last_ms=now_ms() - 3_600_000))
    render_site(engine, config)
    nothing_new = render_site(engine, config).checked  # the summary pages every render writes
    shutil.rmtree(site / "feeds/changes")  # as a site rendered before they existed
    again = render_site(engine, config)
    assert again.checked == nothing_new + 3 * 2 * 3 + 2  # the feeds and the two pages linking them, no more
    assert len(list((site / "feeds/changes").rglob("*.*"))) == 3 * 2 * 3
    assert 'href="feeds/changes/edited.atom"' in (site / "edited.html").read_text("utf-8")
    assert 'href="feeds/changes/deleted.json"' in (site / "deleted.html").read_text("utf-8")
