"""`newsvault init --github-actions`: a vault that is also the GitHub repository it publishes.

The archive is the repository's root (lists link to ``/articles/...``, which only
resolves there), so the vault's archive path is ".". The store stays out of the
history (.gitignore) and survives between runs in the Actions cache; if the cache
is ever lost the workflow rebuilds the store from the archive with
`newsvault import`, so ids continue where the archive left off.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from newsvault import __version__
from newsvault.config import VAULT_FILE

WORKFLOW = Path(".github/workflows/newsvault.yml")

_IGNORE = "# The store lives in the Actions cache, not in the history.\n/vault.sqlite\n/vault.sqlite-*\n"
_REMOTE = """
# Added by `newsvault init --github-actions`: the repository the workflow runs in.
# GitHub Actions sets both variables; the push uses the token actions/checkout
# leaves in git's config. Change the branch if the default branch is not main.
[[publish.remote]]
name = "github"
url = "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
branch = "main"
"""


def workflow_text() -> str:
    template = resources.files(__package__).joinpath("newsvault.yml.tmpl").read_text("utf-8")
    return template.replace("@VERSION@", __version__)


def write_github_actions(directory: Path) -> list[Path]:
    """Add the workflow, the .gitignore and the publish remote to a vault just made by `init`."""
    workflow = directory / WORKFLOW
    if workflow.exists():
        raise FileExistsError(f"{workflow} exists already; not overwriting it")
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(workflow_text(), "utf-8")
    ignore = directory / ".gitignore"
    existing = ignore.read_text("utf-8") if ignore.exists() else ""
    if "/vault.sqlite" not in existing:
        ignore.write_text(existing + ("\n" if existing and not existing.endswith("\n") else "") + _IGNORE, "utf-8")
    config = directory / VAULT_FILE
    config.write_text(config.read_text("utf-8") + _REMOTE, "utf-8")
    return [workflow, ignore, config]
