"""Bringing one remote up to date: pull with rebase, then a plain push, retried with backoff.

Never a force push: the remote's history is always kept. If the remote moved on
(another machine, a hand edit), our commits are rebased onto it first; if that
conflicts, the rebase is aborted, the local tree stays as it was and the remote
is reported as failed. Remotes are addressed by URL on the command line only, so
no URL (and no credential in one) is written into the repository's config.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from newsvault.config.model import PublishRemote, PublishSettings

from .commit import head
from .git import GitError, git, redact, text

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_USERINFO = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/@\s]+)@")


class RemoteError(Exception):
    """The remote cannot be brought up to date by trying again (a conflict, a missing variable)."""


@dataclass
class RemoteResult:
    label: str  # the remote's name, else its URL with credentials masked
    branch: str
    ok: bool
    detail: str  # "pushed 1a2b3c4..5d6e7f8", "up to date", or what went wrong
    attempts: int = 1


def label(remote: PublishRemote) -> str:
    return remote.name or redact(remote.url)


def expand(url: str) -> tuple[str, list[str]]:
    """``url`` with ``${VAR}`` taken from the environment, and the credentials it then carries."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise RemoteError(f"environment variable {match.group(1)} is not set")
        return os.environ[match.group(1)]

    expanded = _VARIABLE.sub(value, url)
    userinfo = _USERINFO.match(expanded)
    if not userinfo:
        return expanded, []
    password = userinfo.group(1).partition(":")[2]
    return expanded, [userinfo.group(1), password, unquote(password)]


def _remote_head(archive: Path, url: str, branch: str, timeout: float, secrets: list[str]) -> str | None:
    """The remote branch's commit, None when the branch does not exist yet."""
    done = git(
        archive, "ls-remote", "--exit-code", url, f"refs/heads/{branch}", timeout=timeout, secrets=secrets, ok=(0, 2)
    )
    ref = f"refs/heads/{branch}"  # the pattern also matches e.g. refs/heads/x/refs/heads/main: take the exact one
    return next((line.split()[0] for line in text(done).splitlines() if line.split()[1:] == [ref]), None)


def _contains(archive: Path, sha: str) -> bool:
    return git(archive, "merge-base", "--is-ancestor", sha, "HEAD", ok=None).returncode == 0


def _rebase(archive: Path, url: str, branch: str, identity: list[str], timeout: float, secrets: list[str]) -> None:
    git(archive, "fetch", "-q", "--no-tags", url, f"refs/heads/{branch}", timeout=timeout, secrets=secrets)
    try:
        git(archive, *identity, "rebase", "-q", "--autostash", "FETCH_HEAD")
    except GitError as exc:
        git(archive, "rebase", "--abort", ok=None)
        raise RemoteError(f"the remote has changes that conflict with ours; nothing pushed ({exc})") from None


def _attempt(archive: Path, url: str, branch: str, identity: list[str], timeout: float, secrets: list[str]) -> str:
    """One try: what happened, or GitError (worth retrying) / RemoteError (not)."""
    theirs = _remote_head(archive, url, branch, timeout, secrets)
    ours = head(archive)
    if ours is None:
        return "nothing to publish yet"
    if theirs == ours:
        return "up to date"
    if theirs is not None and not _contains(archive, theirs):
        _rebase(archive, url, branch, identity, timeout, secrets)
        ours = head(archive) or ours
        if theirs == ours:
            return "up to date (took the remote's commits)"
    # A first push sends the whole archive: separate articles hardly delta against each other (4 % on
    # the corpus), but the delta search took three quarters of the publish time. Later pushes keep it:
    # an edited article deltas well against its previous version, and they are small.
    options = ["-c", "pack.window=0"] if theirs is None else []
    git(archive, *options, "push", "-q", url, f"HEAD:refs/heads/{branch}", timeout=timeout, secrets=secrets)
    if theirs is None:
        return f"pushed {ours[:7]} (new branch)"
    return f"pushed {theirs[:7]}..{ours[:7]}"


def sync(
    archive: Path,
    remote: PublishRemote,
    *,
    identity: list[str],
    retries: int,
    backoff: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> RemoteResult:
    """Pull with rebase and push to one remote; every failure ends up in the result, never raised."""
    result = RemoteResult(label(remote), remote.branch, ok=False, detail="", attempts=0)
    try:
        url, secrets = expand(remote.url)
    except RemoteError as exc:
        result.detail = str(exc)
        return result
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        result.attempts = attempt + 1
        try:
            result.detail = _attempt(archive, url, remote.branch, identity, timeout, secrets)
            result.ok = True
            return result
        except RemoteError as exc:
            result.detail = redact(str(exc), secrets)
            return result
        except GitError as exc:
            result.detail = str(exc)
    return result


def sync_all(
    folder: Path, remotes: tuple[PublishRemote, ...], identity: list[str], settings: PublishSettings
) -> list[RemoteResult]:
    """`sync` each remote in turn with vault.toml's retries, backoff and timeout; one failing stops none."""
    return [
        sync(
            folder,
            remote,
            identity=identity,
            retries=settings.retries,
            backoff=settings.backoff,
            timeout=settings.timeout,
        )
        for remote in remotes
    ]
