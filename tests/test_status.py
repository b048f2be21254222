"""`newsvault status` and the health flags: each quiet way a feed dies is caught, a healthy one is not."""

from __future__ import annotations

import time

from click.testing import CliRunner
from sqlalchemy import text

from newsvault.cli import cli
from newsvault.health import source_health
from newsvault.schedule import run_once
from newsvault.search import update_index
from newsvault.store.schema import articles, sources
from tests.vaults import open_vault, rss, rss_item, write_vault

HOUR = 3_600_000
DAY = 24 * HOUR


def _vault(tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "vault.toml").write_text("", "utf-8")
    return vault, *open_vault(vault)


def _source(engine, abbr: str, now: int, failures: int = 0, error: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            sources.insert().values(
                abbr=abbr, name=abbr, last_success_ms=now, failures=failures, last_error=error, last_error_ms=now
            )
        )


def _articles(
    engine,
    abbr: str,
    dates: list[int],
    *,
    length: int = 400,
    seen_lag: int = 0,
    seen: list[int] | None = None,
    start_id: int = 1_000_000,
) -> None:
    with engine.begin() as conn:
        for i, date in enumerate(dates):
            first_seen = seen[i] if seen else date + seen_lag
            conn.execute(
                articles.insert().values(
                    source=abbr,
                    archive_id=start_id + i,
                    link=f"https://x.example/{abbr}/{start_id + i}",
                    title=f"第{i}篇",
                    body="<p>" + "字" * length + "</p>",
                    date_ms=date,
                    first_seen_ms=first_seen,
                    last_seen_ms=first_seen,
                )
            )


def _flags(engine, now: int) -> dict[str, list[str]]:
    update_index(engine)  # lengths come from the indexed plain text
    with engine.connect() as conn:
        return {h.abbr: h.flags for h in source_health(conn, now)}


def test_healthy_source_is_not_flagged(tmp_path):
    now = 1_720_000_000_000
    _, _, engine = _vault(tmp_path)
    _source(engine, "voa", now)
    _articles(engine, "voa", [now - i * HOUR for i in range(1, 60)])
    assert _flags(engine, now) == {"voa": []}


def test_silent_failing_shrinking_and_future_dated_sources_are_flagged(tmp_path):
    now = 1_720_000_000_000
    _, _, engine = _vault(tmp_path)
    # Hourly for weeks, then nothing for two days.
    _source(engine, "silent", now)
    _articles(engine, "silent", [now - 2 * DAY - i * HOUR for i in range(60)])
    _source(engine, "failing", now - DAY, failures=4, error="HTTP 503")
    _articles(engine, "failing", [now - i * HOUR for i in range(1, 60)])
    # Bodies of the last week are a tenth of what they were.
    _source(engine, "shrink", now)
    _articles(engine, "shrink", [now - i * 6 * HOUR for i in range(1, 20)], length=60, start_id=1)
    _articles(engine, "shrink", [now - 8 * DAY - i * 6 * HOUR for i in range(20)], length=600, start_id=100)
    _source(engine, "future", now)
    _articles(engine, "future", [now - i * HOUR for i in range(1, 30)])
    _articles(engine, "future", [now + 8 * HOUR], seen=[now - HOUR], start_id=5)
    flags = _flags(engine, now)
    assert [f.split(":")[0] for f in flags["silent"]] == ["silent"]
    assert [f.split(":")[0] for f in flags["failing"]] == ["failing"] and "HTTP 503" in flags["failing"][0]
    assert [f.split(":")[0] for f in flags["shrink"]] == ["shrinking"]
    assert flags["future"] == ["dated in the future: 1 recent article(s), e.g. future/5"]


def test_status_exit_code(tmp_path):
    now = int(time.time() * 1000)
    vault, _, engine = _vault(tmp_path)
    _source(engine, "voa", now)
    _articles(engine, "voa", [now - i * HOUR for i in range(1, 60)])
    update_index(engine)
    ok = CliRunner().invoke(cli, ["--vault", str(vault), "status"])
    assert ok.exit_code == 0 and "FLAG" not in ok.output and "voa" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET failures = 3, last_error = 'timeout' WHERE abbr = 'voa'"))
    bad = CliRunner().invoke(cli, ["--vault", str(vault), "status"])
    assert bad.exit_code == 1 and "FLAG failing: 3 runs in a row; last error: timeout" in bad.output


def test_articles_whose_pages_keep_failing_are_flagged(tmp_path, server):
    feed = server.set("/f.xml", rss(rss_item("页", server.url("/a/1.html"), "Mon, 01 Jan 2024 00:00:00 GMT")))
    server.set("/a/1.html", "<html><body><p>改版了</p></body></html>")  # the rule's selector finds nothing now
    config, engine = open_vault(
        write_vault(tmp_path, {"x": {"name": "X", "feed": feed, "body": "page", "selector": "div.article"}})
    )
    for tries in range(1, 4):
        run_once(config, engine)
        if tries < 3:  # one or two failed tries may be the outlet's bad minute
            assert not [f for f in _flags(engine, int(time.time() * 1000))["x"] if f.startswith("pages")]
    [flag] = [f for f in _flags(engine, int(time.time() * 1000))["x"] if f.startswith("pages")]
    assert flag.startswith("pages failing: 1 article(s) without their body after 3 or more tries; e.g. ")
    assert "div.article" in flag
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "status"])
    assert result.exit_code == 1 and "pages failing" in result.output
