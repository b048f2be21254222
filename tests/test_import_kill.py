"""An import killed with SIGKILL half-way, then run again, ends exactly like one never interrupted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from newsvault.archive import FIRST_ID, format_article
from newsvault.base.failpoints import ENV
from tests.test_import import empty_vault, files_of

NEWSVAULT = str(Path(sys.executable).parent / "newsvault")
FILES = 1_500
BATCH = 200


def make_tree(root: Path) -> None:
    """Both layouts, a README, lists and a stray file: every kind of row an import writes."""
    for n in range(FILES):
        abbr = ("voa", "rfi", "美国之音")[n % 3]
        archive_id = FIRST_ID - n // 3
        name = f"{archive_id}_标题{n}.md" if abbr == "美国之音" else f"{archive_id}.md"
        body = f"<p>第{n}篇</p>" + "<p>正文内容。</p>" * 60
        data = format_article(1_600_000_000_000 + n * 1000, f"标题{n}", f"https://a.example/{abbr}/{n}", body)
        path = root / "articles" / abbr / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "lists").mkdir()
    (root / "lists/法广.md").write_bytes("法广\n------\n\n手写的列表\n".encode())
    (root / "README.md").write_bytes("抓取新闻媒体文章\n------\n\n手写\n".encode())
    (root / "articles/voa/.gitkeep").write_bytes(b"")


def import_cmd(vault: Path, tree: Path) -> list[str]:
    return [NEWSVAULT, "--vault", str(vault), "import", "--batch", str(BATCH), str(tree)]


def stored(vault: Path) -> int:
    try:
        with sqlite3.connect(f"file:{vault / 'vault.sqlite'}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # the store or its schema is not there yet


def running_with(vault: Path) -> list[int]:
    """Live processes started for this vault: the import and the reading workers it forked."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(vault).encode() in command and "zombie" not in _state(int(entry)):
                found.append(int(entry))
    return found


def dump(vault: Path) -> dict[str, list[tuple]]:
    """What the store holds, without row ids and import times (which differ between runs)."""
    queries = {
        "articles": "SELECT source, archive_id, path, guid, link, title, date_ms, body, raw, imported, date_missing "
        "FROM articles ORDER BY source, archive_id, path",
        "kept_files": "SELECT path, kind, source, raw FROM kept_files ORDER BY path",
        "sources": "SELECT abbr, name, feed_url FROM sources ORDER BY abbr",
        "meta": "SELECT key, value FROM meta WHERE key != 'alembic_version' ORDER BY key",
    }
    with sqlite3.connect(vault / "vault.sqlite") as db:
        return {table: db.execute(sql).fetchall() for table, sql in queries.items()}


def test_sigkill_half_way_then_again_equals_one_uninterrupted_import(tmp_path):
    tree = tmp_path / "tree"
    make_tree(tree)
    whole, killed = empty_vault(tmp_path / "whole"), empty_vault(tmp_path / "killed")

    subprocess.run(import_cmd(whole, tree), check=True, capture_output=True)

    # The import kills itself (SIGKILL) once its third batch is committed: half-way on any machine.
    process = subprocess.Popen(
        import_cmd(killed, tree),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, ENV: "import.batch:3"},
    )
    assert process.wait(timeout=600) == -signal.SIGKILL, "the import never committed its third batch"
    at_kill = stored(killed)
    assert 0 < at_kill < FILES
    # Worker processes notice that their parent is gone and leave (a bounded wait for them, not a timed kill).
    deadline = time.monotonic() + 30
    while running_with(killed):
        assert time.monotonic() < deadline, "worker processes outlived the killed import"
        time.sleep(0.05)

    subprocess.run(import_cmd(killed, tree), check=True, capture_output=True)
    assert dump(killed) == dump(whole)
    assert stored(killed) == FILES

    # Equal stores render equal trees; this one must hold the whole of the imported tree.
    subprocess.run([NEWSVAULT, "--vault", str(killed), "render"], check=True, capture_output=True)
    rendered = files_of(killed / "archive")
    assert {rel: rendered.get(rel) for rel in files_of(tree)} == files_of(tree)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0].lower()
    except (OSError, IndexError):
        return "zombie"
