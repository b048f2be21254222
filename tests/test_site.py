"""The static site: every page there, sanitised, linked relatively, and written only when it changed."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from newsvault.base.files import place_copy
from newsvault.config import ConfigError, load
from newsvault.render.site import render_site
from newsvault.render.site.paths import site_root
from newsvault.render.tree import render_tree
from tests.site_vault import XSS_TITLE, build, links, local_target, page_of, png
from tests.vaults import tree


@pytest.fixture
def vault(tmp_path, server):  # type: ignore[no-untyped-def]
    return build(tmp_path, server)


def test_pages_for_outlets_months_articles_versions_deletions_and_health(vault):
    config, _engine = vault
    site = site_root(config)
    assert site == config.vault / "site"
    for page in (
        "index.html",
        "site.css",
        "edited.html",
        "deleted.html",
        "health.html",
        "voa/index.html",
        "voa/2024-05.html",
        "voa/2024-04.html",
        "hk/index.html",
        "hk/2024-05.html",
    ):
        assert (site / page).is_file(), page
    edited_page = page_of(site, "习近平会见外宾（更新）")
    assert edited_page.with_suffix(".versions.html").is_file()
    assert page_of(site, "自由亞洲電台報導：這是繁體").parent.name == "hk"
    month = (site / "voa/2024-05.html").read_text("utf-8")
    assert "习近平会见外宾（更新）" in month and "四月的旧闻" not in month
    assert "2 个版本" in month and "已删除" in month  # badges
    history = edited_page.with_suffix(".versions.html").read_text("utf-8")
    assert "<del>" in history and "<ins>" in history and "（更新）" in history
    assert "版本 1 → 版本 2" in history
    edited = (site / "edited.html").read_text("utf-8")
    assert f'href="voa/{edited_page.stem}.versions.html"' in edited
    deleted = (site / "deleted.html").read_text("utf-8")
    assert "将被删除的文章" in deleted and "习近平" not in deleted
    assert "原网站已删除此文" in page_of(site, "将被删除的文章").read_text("utf-8")
    health = (site / "health.html").read_text("utf-8")
    assert "最后成功" in health and "美国之音" in health and "2024-05-03" in health  # articles per day


def test_article_html_is_sanitised(vault):
    config, _engine = vault
    site = site_root(config)
    pages = list(site.rglob("*.html"))
    hostile = [p for p in pages if "alert" in p.read_text("utf-8")]
    assert hostile, "the hostile article must be in the site"
    for page in pages:
        found = links(page)
        assert found.scripts == 0 and not found.handlers, page
        assert not any(h.lower().startswith("javascript:") for h in found.hrefs), page
    text = page_of(site, XSS_TITLE).read_text("utf-8")
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;标题" in text  # the title is shown, escaped
    assert "<svg" not in text and "<iframe" not in text


def test_every_link_resolves_and_nothing_external_but_images_and_originals(vault):
    config, _engine = vault
    site = site_root(config)
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        found = links(page)
        for href in found.hrefs:
            target = local_target(page, href)
            if target is None:
                assert href.startswith(("http://", "https://")), (page, href)
                continue
            assert target.is_file(), f"{page.relative_to(site)}: {href} does not resolve"
        for src in found.srcs:
            target = local_target(page, src)
            assert target is None or target.is_file(), (page, src)
    css = (site / "site.css").read_text("utf-8")
    assert "@import" not in css and "url(" not in css  # no external CSS or fonts


def test_mirrored_image_is_linked_relative_to_the_page_and_traditional_gets_its_lang(vault):
    config, _engine = vault
    site = site_root(config)
    page = page_of(site, "自由亞洲電台報導：這是繁體")
    found = links(page)
    assets = [s for s in found.srcs if "assets/" in s]
    digest = hashlib.sha256(png()).hexdigest()
    assert assets == [f"../assets/{digest[:2]}/{digest}.png"], found.srcs  # the site's own copy, beside its pages
    copy = local_target(page, assets[0])
    assert copy is not None and copy.is_relative_to(site) and copy.read_bytes() == png()
    mirrored = config.archive / "assets" / digest[:2] / f"{digest}.png"
    assert copy.stat().st_ino == mirrored.stat().st_ino  # one file system: a hard link, no bytes copied
    assert '<article lang="zh-Hant">' in page.read_text("utf-8")
    assert '<article lang="zh-Hans">' in page_of(site, "四月的旧闻").read_text("utf-8")


def test_an_image_is_copied_across_file_systems_once_and_never_rewritten(tmp_path, monkeypatch):
    source, target = tmp_path / "archive/assets/ab/ab.png", tmp_path / "site/assets/ab/ab.png"
    source.parent.mkdir(parents=True)
    source.write_bytes(png())

    def other_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", other_device)
    assert place_copy(source, target) is True
    assert target.read_bytes() == png() and target.stat().st_ino != source.stat().st_ino
    source.write_bytes(b"other bytes")  # never happens to a content-addressed file: shows the copy is left alone
    assert place_copy(source, target) is False and target.read_bytes() == png()
    assert [p.name for p in target.parent.iterdir()] == ["ab.png"]  # no temporary left behind
    with pytest.raises(FileNotFoundError):
        place_copy(tmp_path / "absent.png", tmp_path / "site/assets/cd/cd.png")


def test_an_image_lost_from_the_site_and_the_archive_is_mirrored_again(vault, server):
    from newsvault.schedule import run_once

    config, engine = vault
    site = site_root(config)
    page = page_of(site, "自由亞洲電台報導：這是繁體")
    link = next(s for s in links(page).srcs if "assets/" in s)
    copy = local_target(page, link)
    assert copy is not None
    for folder in (site / "assets", config.archive / "assets"):
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    render_site(engine, config, full=True)
    assert not copy.exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM images")).scalar() == "pending"
    fetched = server.count("/img/a.png")
    run_once(config, engine)
    assert server.count("/img/a.png") == fetched + 1
    assert link in links(page).srcs and copy.read_bytes() == png()


def test_incremental_render_writes_nothing_the_second_time_and_repairs_with_full(vault):
    config, engine = vault
    site = site_root(config)
    before = tree(site)
    assert render_site(engine, config).written == 0
    assert render_site(engine, config, full=True).written == 0
    assert tree(site) == before
    page = page_of(site, "四月的旧闻")
    page.write_text("damaged", "utf-8")
    assert render_site(engine, config).written == 0  # incremental: only what the store changed
    stats = render_site(engine, config, full=True)
    pages = [path for path in before if not path.startswith("assets/")]  # images are placed, not checked
    assert stats.written == 1 and stats.checked >= len(pages) and stats.images == 0
    assert tree(site) == before


def test_new_article_rewrites_only_its_pages(tmp_path, server):
    from newsvault.schedule import run_once
    from tests.vaults import open_vault, rss, rss_item, write_vault

    items = [
        rss_item(f"第{i}篇", server.url(f"/a/{i}"), f"Wed, 0{i} May 2024 12:00:00 GMT", f"<p>{i}</p>")
        for i in range(1, 4)
    ]
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": server.set("/f.xml", rss(*items))}}))
    run_once(config, engine)
    site = site_root(config)
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    server.set(
        "/f.xml", rss(rss_item("新的一篇", server.url("/a/9"), "Thu, 09 May 2024 12:00:00 GMT", "<p>9</p>"), *items)
    )
    run_once(config, engine)
    changed = {
        p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and before.get(p) != p.stat().st_mtime_ns
    }
    assert changed == {
        "voa/1048571.html",
        "voa/2024-05.html",
        "voa/index.html",
        "index.html",
        "health.html",
        "feeds/voa.atom",
        "feeds/voa.rss",
        "feeds/voa.json",
        "feeds/all.atom",
        "feeds/all.rss",
        "feeds/all.json",
    }


def test_site_leaves_the_archive_tree_alone(tmp_path, server):
    config, engine = build(tmp_path, server)
    archive_before = tree(config.archive)
    (tmp_path / "vault.toml").write_text(
        (tmp_path / "vault.toml").read_text("utf-8") + "\n[site]\nenabled = false\n", "utf-8"
    )
    off = load(tmp_path)
    import shutil

    shutil.rmtree(site_root(off))
    render_tree(engine, off, full=True)
    assert not site_root(off).exists()  # disabled: no site
    assert tree(config.archive) == archive_before  # and the tree is the same with or without it
    assert not any(p.name == "site" for p in config.archive.iterdir())


@pytest.mark.parametrize(
    "text, message",
    [
        ('[site]\npath = "archive/articles/site"\n', "outside the archive"),
        ('[site]\npath = "archive"\n', "outside the archive"),
        ('[site]\nenabled = "yes"\n', "true or false"),
        ("[site]\nfeed_items = 0\n", "at least 1"),
        ('[site]\nbase_url = "example.org"\n', "http(s) URL"),
        ('[site]\ncolour = "red"\n', "unknown key 'colour'"),
    ],
)
def test_site_config_is_validated(tmp_path: Path, text: str, message: str):
    (tmp_path / "vault.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(tmp_path)


def test_site_config_defaults_and_values(tmp_path: Path):
    (tmp_path / "vault.toml").write_text("", "utf-8")
    assert load(tmp_path).site.enabled and load(tmp_path).site.path == "site"
    (tmp_path / "vault.toml").write_text(
        '[archive]\npath = "."\n[site]\npath = "public"\nfeed_items = 20\nbase_url = "https://news.example/"\n', "utf-8"
    )
    site = load(tmp_path).site
    assert (site.path, site.feed_items, site.base_url) == ("public", 20, "https://news.example/")


def test_home_lists_the_newest_articles_and_health_sums_up_first(vault):
    """Issue 16: the newest articles across outlets under the outlet list; flagged sources first on health."""
    config, engine = vault
    site = site_root(config)
    index = (site / "index.html").read_text("utf-8")
    assert "最新文章" in index and index.index("<h2>最新文章</h2>") > index.index('class="outlets"')
    newest = page_of(site, "习近平会见外宾（更新）").relative_to(site).as_posix()
    assert f'href="{newest}"' in index
    health = (site / "health.html").read_text("utf-8")
    assert "都正常" in health
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET failures = 3, last_error = 'HTTP 503' WHERE abbr = 'voa'"))
    render_tree(engine, config)
    health = (site / "health.html").read_text("utf-8")
    assert health.index("1 个来源需要注意") < health.index('<section class="source')
    assert "连续失败 3 次，最后错误：HTTP 503" in health
