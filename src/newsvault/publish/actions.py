"""`newsvault init --github-actions`: a vault that is also the GitHub repository it publishes.

The archive is the repository's root (lists link to ``/articles/...``, which only
resolves there), so the vault's archive path is ".". The store stays out of the
history (.gitignore) and survives between runs in the Actions cache; if the cache
is ever lost the workflow rebuilds the store from the archive with
`newsvault import`, so ids continue where the archive left off.
"""

from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from newsvault import __version__
from newsvault.config import VAULT_FILE

WORKFLOW = Path(".github/workflows/newsvault.yml")

_IGNORE = (
    "# The store lives in the Actions cache, not in the history.\n/vault.sqlite\n/vault.sqlite-*\n"
    "# Derived from the store, never cached: the search index (docs/VAULT.md).\n/search-index/\n"
    "# The evidence branch's work tree (docs/EVIDENCE.md), committed there, not here.\n/evidence/\n"
    "# The static site: the gh-pages branch's work tree with `--site` (docs/PUBLISH.md), never built without.\n/site/\n"
)
_NOT_BUILT = """
# Added by `newsvault init --github-actions`: on the runner only the store travels between
# runs (the Actions cache). Nobody searches or browses there: the search index and the
# static site are not built (`init --github-actions --site` publishes the site to gh-pages;
# `search` and `serve` build the index when asked on a machine that has the store).
[search]
update = false

[site]
enabled = false
"""
_SITE = """
# Added by `newsvault init --github-actions --site`: on the runner only the store travels
# between runs (the Actions cache). Nobody searches there: the search index is not built
# (`search` and `serve` build it when asked on a machine that has the store). The static
# site is built and published to the gh-pages branch, only its changed pages each run.
[search]
update = false

[site]
enabled = true
# Where GitHub Pages serves it (Settings → Pages → the gh-pages branch), for the feeds'
# own links, e.g. base_url = "https://owner.github.io/news/"
"""
_REMOTES = """
# Where the published tree is read on the web: Telegram messages and the feeds of changes
# (feeds/changes/ in the tree, docs/ARCHIVE.md) link each article's file there.
[publish]
# archive_url = "https://github.com/OWNER/REPO/blob/main/"

# The repository the workflow runs in.
# GitHub Actions sets both variables; the push uses the token actions/checkout
# leaves in git's config. Change the branch if the default branch is not main.
[[publish.remote]]
name = "github"
url = "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
branch = "main"

# The captures (the bytes each outlet served) as WARC files, on a branch of the same
# repository that only ever gains files: the store in the Actions cache may be evicted,
# the evidence may not (docs/EVIDENCE.md). The workflow opens the branch as evidence/.
[[publish.evidence]]
name = "github"
url = "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
branch = "evidence"
"""
_SITE_REMOTE = """
# The static site with the feeds of changes, on the gh-pages branch of the same repository,
# one commit of the changed pages per run, never forced. The workflow opens it as site/.
[[publish.site]]
name = "github"
url = "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
branch = "gh-pages"
"""
# The workflow's step that opens the gh-pages branch as site/, written only with `--site`.
_OPEN_SITE = """
      # The static site's branch as the work tree site/, opened like the evidence branch: its
      # newest commit without the pages' contents. The store's marks say which pages that
      # commit holds, so the run renders only what changed since (docs/PUBLISH.md).
      - name: Open the gh-pages branch
        run: |
          if git fetch -q --depth 1 --filter=blob:none origin gh-pages; then
            git worktree add -q --no-checkout --detach site FETCH_HEAD
            git -C site reset -q
          else
            git worktree add -q --no-checkout --detach site HEAD
            git -C site checkout -q --orphan gh-pages
            git -C site rm -rq --cached --ignore-unmatch .
          fi
"""


_SCP_LIKE = re.compile(r"git@([\w.-]+):(.+)")  # git@github.com:owner/repo.git


def install_spec(direct_url: dict[str, Any] | None = None) -> str:
    """What the workflow gives to `pip install`: the newsvault that is running here, where a runner can get it.

    newsvault is not on PyPI yet; most users run it from a clone. Installed from
    a git URL (PEP 610's direct_url.json), that URL at that commit; from a local
    checkout whose `origin` is on the web, the same, from the checkout's HEAD;
    otherwise the release of this version on PyPI.
    """
    if direct_url is None:
        text = metadata.distribution("newsvault").read_text("direct_url.json")
        direct_url = json.loads(text) if text else {}
    vcs = direct_url.get("vcs_info")
    if vcs and vcs.get("vcs") == "git" and direct_url.get("url", "").startswith("https://"):
        return f"git+{direct_url['url']}@{vcs['commit_id']}"
    if direct_url.get("url", "").startswith("file://"):
        from_checkout = _checkout_spec(Path(unquote(urlsplit(direct_url["url"]).path)))
        if from_checkout:
            return from_checkout
    return f"newsvault=={__version__}"


def _checkout_spec(checkout: Path) -> str | None:
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    url, commit = git("remote", "get-url", "origin"), git("rev-parse", "HEAD")
    if not url or not commit:
        return None
    scp = _SCP_LIKE.fullmatch(url)
    if scp:  # a runner has no SSH key for it; the same repository over HTTPS
        url = f"https://{scp.group(1)}/{scp.group(2)}"
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.username or parts.password:
        return None  # a local path, or a URL with a credential that must not go into a file
    return f"git+{url}@{commit}"


def workflow_text(spec: str, site: bool = False) -> str:
    """The workflow installing `spec`; with `site`, it also opens and publishes the gh-pages branch."""
    template = resources.files(__package__).joinpath("newsvault.yml.tmpl").read_text("utf-8")
    built = "\n# The static site too: the pages that changed, to the gh-pages branch." if site else ""
    return (
        template.replace("@INSTALL@", spec)
        .replace("@SITE_BUILT@", built)
        .replace("@OPEN_SITE@\n", _OPEN_SITE if site else "")
        .replace(
            "@NOT_BUILT@", "no search index is built here" if site else "no search index and no site are built here"
        )
    )


def write_github_actions(directory: Path, site: bool = False) -> tuple[list[Path], str]:
    """Add the workflow, the .gitignore and the publish remotes to a vault just made by `init`.

    With `site`, the static site is built and published to the gh-pages branch
    too; without, it is not built at all (issue 15: nothing built to be thrown
    away). Returns the files written and what the workflow installs (see `install_spec`).
    """
    workflow = directory / WORKFLOW
    if workflow.exists():
        raise FileExistsError(f"{workflow} exists already; not overwriting it")
    spec = install_spec()
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(workflow_text(spec, site), "utf-8")
    ignore = directory / ".gitignore"
    existing = ignore.read_text("utf-8") if ignore.exists() else ""
    if "/vault.sqlite" not in existing:
        ignore.write_text(existing + ("\n" if existing and not existing.endswith("\n") else "") + _IGNORE, "utf-8")
    config = directory / VAULT_FILE
    added = (_SITE if site else _NOT_BUILT) + _REMOTES + (_SITE_REMOTE if site else "")
    config.write_text(config.read_text("utf-8") + added, "utf-8")
    return [workflow, ignore, config], spec
