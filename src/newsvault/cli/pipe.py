"""A closed stdout ends the output, never the work.

`newsvault run | head -1` closes the pipe after one line. Python then raises
`BrokenPipeError` from whichever write comes next: inside the run's progress
callback it would stop the run half-way and leave the tree unwritten, and at
exit it prints a traceback. Every command's stdout goes through
`StdoutClosedIsQuiet`: the first broken write points the file descriptor at
/dev/null, and the command goes on to its end and its exit code.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


class StdoutClosedIsQuiet:
    """A text stream that drops what it cannot write because the reader went away."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.gone = True
        # What the stream still buffers would fail again when the interpreter flushes it at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno…: the real stream's
        return getattr(self._stream, name)


def quiet_when_closed() -> None:
    """Route sys.stdout through `StdoutClosedIsQuiet` (once)."""
    if not isinstance(sys.stdout, StdoutClosedIsQuiet):
        sys.stdout = StdoutClosedIsQuiet(sys.stdout)
