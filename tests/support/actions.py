"""A GitHub Actions runner for the workflow `init --github-actions` writes, as far as it runs without GitHub.

Each run is a fresh clone of the published repository (actions/checkout), the
store restored from a cache folder or not (actions/cache), then every step of
the workflow in order, with its `if:` conditions, the `run:` ones through
bash with `hashFiles` evaluated as GitHub does. Only the steps that need
GitHub itself are left out: installing newsvault (it is installed here) and
the API call that keeps the schedule enabled. A step's `env:` is set as GitHub
sets it, `${{ secrets.NAME }}` from the secrets the run is given ('' when the
repository has no such secret). tests/test_workflow.py and
bench/bench_actions.py run the workflow with it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BIN = Path(sys.executable).parent
NEEDS_GITHUB = ("Install newsvault", "Keep the schedule enabled")
_HASH_FILES = re.compile(r"\$\{\{ hashFiles\(([^)]*)\) \}\}")
_SAVE_IF = "always() && steps.fingerprint.outputs.key != steps.store.outputs.cache-matched-key"
_SECRET = re.compile(r"\$\{\{ secrets\.(\w+) \}\}")


@dataclass
class Run:
    checkout: Path
    clone_seconds: float  # actions/checkout: the network's part, reported apart
    seconds: dict[str, float] = field(default_factory=dict)  # each step that ran
    restored: int = 0  # bytes restored from the cache
    saved: int = 0  # bytes saved to the cache (0: not saved)
    said: str = ""  # what the steps printed, stdout and stderr, as the run's log shows it


def steps(checkout: Path) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((checkout / ".github/workflows/newsvault.yml").read_text("utf-8"))
    found: list[dict[str, Any]] = workflow["jobs"]["archive"]["steps"]
    return found


def _condition_holds(condition: str | None, matched: str, outputs: dict[str, str]) -> bool:
    if condition is None or condition == "always()":
        return True
    if condition == _SAVE_IF:
        return outputs["key"] != matched
    assert condition == "steps.store.outputs.cache-matched-key == ''", (
        f"a condition the runner cannot judge: {condition}"
    )
    return not matched


def _hash_files(checkout: Path, patterns: str) -> str:
    """GitHub's hashFiles: a digest of the files' bytes, '' when none exists."""
    files = [checkout / p.strip().strip("'") for p in patterns.split(",")]
    found = [f for f in files if f.exists()]
    return hashlib.sha256(b"".join(hashlib.sha256(f.read_bytes()).digest() for f in found)).hexdigest() if found else ""


def _step_env(step: dict[str, Any], secrets: Mapping[str, str]) -> dict[str, str]:
    """The step's `env:` with its secrets put in; any other expression is one this runner cannot judge."""
    env: dict[str, str] = {}
    for name, value in step.get("env", {}).items():
        value = _SECRET.sub(lambda m: secrets.get(m.group(1), ""), str(value))
        assert "${{" not in value, f"{step['name']}: an expression the runner cannot judge: {value}"
        env[name] = value
    return env


def run_workflow(
    remote: Path, cache: Path, checkout: Path, server_url: Path, secrets: Mapping[str, str] | None = None
) -> Run:
    """One scheduled run on a new runner.

    `cache` holds one saved store and the key it was saved under (KEY), as
    actions/cache does: restored when there is one, saved only when the
    workflow's condition says so. `server_url` stands for GITHUB_SERVER_URL:
    the folder holding owner/news.git.
    """
    began = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{remote}", str(checkout)], check=True)
    run = Run(checkout, time.perf_counter() - began)
    matched = (cache / "KEY").read_text() if (cache / "KEY").exists() else ""
    for stored in cache.glob("vault.sqlite*"):  # actions/cache/restore
        shutil.copy2(stored, checkout / stored.name)
        run.restored += stored.stat().st_size
    outputs_file = checkout.parent / f"{checkout.name}.outputs"
    outputs_file.touch()
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "GITHUB_SERVER_URL": str(server_url),
        "GITHUB_REPOSITORY": "owner/news",
        "GIT_AUTHOR_NAME": "runner",
        "GIT_AUTHOR_EMAIL": "runner@localhost",
        "GIT_COMMITTER_NAME": "runner",
        "GIT_COMMITTER_EMAIL": "runner@localhost",
        "GITHUB_OUTPUT": str(outputs_file),
    }
    for step in steps(checkout):
        outputs = dict(line.split("=", 1) for line in outputs_file.read_text().splitlines())
        if step.get("name") in NEEDS_GITHUB or not _condition_holds(step.get("if"), matched, outputs):
            continue
        began = time.perf_counter()
        if step.get("uses", "").startswith("actions/cache/save"):
            for old in cache.iterdir():
                old.unlink()
            for stored in checkout.glob(step["with"]["path"]):
                shutil.copy2(stored, cache / stored.name)
                run.saved += stored.stat().st_size
            (cache / "KEY").write_text(outputs["key"])
        elif "run" in step:
            script = _HASH_FILES.sub(lambda m: _hash_files(checkout, m.group(1)), step["run"])
            step_env = env | _step_env(step, secrets or {})
            done = subprocess.run(
                ["bash", "-e", "-c", script], cwd=checkout, env=step_env, capture_output=True, text=True
            )
            run.said += done.stdout + done.stderr
            assert done.returncode == 0, f"{step['name']}: {done.stdout}{done.stderr}"
        else:
            continue
        run.seconds[step["name"]] = time.perf_counter() - began
    return run
