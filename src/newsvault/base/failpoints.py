"""Named points where a crash test kills the process: crash safety shown at chosen moments, never after a sleep.

A test sets ``NEWSVAULT_FAILPOINT=name`` (or ``name:N`` for the Nth time the
point is reached) and runs newsvault as a subprocess; at that point the process
sends itself SIGKILL, as the OOM killer or a cancelled CI job would: no
``finally``, no flush, no atexit. A wall-clock kill proves nothing on a fast
machine (the run is already over) and little on a slow one; a named point is
hit on every machine, and the test checks it was (exit status -9). Unset, a
point costs one environment lookup.

``name:N:stop`` stops the process there instead (SIGSTOP), holding whatever
it holds, until the test sends SIGCONT: a test waits for the stop
(``os.waitpid(pid, os.WUNTRACED)``), runs another process against the same
store, then lets the first go on. Two processes interleaved at a chosen
moment, without a sleep (tests/test_telegram.py, one poster at a time).
``name:N:raise`` raises FailpointError there, once: what a stage does with an
error it has no type for (tests/test_hostile_parse.py, one page's). The points are listed in
docs/ARCHITECTURE.md; this module imports nothing of newsvault, so every stage
may call it.
"""

from __future__ import annotations

import os
import signal

ENV = "NEWSVAULT_FAILPOINT"
_reached: dict[str, int] = {}


class FailpointError(Exception):
    """What ``name:N:raise`` raises at the Nth arrival: an error no stage expects, as a bug would raise there."""


def failpoint(name: str) -> None:
    """Kill (or stop) this process here if ``NEWSVAULT_FAILPOINT`` names this point and this is its Nth arrival."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, rest = wanted.partition(":")
    if point != name:
        return
    nth, _, action = rest.partition(":")
    _reached[name] = _reached.get(name, 0) + 1
    at = _reached[name] == int(nth or 1)
    if action == "stop":
        if at:
            os.kill(os.getpid(), signal.SIGSTOP)  # once: the process goes on when SIGCONT comes
    elif action == "raise":
        if at:
            raise FailpointError(name)
    elif _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
