"""Renders beside writers: a render stopped at a chosen point while another process commits.

With workers polling the sources, the tree's machine runs `render` on a
schedule (docs/WORKERS.md): what a worker commits while a render reads must
reach the tree and the site by the next render, however the two interleave.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from newsvault.base.failpoints import ENV as FAILPOINT
from newsvault.render.tree import render_tree
from newsvault.schedule import run_once
from tests.vaults import open_vault, rss, rss_item, write_vault

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))
DATE = "Wed, 01 May 2024 12:00:00 GMT"


def _stopped(vault: Path, command: str, point: str) -> subprocess.Popen[str]:
    """`newsvault COMMAND` run until it stops itself at `point` (SIGSTOP): the caller sends SIGCONT."""
    env = {k: v for k, v in os.environ.items() if k != FAILPOINT} | {FAILPOINT: f"{point}:1:stop"}
    started = subprocess.Popen(
        [NEWSVAULT, "--vault", str(vault), command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _pid, how = os.waitpid(started.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(how), f"{command} never reached {point}: {started.communicate()}"
    return started


def _finish(started: subprocess.Popen[str]) -> None:
    os.kill(started.pid, signal.SIGCONT)
    out, err = started.communicate(timeout=300)
    assert started.returncode == 0, out + err


def test_an_article_edited_while_the_tree_is_written_reaches_the_tree_next_render(tmp_path, server):
    """The render marked the article written with the sha of the file it wrote before the edit: every
    later render took the article as written, and the tree kept the old text."""
    link = "https://a.example/1.html"
    feed = server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>第一版正文</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": feed}})
    config, engine = open_vault(vault)
    run_once(config, engine, render=False)
    render = _stopped(vault, "render", "render.article_written")  # the file written, its mark not yet
    try:
        server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>第二版正文</p>")))
        run_once(config, engine, render=False)  # a worker's edit, committed meanwhile
    finally:
        _finish(render)
    render_tree(engine, config)
    (path,) = (config.archive / "articles").rglob("*.md")
    assert "第二版正文" in path.read_text("utf-8")
