"""How fast `newsvault publish` is against plain `git add -A && git commit && git push`, on the same tree.

Two cases, each on two identical copies of a generated final-layout tree (real
corpus articles, nine outlets; see bench_import.py) with a local bare repository
as the remote: the first publish of the whole tree, then an hourly update that
changes ``--changed`` files (three quarters edited, a quarter new). Prints
seconds and the ratio newsvault / plain git (below 1: newsvault is faster).

    .venv/bin/python bench/bench_publish.py [--files 10000] [--changed 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_import import generate

from newsvault.config.model import PublishRemote
from newsvault.publish import publish

IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]


def plain_git(tree: Path, remote: Path) -> None:
    """The baseline: what the original's workflow did, minus its force-push."""
    if not (tree / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(tree)], check=True)
    for step in (["add", "-A"], [*IDENTITY, "commit", "-q", "-m", "update"], ["push", "-q", str(remote), "HEAD:main"]):
        subprocess.run(["git", "-C", str(tree), *step], check=True)


def newsvault_publish(tree: Path, remote: Path) -> None:
    report = publish(tree, [PublishRemote(str(remote))], author="bench <bench@localhost>", retries=0)
    if report.failed or report.commit is None:
        raise SystemExit(f"publish failed: {report}")


def change(tree: Path, count: int) -> None:
    """An hourly run's worth of changes: edited articles, new ones, and their outlets' lists."""
    articles = sorted((tree / "articles").glob("*/*.md"))
    edited = count * 3 // 4
    for path in articles[:edited]:
        path.write_bytes(path.read_bytes() + b"<p>updated</p>\n")
    for n in range(count - edited):
        source = articles[n]
        source.with_name(f"{n + 1}.md").write_bytes(source.read_bytes())


def timed(action: Callable[[Path, Path], None], tree: Path, remote: Path) -> float:
    started = time.perf_counter()
    action(tree, remote)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the tree (the issue: 200000)")
    parser.add_argument("--changed", type=int, default=200, help="files changed by the hourly update")
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it behind")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        ours, theirs = work / "newsvault", work / "plain"
        generate(ours, args.files)
        shutil.copytree(ours, theirs)
        remotes = {}
        for name in ("newsvault", "plain"):
            remotes[name] = work / f"{name}.git"
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remotes[name])], check=True)
        size = sum(p.stat().st_size for p in ours.rglob("*.md")) / 1e6
        print(f"tree: {args.files} files, {size:.0f} MB")
        for case in ("first publish", f"update of {args.changed} files"):
            if case != "first publish":
                change(ours, args.changed)
                change(theirs, args.changed)
            ours_s = timed(newsvault_publish, ours, remotes["newsvault"])
            plain_s = timed(plain_git, theirs, remotes["plain"])
            print(
                f"{case}: newsvault {ours_s:.2f} s, plain add/commit/push {plain_s:.2f} s, ratio {ours_s / plain_s:.2f}"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
