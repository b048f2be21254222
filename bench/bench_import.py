"""How fast `newsvault import` reads a big final-layout tree, and whether its memory stays flat.

Generates a tree of N files (default 200,000) in a temporary folder: nine outlets,
``articles/<abbr>/<id>.md`` built from the real articles of the corpus (so sizes,
scripts and line shapes are realistic, 3–90 KB), their lists and the README. The
import then runs in a child process, which reports files per second and its peak
RSS after 20,000 files and at the end: the two must be close, whatever N is.

    .venv/bin/python bench/bench_import.py [--files 200000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsvault.archive import FIRST_ID, ListEntry, format_article, format_list, format_readme, parse_article
from newsvault.config import catalogue

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/duty-machine-news/snapshot-2020-07-20/articles"
CHECKPOINT = 20_000


def templates() -> list[tuple[int, str, str, str]]:
    """(ms, title, link, body) of every corpus article the final format reproduces."""
    found = []
    for folder in sorted(CORPUS.iterdir()):
        for path in sorted(folder.iterdir()):
            parsed = parse_article(path.read_bytes())
            if parsed.canonical and parsed.ms is not None:
                found.append((parsed.ms, parsed.title, parsed.url, parsed.body))
    return found


def generate(root: Path, files: int) -> None:
    """A final-layout tree: ``files`` files in all, articles spread over the nine outlets."""
    outlets = list(catalogue().values())
    sources = templates()
    articles = files - 1 - len(outlets)  # the README and one list per outlet
    (root / "lists").mkdir(parents=True)
    newest: dict[str, list[ListEntry]] = {o.abbr: [] for o in outlets}
    for n in range(articles):
        outlet = outlets[n % len(outlets)]
        archive_id = FIRST_ID - n // len(outlets)
        ms, title, link, body = sources[n % len(sources)]
        ms += n * 60_000
        title = f"{title} ({n})"
        folder = root / "articles" / outlet.abbr
        if n < len(outlets):
            folder.mkdir(parents=True)
        (folder / f"{archive_id}.md").write_bytes(format_article(ms, title, f"{link}?n={n}", body))
        entries = newest[outlet.abbr]
        entries.append(ListEntry(outlet.abbr, archive_id, title, ms))
        if len(entries) > 600:
            del entries[:300]  # ids count down: the newest are always the last ones
    for outlet in outlets:
        (root / "lists" / f"{outlet.name}.md").write_bytes(format_list(outlet.name, newest[outlet.abbr]))
    (root / "README.md").write_bytes(format_readme([o.name for o in outlets]))


def child(tree: str, vault: str) -> None:
    """Import ``tree`` into a new vault; print one JSON line of measurements."""
    from newsvault.config import load
    from newsvault.importer import import_tree
    from newsvault.search import update_index
    from newsvault.store import open_store

    # The index is built apart, after the import, as a runner that searches would: two costs, two numbers.
    Path(vault, "vault.toml").write_text('[archive]\npath = "archive"\n\n[search]\nupdate = false\n', "utf-8")
    config = load(vault)
    engine = open_store(config.store_url)
    marks: dict[str, float] = {}
    done = 0
    started = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done >= CHECKPOINT and "files_at_mark" not in marks:
            marks.update(files_at_mark=done, seconds_at_mark=time.perf_counter() - started, rss_mb_at_mark=_rss_mb())

    report = import_tree(engine, config, tree, progress=progress)
    marks.update(files=report.files, seconds=time.perf_counter() - started, rss_mb=_rss_mb())
    engine.dispose()  # the WAL checkpointed into the file: its size is the store's
    marks.update(store_bytes=sum(f.stat().st_size for f in Path(vault).glob("vault.sqlite*")))
    started = time.perf_counter()
    marks.update(indexed=update_index(engine), index_seconds=time.perf_counter() - started)
    print(json.dumps(marks))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--child", nargs=2, metavar=("TREE", "VAULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    tree = args.keep or work / "tree"
    try:
        started = time.perf_counter()
        generate(tree, args.files)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f} s", flush=True)
        (work / "vault").mkdir()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(tree), str(work / "vault")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        m = json.loads(out)
        if "files_at_mark" in m:
            print(
                f"at {m['files_at_mark']:>7} files: {m['files_at_mark'] / m['seconds_at_mark']:,.0f} files/s, "
                f"peak RSS {m['rss_mb_at_mark']:.0f} MB"
            )
        print(
            f"at {m['files']:>7} files: {m['files'] / m['seconds']:,.0f} files/s without the index, "
            f"peak RSS {m['rss_mb']:.0f} MB (target ≥ 5,000 files/s on 2 cores; RSS flat)"
        )
        print(f"then the search index: {m['indexed'] / m['index_seconds']:,.0f} articles/s (target ≥ 5,000)")
        articles = sum(f.stat().st_size for f in (tree / "articles").rglob("*.md"))
        print(f"store before the index: {m['store_bytes'] / articles:.2f}× the tree's article files (target ≤ 1.5)")
        vault_files = {f.name: f.stat().st_size for f in (work / "vault").glob("vault.*") if f.suffix != ".toml"}
        for name, size in sorted(vault_files.items()):
            print(f"{name}: {size / 2**20:,.1f} MB = {size / articles:.2f}× the tree's article files")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
