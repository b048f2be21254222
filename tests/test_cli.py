"""The command line as a user meets it: init, run, render, demo; exit codes and summaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from newsvault.cli import cli
from tests.reference import reference
from tests.vaults import rss, rss_item, tree, write_vault


def test_init_writes_the_nine_outlets_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "v" / "vault.toml").read_text("utf-8")
    assert text.count("[sources.") == 9 and 'feed = "https://feedx.net/rss/mgzy1.xml"' in text
    again = runner.invoke(cli, ["init", str(tmp_path / "v")])
    assert again.exit_code != 0 and "exists already" in again.output


def test_run_summarises_each_source_and_exits_1_on_failure(tmp_path, server):
    good = server.set("/f.xml", rss(rss_item("好", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "x")))
    write_vault(tmp_path, {"voa": {"feed": good}, "dead": {"name": "Dead", "feed": server.url("/gone.xml")}})
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "run"])
    assert result.exit_code == 1, result.output
    assert "voa: new 1, updated 0, unchanged 0: ok" in result.output
    assert "dead: new 0, updated 0, unchanged 0: ERROR: HTTP 404" in result.output
    only = CliRunner().invoke(cli, ["--vault", str(tmp_path), "run", "--only", "voa"])
    assert only.exit_code == 0, only.output
    assert "voa: new 0, updated 0, unchanged 1: ok" in only.output


def test_run_with_unknown_source_or_bad_config_is_a_clear_error(tmp_path):
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/"}})
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "run", "--only", "nope"])
    assert result.exit_code == 2 and "no source 'nope'" in result.output
    (tmp_path / "vault.toml").write_text("[sources.voa]\nbody = 1\n")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "run"])
    assert result.exit_code == 1 and "key 'body'" in result.output


def test_render_rebuilds_a_deleted_tree_byte_for_byte(tmp_path, server):
    url = server.set("/f.xml", rss(rss_item("一", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>1</p>")))
    write_vault(tmp_path, {"voa": {"feed": url}})
    CliRunner().invoke(cli, ["--vault", str(tmp_path), "run"])
    archive = tmp_path / "archive"
    before = tree(archive)
    (archive / "articles/voa/1048574.md").write_bytes(b"tampered")
    (archive / "lists/美国之音.md").unlink()
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "render"])
    assert result.exit_code == 0, result.output
    assert tree(archive) == before


def test_demo_archives_the_corpus_offline(tmp_path):
    """The real command in a subprocess, as a user runs it."""
    exe = Path(sys.executable).with_name("newsvault")
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [str(exe), "demo", str(tmp_path / "d")], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    archive = tmp_path / "d" / "archive"
    assert (archive / "articles/cdt/332717.md").exists()  # page fetched, id from the post id
    assert len(list((archive / "articles/voa").iterdir())) == 3
    assert "files in" in result.stdout
    # The CDT body went through a real page fetch and HTML5 parse: date and body match the original file.
    original = reference("corpus/duty-machine-news/final-2025/articles/cdt/332717.md").read_bytes().split(b"\n")
    made = (archive / "articles/cdt/332717.md").read_bytes().split(b"\n")
    assert (made[0], made[4]) == (original[0], original[4])


def test_commands_load_their_modules_only_when_they_run():
    """`newsvault --version` (and a cron `init` or `run`) must not pay for the site builder, search or workers."""
    probe = (
        "import sys\nfrom click.testing import CliRunner\nfrom newsvault.cli import cli\n"
        "assert CliRunner().invoke(cli, ['--version']).exit_code == 0\n"
        "print(sorted(m for m in ('aiohttp', 'procrastinate', 'jinja2', 'newsvault.search', "
        "'newsvault.render.site') if m in sys.modules))\n"
        "assert CliRunner().invoke(cli, ['--help']).output.count('\\n  ') >= 19\n"
        "print('newsvault.cli.worker' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[]", "True"]  # --help lists every command, so it loads them all
