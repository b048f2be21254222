"""Crash safety for real: runs killed with SIGKILL at random moments, then run to completion.

Afterwards `verify` must pass and every article must exist exactly once: no
partial version, no orphan capture, no half-written file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from newsvault.render import parse_article
from tests.vaults import rss, rss_item, write_vault

SOURCES = 6
ITEMS = 40
KILLS = 8


def _feeds(server) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    sources: dict[str, dict[str, object]] = {}
    for s in range(SOURCES):
        items = [
            rss_item(
                f"来源{s} 第{i}篇",
                f"https://s{s}.example/a/{i}.html",
                f"Wed, 01 May 2024 {i % 24:02d}:{i % 60:02d}:00 GMT",
                "<p>" + "正文" * 400 + f"{i}</p>",
            )
            for i in range(ITEMS)
        ]
        sources[f"s{s}"] = {"name": f"来源{s}", "feed": server.set(f"/s{s}.xml", rss(*items))}
    return sources


def _newsvault(vault: Path, *args: str) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("newsvault")
    return subprocess.Popen(
        [str(exe), "--vault", str(vault), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path, server):
    vault = write_vault(tmp_path, _feeds(server))
    rng = random.Random(20261129)
    killed = 0
    for _ in range(KILLS):
        proc = _newsvault(vault, "run")
        time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= KILLS // 2, "runs finished before they could be killed: the test proves nothing"
    final = _newsvault(vault, "run")
    assert final.wait(timeout=120) == 0
    verify = subprocess.run(
        [str(Path(sys.executable).with_name("newsvault")), "--vault", str(vault), "verify"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout
    links = [parse_article(p.read_bytes()).url for p in (vault / "archive/articles").rglob("*.md")]
    assert len(links) == SOURCES * ITEMS
    assert len(set(links)) == len(links)
