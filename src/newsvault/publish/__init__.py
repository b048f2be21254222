"""publish: the archive tree into git, one commit per run, pushed to every remote without force.

The archive folder is the work tree of its own git repository (created on the
first publish). Each remote is pulled with rebase and pushed on its own, so one
unreachable or conflicting remote never keeps the others from being updated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsvault.base.failpoints import failpoint
from newsvault.config.model import PublishRemote as Remote
from newsvault.config.model import PublishSettings

from .commit import CommitInfo, commit, ensure_repo, finish_interrupted, identity
from .git import GitError, redact
from .remotes import RemoteResult, sync


@dataclass
class PublishReport:
    commit: CommitInfo | None  # None: the tree had not changed, no commit was made
    remotes: list[RemoteResult] = field(default_factory=list)
    error: str | None = None  # the commit itself failed; nothing was pushed

    @property
    def failed(self) -> bool:
        return self.error is not None or any(not r.ok for r in self.remotes)


def publish(
    archive: Path,
    remotes: list[Remote] | tuple[Remote, ...],
    *,
    retries: int = 3,
    backoff: float = 2.0,
    timeout: float = 300.0,
    author: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishReport:
    """Commit what changed in ``archive`` (if anything), then bring every remote up to date."""
    try:
        if not ensure_repo(archive, remotes[0].branch if remotes else "main"):
            finish_interrupted(archive)
        who = identity(archive, author)
        made = commit(archive, who)
    except GitError as exc:
        return PublishReport(None, error=str(exc))
    failpoint("publish.committed")  # committed locally, pushed nowhere yet
    report = PublishReport(made)
    for remote in remotes:
        report.remotes.append(
            sync(archive, remote, identity=who, retries=retries, backoff=backoff, timeout=timeout, sleep=sleep)
        )
    return report


def publish_with(archive: Path, settings: PublishSettings) -> PublishReport:
    """``publish`` with the settings of vault.toml."""
    return publish(
        archive,
        settings.remotes,
        retries=settings.retries,
        backoff=settings.backoff,
        timeout=settings.timeout,
        author=settings.author,
    )


__all__ = ["CommitInfo", "PublishReport", "Remote", "RemoteResult", "publish", "publish_with", "redact"]
