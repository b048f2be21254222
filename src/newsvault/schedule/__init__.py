"""Running the job: one pass over the sources (and later, workers)."""

from .run import RunReport, SourceResult, poll, run_once

__all__ = ["RunReport", "SourceResult", "poll", "run_once"]
