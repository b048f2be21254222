"""Running the job: one pass over the sources (and later, workers)."""

from .run import RunReport, SourceResult, StepError, poll, run_once

__all__ = ["RunReport", "SourceResult", "StepError", "poll", "run_once"]
