"""`newsvault copy-store`: SQLite → PostgreSQL → SQLite keeps every row, proven by counts and hashes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from newsvault.cli import cli
from newsvault.config import load
from newsvault.schedule import run_once
from newsvault.store import open_store
from newsvault.store.copy import table_digest, tables
from newsvault.store.schema import articles, captures, versions
from tests.vaults import rss, rss_item


def _vault(directory: Path, store_url: str, feed: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vault.toml").write_text(
        f'[store]\nurl = "{store_url}"\n\n[fetch]\nretries = 0\nallow_private = true\n\n'
        f'[sources.voa]\nfeed = "{feed}"\n\n[sources.blog]\nname = "博客"\nfeed = "{feed}"\n',
        "utf-8",
    )
    return directory


def _rows(engine, table):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(table).order_by(*table.primary_key.columns)).all()


def test_sqlite_to_postgresql_and_back_keeps_articles_versions_and_captures(tmp_path, pg_url, server):
    feed = server.set(
        "/feed.xml",
        rss(
            rss_item(
                "中国经济",
                link="http://127.0.0.1/a/1",
                description="<p>第一版</p>",
                date="Mon, 01 Jan 2024 00:00:00 GMT",
            ),
            rss_item("无日期", link="http://127.0.0.1/a/2", description="<p>正文 \U0001f600</p>"),
        ),
    )
    vault = _vault(tmp_path / "sqlite", f"sqlite:///{tmp_path / 'sqlite' / 'vault.sqlite'}", feed)
    config = load(vault)
    original = open_store(config.store_url)
    run_once(config, original, render=False)
    server.set(
        "/feed.xml",
        rss(
            rss_item(
                "中国经济（更新）",
                link="http://127.0.0.1/a/1",
                description="<p>第二版</p>",
                date="Mon, 01 Jan 2024 00:00:00 GMT",
            )
        ),
    )
    run_once(config, original, render=False)
    with original.connect() as conn:
        assert conn.execute(select(func.max(versions.c.n))).scalar() == 2

    to_pg = CliRunner().invoke(cli, ["--vault", str(vault), "copy-store", "--to", pg_url])
    assert to_pg.exit_code == 0, to_pg.output
    assert "articles: 4 row(s)" in to_pg.output

    back_url = f"sqlite:///{tmp_path / 'back.sqlite'}"
    on_pg = _vault(tmp_path / "pg", pg_url, feed)
    to_sqlite = CliRunner().invoke(cli, ["--vault", str(on_pg), "copy-store", "--to", back_url])
    assert to_sqlite.exit_code == 0, to_sqlite.output

    back = open_store(back_url)
    for table in (articles, versions, captures):
        assert _rows(back, table) == _rows(original, table)
    with original.connect() as before, back.connect() as after:
        for table in tables():
            assert table_digest(after, table) == table_digest(before, table)

    # The PostgreSQL copy is a working store: new rows get fresh ids after the copied ones.
    server.set(
        "/feed.xml",
        rss(
            rss_item(
                "新文章", link="http://127.0.0.1/a/3", description="<p>新</p>", date="Tue, 02 Jan 2024 00:00:00 GMT"
            )
        ),
    )
    report = run_once(load(on_pg), open_store(pg_url), render=False)
    assert [(r.error, r.problems) for r in report.sources] == [(None, [])] * 2
    assert sum(r.new for r in report.sources) == 2


def test_copy_store_refuses_a_target_that_holds_rows(tmp_path, pg_url, server):
    feed = server.set("/feed.xml", rss(rss_item("一", link="http://127.0.0.1/a/1", description="<p>x</p>")))
    vault = _vault(tmp_path / "v", f"sqlite:///{tmp_path / 'v' / 'vault.sqlite'}", feed)
    config = load(vault)
    run_once(config, open_store(config.store_url), render=False)
    assert CliRunner().invoke(cli, ["--vault", str(vault), "copy-store", "--to", pg_url]).exit_code == 0

    again = CliRunner().invoke(cli, ["--vault", str(vault), "copy-store", "--to", pg_url])
    assert again.exit_code == 1
    assert "the target store is not empty" in again.output
