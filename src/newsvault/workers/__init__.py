"""Workers on many machines sharing the polling of one PostgreSQL store (issue 8).

    install(engine)                          # the job queue's tables, beside the store's
    work(config, engine, once=True)          # `newsvault worker --once`

PostgreSQL does the coordination, through procrastinate: each source's poll,
page fetches and re-check are jobs holding the source's lock, so one worker
at a time works on it; a dead worker's jobs come back to the queue when its
heartbeat stops. Rendering and
publishing are not worker jobs: the git tree has one writer.
"""

from .queue import NEED_POSTGRES, WorkersNeedPostgres, install
from .run import RoundReport, WorkerOptions, work

__all__ = ["NEED_POSTGRES", "RoundReport", "WorkerOptions", "WorkersNeedPostgres", "install", "work"]
