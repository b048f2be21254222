"""One commit per publish, made only when the archive tree changed, with a message that says what changed.

Only the archive proper is committed (README.md, lists/, articles/): the store,
vault.toml or anything else that happens to sit in the same folder is never
swept into the published history. Counts come from git itself, so a publish
stands alone, without the report of the run that wrote the files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .git import git, text

ARCHIVE_PATHS = ("README.md", "lists", "articles", "proofs")  # proofs: docs/EVIDENCE.md, trusted timestamps
DEFAULT_NAME = "newsvault"
DEFAULT_EMAIL = "newsvault@localhost"


@dataclass
class CommitInfo:
    sha: str
    message: str
    new: Counter[str] = field(default_factory=Counter)  # per outlet folder
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    other: int = 0  # README, lists, anything not an article


def ensure_repo(archive: Path, branch: str) -> bool:
    """Make ``archive`` the top of a git work tree; True when it had to be created."""
    archive.mkdir(parents=True, exist_ok=True)
    top = git(archive, "rev-parse", "--show-toplevel", ok=None)
    if top.returncode == 0 and Path(text(top)).resolve() == archive.resolve():
        return False
    # Not a repository, or only a folder inside another one (a vault kept in git): the archive gets its own.
    git(archive, "init", "-q", "-b", branch)
    return True


def finish_interrupted(archive: Path) -> None:
    """Abort a rebase that a killed publish left behind, so the next one starts from our own commits."""
    for name in ("rebase-merge", "rebase-apply"):
        if Path(archive, text(git(archive, "rev-parse", "--git-path", name))).exists():
            git(archive, "rebase", "--abort")
            return


def identity(archive: Path, author: str | None) -> list[str]:
    """``-c user.*`` options for commits and rebases: the configured author, else git's own, else a default.

    Passed on the command line, never written to the repository's config.
    """
    if author:
        name, _, email = author.rpartition(" <")
        return ["-c", f"user.name={name.strip()}", "-c", f"user.email={email.rstrip('>')}"]
    # GIT_AUTHOR_* / GIT_COMMITTER_* in the environment still win over these, as they do over any config.
    options: list[str] = []
    for key, default in (("user.name", DEFAULT_NAME), ("user.email", DEFAULT_EMAIL)):
        if git(archive, "config", "--get", key, ok=None).returncode != 0:
            options += ["-c", f"{key}={default}"]
    return options


def head(archive: Path) -> str | None:
    done = git(archive, "rev-parse", "--verify", "-q", "HEAD", ok=None)
    return text(done) if done.returncode == 0 else None


def stage(archive: Path) -> None:
    """Stage every change of the archive paths that exist (a missing folder is not a mass deletion)."""
    present = [p for p in ARCHIVE_PATHS if (archive / p).exists()]
    if present:
        git(archive, "add", "-A", "--", *present)


def staged_changes(folder: Path, *paths: str) -> list[tuple[str, str]]:
    """(status, path) of what a commit would record now: git's A, M, D against HEAD; all A before a first commit."""
    if head(folder) is None:
        listing = git(folder, "ls-files", "-z", "--", *paths).stdout
        return [("A", path) for path in listing.decode("utf-8", "replace").split("\0") if path]
    out = git(folder, "diff", "--cached", "--name-status", "--no-renames", "-z", "HEAD", "--").stdout
    fields = out.decode("utf-8", "replace").split("\0")
    return list(zip(fields[0:-1:2], fields[1::2], strict=False))


def commit_index(folder: Path, identity: list[str], message: str) -> str:
    """Commit the index as it is, with plumbing; the new commit's sha.

    Not `git commit`: that checks every blob of the tree is present, and in a
    runner's blob-less work tree (the evidence and site branches, opened with
    `--filter=blob:none`) would download every file ever published to check it.
    """
    tree = text(git(folder, "write-tree", "--missing-ok"))
    parent = head(folder)
    made = text(git(folder, *identity, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message))
    git(folder, "update-ref", "HEAD", made)
    return made


def staged(archive: Path) -> CommitInfo | None:
    """What a commit would record now, counted per ``articles/<abbr>/``; None when nothing is staged."""
    changes = staged_changes(archive, *ARCHIVE_PATHS)
    if not changes:
        return None
    info = CommitInfo(sha="", message="")
    for status, path in changes:
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != "articles":  # articles/<abbr>/<id>.md or .../<yyyy>/<mm>/<id>.md
            info.other += 1
            continue
        kind = {"A": info.new, "D": info.deleted}.get(status[0], info.updated)
        kind[parts[1]] += 1
    info.message = message(info)
    return info


def message(info: CommitInfo) -> str:
    """E.g. ``newsvault: 12 new, 3 updated (voa +5, rfi +7 ~3)``."""
    totals = f"{sum(info.new.values())} new, {sum(info.updated.values())} updated"
    if info.deleted:
        totals += f", {sum(info.deleted.values())} deleted"
    outlets = []
    for abbr in sorted(set(info.new) | set(info.updated) | set(info.deleted)):
        marks = [
            f"{sign}{n}"
            for sign, n in (("+", info.new[abbr]), ("~", info.updated[abbr]), ("-", info.deleted[abbr]))
            if n
        ]
        outlets.append(f"{abbr} {' '.join(marks)}")
    if outlets:
        totals += f" ({', '.join(outlets)})"
    if info.other:
        totals += f"; {info.other} other file(s)"
    return f"newsvault: {totals}"


def commit(archive: Path, identity: list[str]) -> CommitInfo | None:
    """Commit the archive's changes as ``identity`` (see ``identity()``); None, and no commit, when nothing changed."""
    stage(archive)
    info = staged(archive)
    if info is None:
        return None
    git(archive, *identity, "commit", "-q", "--no-verify", "-m", info.message)
    info.sha = head(archive) or ""
    return info
