"""The static site published: one commit of the changed pages per run, pushed to every ``[[publish.site]]``.

The site folder (``[site] path``, the feeds of changes in ``feeds/changes/``
included) is its own git work tree, as the evidence folder is; usually the
``gh-pages`` branch of the archive's repository. Pages are staged with
``--ignore-removal``: on a runner the folder is that branch's newest commit
without its files' contents, and a page absent there is not a deleted page.

The render is incremental on the store's marks, so the marks must say what the
site folder's commit holds. Each publish keeps, in ``meta``, the commit the
folder is at and the marks of the pages in it; before a render that will be
published, `align_marks` puts those marks back when the folder is still at that
commit (nothing lost: a render since then is simply redone), and drops them
(a full render, of which git keeps only the pages that differ) when the folder
is at another commit: a push that failed on a runner whose work is gone, a
branch changed by hand, a folder never published from this store.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine

from newsvault.base.failpoints import failpoint
from newsvault.config import Config
from newsvault.render.site.build import lost_images, restore_marks, saved_marks, stale_pages
from newsvault.render.site.paths import site_root
from newsvault.store import sources as store_sources
from newsvault.store.assets import ASSET_PATH, ASSETS

from . import PublishReport
from .commit import CommitInfo, commit_index, ensure_repo, finish_interrupted, head, identity, staged_changes
from .git import GitError, git
from .remotes import sync_all

PUBLISHED = "site_published"  # meta: {"head": the site folder's commit, "marks": the render marks of its pages}
NO_JEKYLL = ".nojekyll"
_TEMPORARY = ":(glob,exclude)**/.*.tmp"  # an interrupted write's leftover, never a page
_MONTH_PAGES = ":(glob)*/[0-9][0-9][0-9][0-9]-[0-9][0-9].html"  # month_page()'s names, to list from the index


def align_marks(engine: Engine, config: Config) -> None:
    """Before a render that will be published: its marks are those of the commit the site folder is at."""
    if not config.publish.site or not config.site.enabled:
        return
    folder = site_root(config)
    at = head(folder) if (folder / ".git").exists() else None
    with engine.begin() as conn:
        recorded = json.loads(store_sources.get_meta(conn, PUBLISHED) or "null")
        if recorded is not None and at is not None and recorded["head"] == at:
            if recorded["marks"] != saved_marks(conn):
                restore_marks(conn, recorded["marks"])
        else:
            restore_marks(conn, None)


def _record(engine: Engine, config: Config) -> None:
    """Keep the commit the site folder is at with the marks of the pages it holds (the last render's)."""
    at = head(site_root(config))
    with engine.begin() as conn:
        value = {"head": at, "marks": saved_marks(conn)}
        store_sources.set_meta(conn, PUBLISHED, json.dumps(value, sort_keys=True))


def _remove_stale(engine: Engine, folder: Path) -> None:
    """Stage the deletion of the pages the render says must no longer exist (a month left without articles).

    `--ignore-removal` keeps every page the folder lacks, so these are named
    one by one from the index (the branch's listing, also in a blob-less work
    tree); `git rm` of a path needs no blob, so nothing is downloaded.
    """
    listing = git(folder, "ls-files", "-z", "--", _MONTH_PAGES).stdout.decode("utf-8", "replace")
    with engine.connect() as conn:
        stale = stale_pages(conn, [path for path in listing.split("\0") if path])
    if stale:
        git(
            folder,
            "rm",
            "-q",
            "-f",
            "--ignore-unmatch",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
            input="\0".join(stale).encode("utf-8"),
        )


def _find_lost_images(engine: Engine, folder: Path) -> None:
    """Mirror again the images the render linked but had no copy of, unless the branch holds them.

    On a runner the site folder is the branch without its files, and the
    archive keeps no `assets/` between runs: a re-rendered page's image is on
    neither, but the branch has it from the run that mirrored it. Not when that
    run's push failed, or when the branch predates the site's own copies. The
    index is the branch's listing: nothing is downloaded to ask.
    """

    def held(paths: list[str]) -> set[str]:
        listing = git(folder, "ls-files", "-z", "--", ASSETS + "/").stdout.decode("utf-8", "replace")
        return set(listing.split("\0")) & set(paths)

    with engine.begin() as conn:
        lost_images(conn, held)


def commit_site(engine: Engine, config: Config) -> CommitInfo | None:
    """Commit the pages written, and those deleted, since the last commit; None, and no commit, when there are none."""
    folder = site_root(config)
    settings = config.publish
    if not ensure_repo(folder, settings.site[0].branch if settings.site else "gh-pages"):
        finish_interrupted(folder)
    (folder / NO_JEKYLL).touch()  # GitHub Pages serves the files as they are, `_`-named ones too
    git(folder, "add", "--ignore-removal", "--", ".", _TEMPORARY)
    _remove_stale(engine, folder)
    _find_lost_images(engine, folder)
    changes = staged_changes(folder, ".")
    if not changes:
        return None
    kinds = Counter("new" if status == "A" else "deleted" if status == "D" else "updated" for status, _ in changes)
    feeds = sum(1 for _, path in changes if path.startswith("feeds/"))
    images = sum(1 for _, path in changes if ASSET_PATH.fullmatch(path))
    said = ", ".join(f"{kinds[k]} {k}" for k in ("new", "updated", "deleted") if kinds[k])
    message = f"newsvault site: {len(changes)} page(s) ({said}; {feeds} of them feeds"
    message += f", {images} mirrored image(s))" if images else ")"
    info = CommitInfo(sha="", message=message, other=len(changes))
    info.sha = commit_index(folder, identity(folder, settings.author), message)
    return info


def publish_site(engine: Engine, config: Config) -> PublishReport:
    """Commit the site's changed pages and push them to every ``[[publish.site]]`` remote, each on its own."""
    folder = site_root(config)
    if not folder.is_dir():
        return PublishReport(None, error=f"no site at {folder}: `newsvault render` writes it")
    try:
        made = commit_site(engine, config)
        _record(engine, config)
    except GitError as exc:
        return PublishReport(None, error=str(exc))
    failpoint("site.committed")  # committed locally, pushed nowhere yet: the next publish pushes it
    report = PublishReport(made)
    who = identity(folder, config.publish.author)
    report.remotes = sync_all(folder, config.publish.site, who, config.publish)
    _record(engine, config)  # a rebase onto a remote's commits moved the folder's commit
    return report
