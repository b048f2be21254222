"""What a pass found, per source and per run-level step: values the CLI, workers and logs turn into text."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsvault.base.problems import Kind, Problem
from newsvault.clean import MirrorReport
from newsvault.render.tree import RenderStats

from .recheck import RecheckResult

_PG_DISK_FULL = "53100"  # SQLSTATE disk_full


@dataclass
class SourceResult:
    abbr: str
    name: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    error: Problem | None = None  # the source failed: nothing (or not all) could be read
    problems: list[Problem] = field(default_factory=list)  # items or pages that failed
    notes: list[Problem] = field(default_factory=list)  # worth knowing, not failures: feed switches, silent feeds
    rechecks: RecheckResult | None = None  # what re-checking recent articles found

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.problems)


@dataclass
class PagesResult:
    """One batch of pending pages: workers queue the index and mirror jobs only when a page was stored."""

    stored: int = 0  # pages read and stored: the search index and the image mirror may have work
    problems: list[Problem] = field(default_factory=list)  # pages that failed, tried again next time


@dataclass(frozen=True)
class StepError:
    """A run-level step after the sources (render, image mirroring, search index) that failed.

    The exception is kept, not its text, so the command can tell a full disk,
    which the user must act on, from a bug, and say which it is in one line.
    Nothing stored is lost either way: the next run or `newsvault render`
    writes what this one could not.
    """

    step: str  # "render", "image mirroring", "search index"
    error: Exception
    place: Path | None = None  # the folder the step writes into, when it writes files

    @property
    def disk_full(self) -> bool:
        return disk_full(self.error)


@dataclass
class RunReport:
    sources: list[SourceResult]
    render: RenderStats | None = None
    images: MirrorReport | None = None  # image mirroring after render; failures are retried, never fatal
    errors: list[StepError] = field(default_factory=list)  # run-level steps after the sources
    queued: int = 0  # notifications queued for the channel ([notify.telegram]), posted after the run's work

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(r.failed for r in self.sources)


Progress = Callable[[SourceResult], None]


def disk_full(exc: BaseException) -> bool:
    """ENOSPC or a quota from the file system, or the database saying its disk is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    cause = getattr(exc, "orig", None)  # the DB-API error under SQLAlchemy's
    code = getattr(cause, "sqlite_errorcode", None), getattr(cause, "sqlstate", None)
    return code[0] == sqlite3.SQLITE_FULL or code[1] == _PG_DISK_FULL


def unexpected(exc: Exception) -> Problem:
    """An exception no stage turned into a reason: a full disk under the store said plainly, anything else a bug."""
    if disk_full(exc):
        return Problem(Kind.DISK_FULL, "the store's disk is full: free some space (nothing stored is lost)")
    return Problem(Kind.INTERNAL, f"internal error: {type(exc).__name__}: {exc}")
