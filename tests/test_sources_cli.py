"""Sources managed like a feed reader's: `add`, `sources`, `export-opml`, `import-opml` against servers on 127.0.0.1.

Every refusal is checked twice: the one-line reason, and vault.toml byte for
byte as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

from click.testing import CliRunner, Result

from newsvault.cli import cli
from newsvault.config import VAULT_FILE, load
from newsvault.subscribe import COMMON_PATHS, read_opml
from newsvault.subscribe.naming import derive_abbr, feed_key
from tests.support.server import LocalServer
from tests.vaults import rss_item, write_vault

HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/rss+xml"}


def feed(title: str, *items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


ITEM = rss_item("新闻一则", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>正文</p>")


def page(head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>站点</title>{head}</head><body><p>首页</p></body></html>"


def nv(vault: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--vault", str(vault), *args])


def toml(vault: Path) -> str:
    return (vault / VAULT_FILE).read_text("utf-8")


def refused(vault: Path, before: str, result: Result, reason: str) -> None:
    """A refusal: exit 1, one line naming the reason, nothing written."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: not added: ") and reason in lines[0], result.output
    assert toml(vault) == before


def test_a_site_page_leads_to_its_feed_by_link_rel_alternate(tmp_path, server):
    server.set("/news/zh.rss", feed("自由新闻", ITEM), headers=XML)
    site = server.set(
        "/news/",
        page(
            '<link rel="stylesheet" href="/s.css">'
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="zh.rss">'
        ),
        headers=HTML,
    )
    vault = write_vault(tmp_path, {})
    result = nv(vault, "add", site, "--abbr", "free")
    assert result.exit_code == 0, result.output
    assert f"found on {site}" in result.output
    source = load(vault).sources["free"]
    assert (source.name, source.feed) == ("自由新闻", server.url("/news/zh.rss"))  # name: the feed's title
    assert server.count("/news/feed") == 0  # the link was enough: no guessing


def test_a_page_without_a_link_is_searched_at_the_usual_paths(tmp_path, server):
    server.set("/atom.xml", feed("站点的 Atom", ITEM), headers=XML)
    site = server.set("/blog/", page(), headers=HTML)
    vault = write_vault(tmp_path, {})
    result = nv(vault, "add", site, "--name", "博客")
    assert result.exit_code == 0, result.output
    (source,) = load(vault).sources.values()
    assert (source.name, source.feed) == ("博客", server.url("/atom.xml"))
    assert server.count("/blog/feed") == 1 and server.count("/feed") == 1  # the page's folder first, then the root


def test_a_bare_feed_is_added_with_a_name_and_a_unique_abbr(tmp_path, server):
    one = server.set("/one.xml", feed("第一 / 源", ITEM), headers=XML)
    two = server.set("/two.xml", feed("第二源", ITEM.replace("<content:", "<x:")), headers=XML)
    vault = write_vault(tmp_path, {})
    assert nv(vault, "add", one).exit_code == 0
    assert nv(vault, "add", two).exit_code == 0
    sources = load(vault).sources
    assert list(sources) == ["127-0-0-1", "127-0-0-1-2"]  # from the host, numbered to stay unique
    assert sources["127-0-0-1"].name == "第一 - 源"  # a title's "/" would split lists/<name>.md
    assert sources["127-0-0-1"].feed == one


def test_full_content_feeds_are_archived_from_their_content(tmp_path, server):
    full = rss_item("全文", "https://a.example/2", None, "<p>摘要</p>", content="<p>全文全文</p>")
    url = server.set("/full.xml", feed("全文源", full), headers=XML)
    vault = write_vault(tmp_path, {})
    assert nv(vault, "add", url, "--abbr", "full").exit_code == 0
    assert load(vault).sources["full"].body == "content:encoded"
    assert 'body = "content:encoded"' in toml(vault)


def test_an_html_page_without_a_feed_is_refused_and_nothing_written(tmp_path, server):
    site = server.set("/", page('<link rel="alternate" type="application/rss+xml" href="/gone.xml">'), headers=HTML)
    vault = write_vault(tmp_path, {})
    before = toml(vault)
    result = nv(vault, "add", site)
    refused(vault, before, result, "an HTML page without a feed")
    assert "/gone.xml" in result.output and "HTTP 404" in result.output  # the link it had, and why it failed
    assert all(server.count(f"/{p}") == 1 for p in COMMON_PATHS)


def test_a_link_to_another_host_is_guarded_like_any_url_from_content(tmp_path, server):
    """The URL typed is the user's; a page's link to a private address on another host is not fetched."""
    server.set("/f.xml", feed("源", ITEM), headers=XML)
    elsewhere = server.url("/f.xml").replace("127.0.0.1", "localhost")
    site = server.set("/", page(f'<link rel="alternate" type="application/rss+xml" href="{elsewhere}">'), headers=HTML)
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / VAULT_FILE).write_text("[fetch]\nretries = 0\ntimeout = 3\n")  # allow_private left off
    before = toml(vault)
    result = nv(vault, "add", site)
    refused(vault, before, result, f"it links {elsewhere}, which failed: refused localhost: it resolves to")
    assert server.count("/f.xml") == 0


def test_a_feed_already_present_is_refused_before_and_after_fetching(tmp_path, server):
    url = server.set("/f.xml", feed("源", ITEM), headers=XML)
    site = server.set("/", page('<link rel="alternate" type="application/atom+xml" href="/f.xml">'), headers=HTML)
    vault = write_vault(tmp_path, {"mine": {"name": "我的", "feed": url}})
    before = toml(vault)
    same = url.replace("http://", "HTTP://") + "#top"
    result = nv(vault, "add", same)
    refused(vault, before, result, "already in vault.toml as [sources.mine]")
    assert server.count("/f.xml") == 0  # known by its URL: nothing fetched
    result = nv(vault, "add", site)  # the page leads to it
    refused(vault, before, result, f"already in vault.toml as [sources.mine] (found at {url})")


def test_a_fallback_feed_counts_as_present(tmp_path, server):
    url = server.set("/f.xml", feed("源", ITEM), headers=XML)
    vault = write_vault(tmp_path, {})
    mine = f'[sources.mine]\nname = "我的"\nfeed = "http://127.0.0.1:9/x"\nfallbacks = [{{ feed = "{url}" }}]\n'
    (vault / VAULT_FILE).write_text(toml(vault) + mine)
    refused(vault, toml(vault), nv(vault, "add", url), "already in vault.toml as [sources.mine]")


def test_a_taken_abbr_or_name_is_refused(tmp_path, server):
    url = server.set("/f.xml", feed("源", ITEM), headers=XML)
    vault = write_vault(tmp_path, {"mine": {"name": "我的", "feed": "http://127.0.0.1:9/x"}})
    before = toml(vault)
    refused(vault, before, nv(vault, "add", url, "--abbr", "MINE"), "vault.toml has [sources.mine] already")
    refused(vault, before, nv(vault, "add", url, "--name", "我的"), "the name '我的' is [sources.mine]'s already")
    refused(vault, before, nv(vault, "add", url, "--name", "已修改"), "reserved")  # config's own rules apply


def test_a_feed_that_does_not_parse_is_refused(tmp_path, server):
    url = server.set("/broken.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>', headers=XML)
    vault = write_vault(tmp_path, {})
    before = toml(vault)
    refused(vault, before, nv(vault, "add", url), "not a feed that parses")
    text = server.set("/text", b"just words", headers={"Content-Type": "text/plain"})
    refused(vault, before, nv(vault, "add", text), "not a feed that parses")


def test_a_fetch_error_is_refused(tmp_path, server):
    vault = write_vault(tmp_path, {})
    before = toml(vault)
    refused(vault, before, nv(vault, "add", server.url("/missing.xml")), "cannot fetch it: HTTP 404")
    refused(vault, before, nv(vault, "add", "ftp://example.org/feed"), "cannot fetch it: not an http")


def test_comments_and_order_survive_add(tmp_path, server):
    url = server.set("/f.xml", feed("新源", ITEM), headers=XML)
    vault = write_vault(tmp_path, {})
    mine = (
        "# My vault: keep these notes.\n"
        + toml(vault)
        + "[sources.voa]   # the built-in one\n"
        + "enabled = false # too noisy\n\n"
        + "# an outlet of my own\n"
        + '[sources.zz]\nname = "最后"\nfeed = "http://127.0.0.1:9/zz"\n\n'
        + "[publish]\n# pushes\nretries = 1\n"
    )
    (vault / VAULT_FILE).write_text(mine)
    result = nv(vault, "add", url, "--abbr", "new")
    assert result.exit_code == 0, result.output
    added = f'[sources.new]\nname = "新源"\nfeed = "{url}"\n\n'
    assert toml(vault) == mine.replace("[publish]\n", added + "[publish]\n")
    assert list(load(vault).sources) == ["voa", "zz", "new"]


def test_the_added_source_is_polled_by_run_and_listed_with_its_health(tmp_path, server):
    url = server.set("/f.xml", feed("新源", ITEM), headers=XML)
    vault = write_vault(tmp_path, {"old": {"name": "旧", "feed": server.url("/old.xml"), "enabled": False}})
    assert nv(vault, "add", url, "--abbr", "new").exit_code == 0
    run = nv(vault, "run")
    assert run.exit_code == 0, run.output
    assert "new: new 1, updated 0, unchanged 0: ok" in run.output
    assert server.count("/f.xml") == 2  # the check, then the run
    listed = nv(vault, "sources")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("old") and "(disabled)" in lines[0] and lines[1] == "    never polled"
    assert lines[2].startswith("new") and url in lines[2]
    assert "1 articles" in lines[3] and "0 failure(s) in a row" in lines[3]
    rows = [json.loads(line) for line in nv(vault, "sources", "--json").output.splitlines()]
    assert [(r["abbr"], r["health"] and r["health"]["articles"]) for r in rows] == [("old", None), ("new", 1)]


def test_a_failing_source_shows_its_flag(tmp_path, server):
    url = server.set("/f.xml", feed("源", ITEM), headers=XML)
    vault = write_vault(tmp_path, {})
    assert nv(vault, "add", url, "--abbr", "s").exit_code == 0
    server.set("/f.xml", b"", status=500)
    for _ in range(3):
        assert nv(vault, "run").exit_code == 1
    listed = nv(vault, "sources").output
    assert "3 failure(s) in a row" in listed and "FLAG failing: 3 runs in a row; last error: HTTP 500" in listed
    write_vault(tmp_path, {})  # the source taken out of vault.toml: its articles stay in the store
    assert nv(vault, "sources").output == "in the store but no longer in vault.toml: s\n"


def _three_sources(tmp_path: Path, server: LocalServer) -> Path:
    vault = write_vault(tmp_path / "a", {})
    full = rss_item("全文", "https://a.example/2", None, "<p>摘要</p>", content="<p>全文全文</p>")
    for n, category in ((1, "新闻"), (2, None), (3, "新闻")):
        url = server.set(f"/{n}.xml", feed(f"源{n}", full if n == 2 else ITEM), headers=XML)
        args = ["--category", category] if category else []
        assert nv(vault, "add", url, "--abbr", f"s{n}", *args).exit_code == 0
    assert load(vault).sources["s2"].body == "content:encoded"
    # A source of the user's own making, and a built-in one switched off (inheriting the catalogue's settings).
    mine = f'[sources.own]\nname = "自己的"\nfeed = "{server.url("/1.xml?v=2")}"\nlink = "guid"\n\n'
    (vault / VAULT_FILE).write_text(toml(vault) + mine + "[sources.voa]\nenabled = false\n")
    return vault


def test_opml_round_trip_gives_the_same_sources(tmp_path, server):
    first = _three_sources(tmp_path, server)
    out = tmp_path / "subs.opml"
    exported = nv(first, "export-opml", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert nv(first, "export-opml").stdout.encode() == out.read_bytes()  # stdout: the same document
    hits = len(server.hits)
    second = write_vault(tmp_path / "b", {})
    imported = nv(second, "import-opml", str(out))
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines()[-1] == f"{out}: 5 feed(s): added 5, refused 0"
    assert len(server.hits) == hits + 4  # each enabled feed checked once; voa is switched off, so not fetched
    assert load(second).sources == load(first).sources  # abbrs, names, feeds, bodies, links, categories, on/off
    assert '[sources.voa]\nname = "美国之音"\nfeed = "https://feedx.net/rss/mgzy1.xml"\nenabled = false\n' in toml(
        second
    )
    again = nv(second, "import-opml", str(out))  # everything is there already
    assert again.exit_code == 1 and again.output.count("refused") == 6 and "added 0, refused 5" in again.output
    third = write_vault(tmp_path / "c", {})
    unchecked = nv(third, "import-opml", "--no-check", str(out))
    assert unchecked.exit_code == 0, unchecked.output
    assert load(third).sources == load(first).sources and len(server.hits) == hits + 4


def test_opml_is_version_2_with_folders_names_and_abbrs(tmp_path, server):
    vault = _three_sources(tmp_path, server)
    text = nv(vault, "export-opml").stdout
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml ") and 'version="2.0"' in text
    assert text.count('<outline text="新闻">') == 1  # one folder for both of its outlets
    listed = read_opml(text.encode())
    assert [(f.abbr, f.title, f.category, f.enabled) for f in listed] == [
        ("s1", "源1", "新闻", True),
        ("s3", "源3", "新闻", True),
        ("s2", "源2", None, True),
        ("own", "自己的", None, True),
        ("voa", "美国之音", None, False),
    ]
    assert [f.settings for f in listed][2:4] == [
        {"body": "content:encoded", "link": "link"},
        {"body": "description", "link": "guid"},
    ]


def test_import_of_a_feed_readers_opml_refuses_per_entry_with_a_summary(tmp_path, server):
    good = server.set("/good.xml", feed("好源", ITEM), headers=XML)
    bad = server.set("/bad.xml", b"<rss><channel><item>", headers=XML)
    vault = write_vault(tmp_path, {"mine": {"name": "我的", "feed": server.url("/mine.xml")}})
    opml = tmp_path / "reader.opml"
    opml.write_text(
        '<?xml version="1.0"?>\n<opml version="1.0"><head><title>Reader</title></head><body>'
        '<outline text="时事"><outline text="子"><outline text="好源" xmlurl="' + good + '"/></outline></outline>'
        f'<outline text="坏" type="rss" xmlUrl="{bad}"/>'
        f'<outline text="重复" type="rss" xmlUrl="{server.url("/mine.xml")}"/>'
        f'<outline text="好源again" type="rss" xmlUrl="{good}" category="/x/y"/>'
        '<outline text="no feed here" htmlUrl="https://example.org/"/>'
        "</body></opml>"
    )
    result = nv(vault, "import-opml", str(opml))
    assert result.exit_code == 1, result.output
    out = result.output.splitlines()
    assert out[-1] == f"{opml}: 4 feed(s): added 1, refused 3"
    assert f"added [sources.127-0-0-1] 好源: {good}" in out
    assert any(line.startswith(f"refused {bad}: not a feed that parses") for line in out)
    assert any("already in vault.toml as [sources.mine]" in line for line in out)
    assert any(line.startswith(f"refused {good}: already in vault.toml as [sources.127-0-0-1]") for line in out)
    assert load(vault).sources["127-0-0-1"].category == "时事/子"
    assert server.count("/good.xml") == 1  # listed twice, checked once


def test_import_without_check_fetches_nothing(tmp_path, server):
    opml = tmp_path / "l.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="甲" xmlUrl="http://127.0.0.1:9/a.xml" category="/时事"/>'
        '<outline text="乙/丙" xmlUrl="http://127.0.0.1:9/b.xml"/><outline text="丁" xmlUrl="/relative.xml"/>'
        "</body></opml>"
    )
    vault = write_vault(tmp_path / "v", {})
    result = nv(vault, "import-opml", "--no-check", str(opml))
    assert result.exit_code == 1, result.output
    assert "refused /relative.xml: not an http(s) URL" in result.output
    assert result.output.splitlines()[-1] == f"{opml}: 3 feed(s): added 2 (not checked), refused 1"
    sources = load(vault).sources
    assert [(s.name, s.category) for s in sources.values()] == [("甲", "时事"), ("乙-丙", None)]


def test_a_file_that_is_not_opml_is_refused_whole(tmp_path):
    vault = write_vault(tmp_path, {})
    before = toml(vault)
    for name, data in (
        ("x.opml", b"<rss/>"),
        # broken, recovered with a root named with an unbound prefix: etree.QName refused it (a traceback)
        ("y.opml", b"<?xml version=\"1.0\"?><nv:enabled='false'?><opml><body></body></opml>"),
    ):
        (tmp_path / name).write_bytes(data)
        result = nv(vault, "import-opml", str(tmp_path / name))
        assert result.exit_code == 1 and "not an OPML file" in result.output and toml(vault) == before, result.output
    # an <opml> in a namespace holding a control character (QName refused it: ValueError), recovered with no feed
    (tmp_path / "z.opml").write_bytes(b'<?xml version="1.0"?><opml xmlns="http<outline text=\'&#x1b;\'/>"><body>')
    result = nv(vault, "import-opml", str(tmp_path / "z.opml"))
    assert result.exit_code == 0 and result.output.endswith(": 0 feed(s): added 0, refused 0\n"), result.output


def test_derived_abbrs_and_duplicate_urls():
    taken = {"nytimes", "voa"}.__contains__
    assert derive_abbr("https://cn.nytimes.com/rss/", taken) == "nytimes-2"
    assert derive_abbr("http://feeds.bbci.co.uk/zhongwen/simp/rss.xml", taken) == "bbci"
    assert derive_abbr("https://www.rfa.org/mandarin/", taken) == "rfa"
    assert feed_key("HTTPS://Example.COM:443/feed/#top") == feed_key("http://example.com/feed")
    assert feed_key("http://example.com/feed?a=1") != feed_key("http://example.com/feed?a=2")
