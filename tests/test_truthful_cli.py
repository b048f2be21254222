"""Every command tells the truth (issue 16): refusals, one-line errors, notes apart from failures, one clock.

Each test is a case a new user met: the command failed, lied or stayed silent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from newsvault.base.clock import china_day_start
from newsvault.cli import cli, vault_first
from newsvault.render.verify import Kind, verify
from newsvault.schedule import run_once
from newsvault.store.schema import articles
from tests.support import pgstore
from tests.vaults import open_vault, rss, rss_item, write_vault

EXE = Path(sys.executable).with_name("newsvault")
MAY = "Wed, 01 May 2024 12:00:00 GMT"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


# 1. A demo never touches a vault it did not make.


def test_demo_refuses_a_real_vault_and_a_folder_of_other_files(tmp_path):
    code, out = _cli("init", str(tmp_path / "real"))
    assert code == 0, out
    before = (tmp_path / "real" / "vault.toml").read_bytes()
    code, out = _cli("demo", str(tmp_path / "real"))
    assert code == 1 and f"{tmp_path / 'real'} is not a demo vault" in out and out.count("\n") == 1
    assert (tmp_path / "real" / "vault.toml").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["vault.toml"]  # no store, no archive
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("mine")
    code, out = _cli("demo", str(tmp_path / "docs"))
    assert code == 1 and "is not a demo vault" in out
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    assert _cli("demo", str(tmp_path / "file"))[0] == 1


# 2. An unreachable or wrong store is one line: what, where, what to do.


def _closed_port() -> int:
    return 1  # nothing listens on port 1 of 127.0.0.1: the connection is refused at once


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"postgresql://postgres@127.0.0.1:{_closed_port()}/x", "is PostgreSQL running on 127.0.0.1:1?"),
        ("mysql://x@y/z", "mysql is not supported"),
        ("sqlite:////nonexistent-folder-of-newsvault/v.sqlite", "no folder /nonexistent-folder-of-newsvault"),
    ],
)
@pytest.mark.parametrize("command", ["run", "status", "migrate", "articles"])
def test_a_wrong_store_is_one_line_for_every_command(tmp_path, url, words, command):
    (tmp_path / "vault.toml").write_text(f'[store]\nurl = "{url}"\n\n[sources.voa]\nfeed = "http://127.0.0.1:9/"\n')
    code, out = _cli("--vault", str(tmp_path), command)
    assert code == 1, out
    assert out.count("\n") == 1 and out.startswith("Error: cannot open the store ") and words in out, out
    assert "Traceback" not in out and "sqlalche.me" not in out


def test_a_missing_postgresql_database_names_the_command_that_creates_it(tmp_path):
    base = pgstore.server() or pgstore.DEFAULT_SERVER
    if not pgstore.available(base):
        pytest.skip(f"no PostgreSQL server at {base} (.ci/run starts one)")
    url = base.rstrip("/") + "/newsvault_no_such_database"
    (tmp_path / "vault.toml").write_text(f'[store]\nurl = "{url}"\n')
    code, out = _cli("--vault", str(tmp_path), "status")
    assert code == 1 and out.count("\n") == 1
    assert 'database "newsvault_no_such_database" does not exist' in out and "createdb" in out


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("/tmp/plain.sqlite", "'/tmp/plain.sqlite': not a URL; for a file, write sqlite:////tmp/plain.sqlite"),
        ("mysql://x@y/z", "mysql is not supported"),
        ("postgresql://postgres:secret@127.0.0.1:1/x", "postgresql://postgres:***@127.0.0.1:1/x"),
        ("sqlite:////nonexistent-folder-of-newsvault/x.sqlite", "no folder"),
    ],
)
def test_copy_store_to_a_wrong_target_is_one_line(tmp_path, target, words):
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/"}})
    code, out = _cli("--vault", str(tmp_path), "copy-store", "--to", target)
    assert code == 1 and out.count("\n") == 1 and words in out and "secret" not in out, out


def test_copy_store_echoes_the_url_as_typed(tmp_path, pg_url):
    (tmp_path / "vault.toml").write_text('[sources.voa]\nfeed = "http://127.0.0.1:9/"\n')
    code, out = _cli("--vault", str(tmp_path), "copy-store", "--to", pg_url)
    assert code == 0, out
    assert f"to {pg_url};" in out and "+psycopg" not in out


# 3. worker --once reports like run.


def test_worker_once_summarises_the_round_and_exits_1_when_a_source_failed(tmp_path, pg_url, server):
    good = server.set("/f.xml", rss(rss_item("好", server.url("/a/1"), MAY, "<p>正文</p>")))
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "vault.toml").write_text(
        f'[store]\nurl = "{pg_url}"\n\n[fetch]\nretries = 0\nallow_private = true\n\n'
        f'[sources.voa]\nfeed = "{good}"\n\n[sources.dead]\nname = "Dead"\nfeed = "{server.url("/gone.xml")}"\n'
    )
    first = subprocess.run(
        [str(EXE), "--vault", str(vault), "worker", "--once"], capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 1, first.stdout + first.stderr
    assert "round of" in first.stdout and "started and done" in first.stdout
    assert "voa: new 1, updated 0, unchanged 0: ok" in first.stdout
    assert "dead: new 0, updated 0, unchanged 0: ERROR: HTTP 404" in first.stdout
    again = subprocess.run(
        [str(EXE), "--vault", str(vault), "worker", "--once"], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 1, again.stdout + again.stderr  # nothing due: the round's results, still failed
    assert "no round due" in again.stdout and "dead: new 0" in again.stdout and "HTTP 404" in again.stdout


# 4. verify checks every file render writes.


def _small_vault(tmp_path: Path, server) -> tuple[Path, object, object]:  # type: ignore[no-untyped-def]
    url = server.set("/f.xml", rss(rss_item("一", "https://a.example/1", MAY, "<p>1</p>")))
    vault = write_vault(tmp_path / "v", {"voa": {"feed": url}, "rfi": {"feed": url}})
    config, engine = open_vault(vault)
    assert not run_once(config, engine).failed
    assert list(verify(engine, config)) == []
    return vault, config, engine


def test_verify_checks_readme_and_lists(tmp_path, server):
    vault, config, engine = _small_vault(tmp_path, server)
    archive = config.archive  # type: ignore[attr-defined]
    (archive / "README.md").unlink()
    (archive / "lists" / "法广.md").unlink()
    with (archive / "lists" / "美国之音.md").open("ab") as file:
        file.write(b"junk\n")
    (archive / "lists" / "stray.md").write_text("x")
    found = {(p.kind, p.where) for p in verify(engine, config)}
    assert found == {
        (Kind.MISSING, "README.md"),
        (Kind.MISSING, "lists/法广.md"),
        (Kind.DIFFERS, "lists/美国之音.md"),
        (Kind.ORPHAN, "lists/stray.md"),
    }
    code, out = _cli("--vault", str(vault), "verify")
    assert code == 1 and "verify: 4 problem(s)" in out


# 5. Archived with a gap is a note, not a failure.


def test_an_undated_item_is_a_note_the_run_succeeds_and_status_shows_it(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(
            rss_item("有日期", "https://a.example/1", MAY, "<p>1</p>"),
            rss_item("丁 无日期", "https://a.example/2", None, "<p>2</p>"),
        ),
    )
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    result = CliRunner().invoke(cli, ["--vault", str(vault), "run"])
    assert result.exit_code == 0, result.output
    assert "voa: new 2, updated 0, unchanged 0: ok" in result.output
    assert "voa: item 2 (丁 无日期): no date" in result.output
    status = CliRunner().invoke(cli, ["--vault", str(vault), "status"])
    assert status.exit_code == 0, status.output
    assert "note item 2 (丁 无日期): no date" in status.output and "FLAG" not in status.output


def test_a_refused_item_is_still_a_failure(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(
            rss_item("好", "https://a.example/1", MAY, "<p>1</p>"),
            rss_item("坏", "javascript:alert(1)", MAY, "<p>2</p>"),
        ),
    )
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    result = CliRunner().invoke(cli, ["--vault", str(vault), "run"])
    assert result.exit_code == 1, result.output
    status = CliRunner().invoke(cli, ["--vault", str(vault), "status"])
    assert status.exit_code == 1 and "FLAG last run left 1 thing(s) unarchived" in status.output


def test_status_flags_a_source_whose_last_run_failed(tmp_path, server):
    vault = write_vault(tmp_path, {"dead": {"name": "Dead", "feed": server.url("/gone.xml")}})
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 1
    status = CliRunner().invoke(cli, ["--vault", str(vault), "status"])
    assert status.exit_code == 1 and "FLAG last run failed: HTTP 404" in status.output


# 6 and the clock. One date rule: an undated article has no date in every view; days are China time.


def test_search_dates_are_the_articles_and_since_is_china_time(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(
            # 2024-05-01 23:30 in China: 15:30 UTC, the day before in no time zone that matters here.
            rss_item("北京晚间新闻", "https://a.example/1", "Wed, 01 May 2024 15:30:00 GMT", "<p>新闻正文</p>"),
            rss_item("没有日期的新闻", "https://a.example/2", None, "<p>新闻正文</p>"),
        ),
    )
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 0
    _undate(vault, "没有日期的新闻")
    result = CliRunner().invoke(cli, ["--vault", str(vault), "search", "新闻", "--json"])
    hits = {h["title"]: h for h in map(json.loads, result.output.splitlines())}
    listed = CliRunner().invoke(cli, ["--vault", str(vault), "articles", "--json"])
    assert "没有日期的新闻" in listed.output
    assert hits["没有日期的新闻"]["date_ms"] is None
    assert hits["北京晚间新闻"]["date_ms"] == 1714577400000
    assert [h["title"] for h in map(json.loads, result.output.splitlines())][-1] == "没有日期的新闻"  # undated last
    since = CliRunner().invoke(cli, ["--vault", str(vault), "search", "新闻", "--json", "--since", "2024-05-01"])
    assert [json.loads(line)["title"] for line in since.output.splitlines()] == ["北京晚间新闻"]
    later = CliRunner().invoke(cli, ["--vault", str(vault), "search", "新闻", "--since", "2024-05-02"])
    assert later.exit_code == 1 and "search: no article since 2024-05-02 holds '新闻'" in later.output
    plain = CliRunner().invoke(cli, ["--vault", str(vault), "search", "新闻"])
    assert "voa/1048574  2024-05-01  北京晚间新闻" in plain.output and "no date" in plain.output


def _undate(vault: Path, title: str) -> None:
    """As an imported file without a date line is stored (a new item is dated when first seen)."""
    _, engine = open_vault(vault)
    with engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.title == title).values(date_ms=None, updated_ms=1))


def test_one_day_rule():
    assert china_day_start("2024-05-02") == 1714579200000  # 2024-05-01 16:00 UTC
    with pytest.raises(ValueError):
        china_day_start("2024-13-01")


# 7. A closed stdout ends the output, never the work.


def test_a_closed_pipe_ends_the_output_quietly_and_the_demo_finishes(tmp_path):
    env = {**os.environ, "NO_COLOR": "1"}
    demo = subprocess.Popen(
        [str(EXE), "demo", str(tmp_path / "d")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert demo.stdout is not None and demo.stderr is not None
    first = demo.stdout.readline()
    demo.stdout.close()  # as `| head -1` does
    err = demo.stderr.read().decode()
    assert demo.wait(timeout=300) == 0, err
    assert first.startswith(b"serving ") and err == ""
    # In a subprocess too: the demo's store is the SQLite file it made (whatever --store the tests run with).
    verify = subprocess.run([str(EXE), "--vault", str(tmp_path / "d"), "verify"], capture_output=True, text=True)
    assert verify.returncode == 0 and "verify: 0 problem(s)" in verify.stdout, verify.stdout + verify.stderr


# 8. Piped search: one hit per line.


def test_piped_search_never_wraps(tmp_path, server):
    title = "长标题" * 40
    url = server.set("/f.xml", rss(rss_item(title, "https://a.example/1", MAY, "<p>" + "正文很长" * 100 + "</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--vault", str(vault), "search", "标题"], env={"COLUMNS": "40"})
    lines = result.output.splitlines()
    assert len(lines) == 2 and lines[0].endswith(title) and lines[1].startswith("    正文很长")


# 9. Silent non-answers.


def test_search_says_why_it_found_nothing(tmp_path, server):
    url = server.set("/f.xml", rss(rss_item("好", "https://a.example/1", MAY, "<p>正文</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 0
    code, out = _cli("--vault", str(vault), "search", "不存在的词")
    assert code == 1 and "search: no article holds '不存在的词'" in out
    code, out = _cli("--vault", str(vault), "search", "")
    assert code == 2 and "nothing to search for" in out
    code, out = _cli("--vault", str(vault), "search", "正文", "--source", "nosuch")
    assert code == 2 and "no source 'nosuch'" in out


def test_import_of_a_folder_without_articles_is_an_error(tmp_path):
    write_vault(tmp_path / "v", {})
    (tmp_path / "empty").mkdir()
    code, out = _cli("--vault", str(tmp_path / "v"), "import", str(tmp_path / "empty"))
    assert code == 1 and "no archive article in" in out and "next:" not in out
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "GUIDE.md").write_text("# guide\n")
    code, out = _cli("--vault", str(tmp_path / "v"), "import", str(tmp_path / "docs"))
    assert code == 1 and "no archive article in" in out


def test_run_with_no_enabled_source_says_so(tmp_path):
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/", "enabled": False}})
    code, out = _cli("--vault", str(tmp_path), "run")
    assert code == 1 and "no enabled source in" in out


# 10. The rest.


def test_serve_refuses_a_port_out_of_range(tmp_path):
    code, out = _cli("--vault", str(tmp_path), "serve", "--port", "99999")
    assert code == 2 and "99999 is not in the range 0<=x<=65535" in out and "Traceback" not in out


def test_bundle_never_makes_the_folder_of_a_mistyped_out(tmp_path, server):
    url = server.set("/f.xml", rss(rss_item("好", "https://a.example/1", MAY, "<p>正文</p>")))
    vault = write_vault(tmp_path / "v", {"voa": {"feed": url}})
    out = tmp_path / "nonexistent" / "dir" / "x.html"
    code, text = _cli("--vault", str(vault), "bundle", "--since", "2024-01-01", "--out", str(out))
    assert code == 2 and "no folder" in text and not (tmp_path / "nonexistent").exists()


def test_vault_is_accepted_after_the_command(tmp_path, server):
    assert vault_first(["run", "--vault", "v", "--only", "voa"]) == ["--vault", "v", "run", "--only", "voa"]
    assert vault_first(["search", "x", "--vault=v"]) == ["--vault=v", "search", "x"]
    assert vault_first(["--vault", "a", "run"]) == ["--vault", "a", "run"]
    assert vault_first(["search", "--", "--vault"]) == ["search", "--", "--vault"]
    url = server.set("/f.xml", rss(rss_item("好", "https://a.example/1", MAY, "<p>正文</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    code, out = _cli("run", "--vault", str(vault))
    assert code == 0 and "voa: new 1" in out


def test_test_rule_lists_real_images_only_and_no_parser_warnings(tmp_path, server):
    page = server.set(
        "/a.html",
        "<html><body><div class='post'><p>正文</p>"
        "<img src='data:image/svg+xml,%3Csvg%3E%3C/svg%3E' data-src='https://img.example/real.jpg'>"
        "<img src='data:image/gif;base64,R0lGOD' class='spacer'>"
        "<p xml:lang='zh' a:b='1'>段落</p></div></body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/"}})
    result = subprocess.run(
        [str(EXE), "--vault", str(tmp_path), "test-rule", "--page", page, "--selector", "div.post"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr and "data:image" not in result.stdout
    assert "images: 1" in result.stdout and "https://img.example/real.jpg" in result.stdout


def test_store_errors_never_take_a_url_from_the_database_for_the_users(tmp_path, pg_url):
    """migrate names the store as the user wrote it (postgresql://, not SQLAlchemy's driver name)."""
    (tmp_path / "vault.toml").write_text(f'[store]\nurl = "{pg_url}"\n')
    code, out = _cli("--vault", str(tmp_path), "migrate")
    assert code == 0 and out.startswith(pg_url) and "+psycopg" not in out


def test_an_undated_article_dated_later_moves_into_since(tmp_path, server):
    """The index follows the article's date as it changes: dated later, it moves into `since`."""
    url = server.set("/f.xml", rss(rss_item("无日期标题", "https://a.example/1", None, "<p>正文</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": url}})
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 0
    _undate(vault, "无日期标题")
    code, _ = _cli("--vault", str(vault), "search", "标题", "--since", "2024-01-01")
    assert code == 1
    _, engine = open_vault(vault)
    with engine.begin() as conn:
        conn.execute(update(articles).values(date_ms=1714577400000, updated_ms=2))
    code, out = _cli("--vault", str(vault), "search", "标题", "--since", "2024-01-01")
    assert code == 0 and "2024-05-01" in out


def test_worker_with_no_enabled_source_says_so(tmp_path, pg_url):
    (tmp_path / "vault.toml").write_text(
        f'[store]\nurl = "{pg_url}"\n\n[sources.voa]\nfeed = "http://127.0.0.1:9/"\nenabled = false\n'
    )
    code, out = _cli("--vault", str(tmp_path), "worker", "--once")
    assert code == 1 and "no enabled source in" in out
