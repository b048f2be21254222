"""Running the `git` command line, never interactively, with secrets kept out of every message.

The git CLI rather than a library: it is what users have configured (credential
helpers, ssh keys, `http.extraHeader` set by actions/checkout), so publishing
uses exactly the credentials a manual `git push` would.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Container, Iterable
from pathlib import Path

# userinfo of a URL: "https://user:token@host/..." shows as "https://***@host/..."
# A scheme is tried only where a run of scheme characters starts: from every
# word boundary (\b), "a.a.a.a…" would be rescanned to its end from each "a".
_USERINFO = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*+://)[^/@\s]++@")


class GitError(Exception):
    """A git command failed; the message is safe to show and log."""

    def __init__(self, message: str, returncode: int | None) -> None:
        super().__init__(message)
        self.returncode = returncode


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL credentials and the given secret values masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _USERINFO.sub(r"\1***@", text)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # Never wait for a password nobody will type (cron, CI); credential helpers still answer.
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GCM_INTERACTIVE", "never")
    return env


def git(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    timeout: float | None = None,
    secrets: Iterable[str] = (),
    ok: Container[int] | None = (0,),
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo args``; raise GitError (redacted) on an exit status not in ``ok`` (None: any)."""
    command = ["git", "-C", str(repo), *args]
    name = next(a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-c"))
    try:
        done = subprocess.run(
            command,
            input=input,
            capture_output=True,
            env=_environment(),
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise GitError(redact(f"git {name}: no answer within {timeout:g} s", secrets), None) from None
    if ok is not None and done.returncode not in ok:
        raise GitError(_failure(name, done, secrets), done.returncode)
    return done


def _failure(name: str, done: subprocess.CompletedProcess[bytes], secrets: Iterable[str] = ()) -> str:
    """What git wrote to stderr, redacted and without its hints: what went wrong, in git's words."""
    lines = [
        line.strip()
        for line in done.stderr.decode("utf-8", "replace").splitlines()
        if line.strip() and not line.startswith("hint:")
    ]
    detail = "; ".join(lines[:4]) or f"exit status {done.returncode}"
    return redact(f"git {name}: {detail}", secrets)


def text(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stdout.decode("utf-8", "replace").strip()
