"""Crash safety for real: `newsvault run --publish` killed with SIGKILL, then run to completion.

Kills happen at chosen points, never after a wall-clock delay: at each named
failpoint (src/newsvault/base/failpoints.py), and at seeded random moments while the
run waits on a feed the test server holds back. Either way the kill cannot come
too late on a fast machine, and every test asserts that it happened (exit status
-9), so none can pass without having killed anything. Afterwards `verify` must
pass, every article must exist exactly once in the store, in the tree and in the
remote: no partial version, no orphan capture, no half-written file, no lost push.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsvault.archive import parse_article
from newsvault.base.failpoints import ENV
from tests.vaults import rss, rss_item, write_vault

SOURCES = 4  # feeds with their bodies in the feed
ITEMS = 30
PAGES = 6  # items of the one source whose bodies come from article pages
KILLS = 6
NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))

# Every failpoint in src/, each with the arrival to kill at (a middle one where a run reaches it more than once).
POINTS = [
    "poll.stored:2",  # one feed's transaction committed, the others not yet
    "page.extracted:2",  # a page's body extracted, not stored (tests/test_hostile_parse.py raises there too)
    "page.stored:3",  # some page bodies stored, others pending
    "render.article_written:40",  # an article file written, its mark in the store not
    "render.lists:3",  # some outlets' lists written, the others not
    "run.before_index",  # the tree written, the search index not updated
    "publish.committed",  # committed in the archive's repository, pushed nowhere
]
# tests/test_import_kill.py, tests/test_warc.py, tests/test_telegram.py, tests/test_site_publish.py
KILLED_ELSEWHERE = {
    "timestamps.manifest_written",  # tests/test_timestamps.py
    "import.batch",
    "warc.record",
    "site.committed",
    "notify.queued",
    "notify.sending",
    "notify.sent",
    "notify.posted",
    "witness.sending",  # tests/test_witness.py
}


def _items(source: int, count: int, server) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        rss_item(
            f"来源{source} 第{i}篇",
            f"https://s{source}.example/a/{i}.html",
            f"Wed, 01 May 2024 {i % 24:02d}:{i % 60:02d}:00 GMT",
            "<p>" + "正文" * 200 + f"{i}</p>",
        )
        for i in range(count)
    ]


def _serve(server, count: int) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """The feeds with their first ``count`` items (pages: all of theirs)."""
    sources: dict[str, dict[str, object]] = {}
    for s in range(SOURCES):
        sources[f"s{s}"] = {"name": f"来源{s}", "feed": server.set(f"/s{s}.xml", rss(*_items(s, count, server)))}
    pages = []
    for i in range(PAGES):
        link = server.set(f"/p/{i}.html", f"<html><body><article><p>网页正文{i}</p></article></body></html>")
        pages.append(rss_item(f"网页{i}", link, f"Wed, 01 May 2024 0{i}:00:00 GMT"))
    sources["pg"] = {
        "name": "网页源",
        "feed": server.set("/pg.xml", rss(*pages)),
        "body": "page",
        "selector": "article",
    }
    return sources


def _vault(tmp_path: Path, server) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    vault = write_vault(
        tmp_path / "vault",
        _serve(server, ITEMS),
        timeout=300,  # a held request waits for the kill, never for the clock
        archive={"shard_by_month": True, "monthly_lists": True},
    )
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[publish]\nretries = 0\n[[publish.remote]]\nurl = "{remote}"\n')
    return vault, remote


def _start(vault: Path, failpoint: str | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if failpoint:
        env[ENV] = failpoint
    return subprocess.Popen(
        [NEWSVAULT, "--vault", str(vault), "run", "--publish"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _complete(vault: Path, remote: Path, total: int) -> None:
    """A run to completion, then: verify passes; each article once in the store, the tree and the remote."""
    final = _start(vault)
    assert final.wait(timeout=600) == 0
    verify = subprocess.run([NEWSVAULT, "--vault", str(vault), "verify"], capture_output=True, text=True, timeout=600)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    listed = subprocess.run(
        [NEWSVAULT, "--vault", str(vault), "articles", "--json"], capture_output=True, text=True, timeout=600
    )
    stored = [json.loads(line)["link"] for line in listed.stdout.splitlines()]
    assert len(stored) == total and len(set(stored)) == total
    files = sorted((vault / "archive/articles").rglob("*.md"))
    links = [parse_article(p.read_bytes()).url for p in files]
    assert sorted(links) == sorted(stored)
    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "main", "articles"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(pushed) == sorted(str(p.relative_to(vault / "archive")) for p in files)


@pytest.mark.parametrize("point", POINTS)
def test_killed_at_a_named_point_loses_and_duplicates_nothing(tmp_path, server, point):
    vault, remote = _vault(tmp_path, server)
    killed = _start(vault, failpoint=point)
    assert killed.wait(timeout=600) == -signal.SIGKILL, f"the run never reached {point}"
    _complete(vault, remote, SOURCES * ITEMS + PAGES)


def test_every_failpoint_in_the_code_is_killed_at_here():
    src = Path(__file__).resolve().parent.parent / "src" / "newsvault"
    named = set()
    for path in src.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "failpoint(" in line and not line.lstrip().startswith(("def ", "#", '"""')):
                named.add(line.split('failpoint("', 1)[1].split('"', 1)[0])
    assert named == {point.split(":")[0] for point in POINTS} | KILLED_ELSEWHERE


def test_killed_while_waiting_on_the_network_at_random_moments(tmp_path, server):
    """Each run is let through a random number of requests, then killed while it waits for the next.

    New items arrive between the runs, so a kill can land while the feeds answered
    before the held one are being stored, not only in runs that find nothing new.
    Kills in render and publish are the named points' work.
    """
    vault, remote = _vault(tmp_path, server)
    rng = random.Random(20261204)
    count = ITEMS
    for _ in range(KILLS):
        count += rng.randrange(3)
        _serve(server, count)
        hold = server.hold_after(rng.randrange(SOURCES))  # each run asks for every feed: the hold is always reached
        run = _start(vault)
        assert hold.reached.wait(timeout=600), "the run never reached the held request"
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=60) == -signal.SIGKILL
        server.release()
    _complete(vault, remote, SOURCES * count + PAGES)
