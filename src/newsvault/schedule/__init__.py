"""Running the job: one pass over the sources (`run_once`), and the jobs workers run one by one.

By concern: `polling` (an outlet's feed), `pages` (article pages), `fallback`
(which feed an outlet is read from), `recheck` (edits and deletions at the
source), `reextract` (stored pages read again with a new rule), `ingest`
(items into the store), `budget` (parsing in a bounded process), `reading`
(what those processes run), `results` (what was found, as values) and `run`,
which sequences them.

The names below are imported from their modules when first asked for: a
budget worker imports `budget` and `reading` only, not the whole run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsvault.base.lazy import lazy_names

if TYPE_CHECKING:
    from .polling import poll
    from .results import RunReport, SourceResult, StepError
    from .run import run_once

__all__ = ["RunReport", "SourceResult", "StepError", "poll", "run_once"]

_HOME = {
    "RunReport": "results",
    "SourceResult": "results",
    "StepError": "results",
    "poll": "polling",
    "run_once": "run",
}

__getattr__ = lazy_names(__name__, _HOME)
