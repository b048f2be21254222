"""Running the job: one pass over the sources (`run_once`), and the jobs workers run one by one.

By concern: `polling` (an outlet's feed), `pages` (article pages), `fallback`
(which feed an outlet is read from), `recheck` (edits and deletions at the
source), `reextract` (stored pages read again with a new rule), `ingest`
(items into the store), `budget` (parsing in a bounded process), `results`
(what was found, as values) and `run`, which sequences them.
"""

from .polling import poll
from .results import RunReport, SourceResult, StepError
from .run import run_once

__all__ = ["RunReport", "SourceResult", "StepError", "poll", "run_once"]
