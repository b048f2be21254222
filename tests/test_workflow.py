"""The GitHub Actions workflow of `init --github-actions`, its steps run as a runner would run them.

tests/support/actions.py is the runner: a fresh clone of the published
repository, the store restored from a cache folder or not, then the
workflow's steps with their `if:` conditions.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsvault.cli import cli
from newsvault.config import load
from tests.support.actions import run_workflow, steps
from tests.support.spn2 import SPN2
from tests.test_publish import bare, files_at, log, sh
from tests.vaults import rss, rss_item

pytestmark = pytest.mark.sqlite_only("the workflow caches vault.sqlite: a runner's store is a SQLite file")


def _run_workflow(
    tmp_path: Path, remote: Path, cache: Path, number: int, site: bool = False, secrets: dict[str, str] | None = None
) -> Path:
    """One scheduled run on a new runner (tests/support/actions.py); the checkout it worked in.

    With the site, each runner works at the same path, as GitHub's do (the
    workspace is /home/runner/work/<repo>/<repo>): the site's pages depend on
    where the archive is, and a new path would mean rendering every page again.
    """
    checkout = tmp_path / ("runner" if site else f"runner-{number}")
    shutil.rmtree(checkout, ignore_errors=True)
    checkout.with_name(f"{checkout.name}.outputs").unlink(missing_ok=True)
    run = run_workflow(remote, cache, checkout, tmp_path, secrets)
    assert "Fetch, store, render and publish" in run.seconds
    (tmp_path / f"said-{number}.log").write_text(run.said, "utf-8")  # the run's log, as GitHub keeps it
    if not site:  # nobody browses the runner: nothing built to be thrown away
        assert not (run.checkout / "site").exists()
    return run.checkout


def git_bytes(repository: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True).stdout


def _repository(tmp_path: Path, url: str, *options: str, extra: str = "") -> Path:
    """`init --github-actions` with one outlet served on 127.0.0.1, pushed as docs/PUBLISH.md says; the remote."""
    news = tmp_path / "news"
    assert CliRunner().invoke(cli, ["init", str(news), "--github-actions", *options]).exit_code == 0
    # The nine outlets off (no internet here), one outlet served on 127.0.0.1 instead.
    config = (news / "vault.toml").read_text("utf-8").replace("enabled = true", "enabled = false")
    if "--site" in options:
        config = config.replace("[site]\nenabled = false", "[site]\nenabled = true")
    config += f'\n[fetch]\nallow_private = true\nretries = 0\n\n[sources.local]\nname = "本地"\nfeed = "{url}"\n'
    config += extra
    (news / "vault.toml").write_text(config, "utf-8")
    remote = bare(tmp_path / "owner" / "news.git")
    sh(remote, "config", "uploadpack.allowFilter", "true")  # as GitHub: a fetch may leave the blobs out
    sh(news, "init", "-q", "-b", "main")
    sh(news, "add", ".")
    sh(news, "-c", "user.name=me", "-c", "user.email=me@localhost", "commit", "-q", "-m", "newsvault vault")
    sh(news, "push", "-q", str(remote), "HEAD:main")
    return remote


def _articles_and_indexed(checkout: Path) -> tuple[int, int]:
    """Articles in the runner's store, and articles in a search index there (in the store or beside it)."""
    with sqlite3.connect(checkout / "vault.sqlite") as db:
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        indexed = db.execute("SELECT count(*) FROM search_docs").fetchone()[0] if "search_docs" in tables else 0
    return articles, indexed + len(list(checkout.glob("vault.search*")))


def _feed(count: int, first: int = 0) -> bytes:
    """Items `first` .. `count - 1`, newest first, item n dated n + 1 December."""
    return rss(
        *(
            rss_item(
                f"第{n}条", f"https://example.org/a/{n}", f"Mon, {n + 1:02d} Dec 2025 08:00:00 GMT", f"<p>正文 {n}</p>"
            )
            for n in reversed(range(first, count))
        )
    )


def test_the_workflow_archives_hourly_and_survives_a_lost_cache(tmp_path, server):
    remote = _repository(tmp_path, server.set("/feed.xml", _feed(2)))
    assert "gh-pages" not in sh(remote, "branch")  # without --site: no site built, none published
    cache = tmp_path / "cache"
    cache.mkdir()

    _run_workflow(tmp_path, remote, cache, 1)
    published = {f for f in files_at(remote) if f.startswith("articles/")}
    assert published == {"articles/local/2025/12/1048574.md", "articles/local/2025/12/1048573.md"}
    assert "vault.sqlite" not in files_at(remote) and any(cache.iterdir())  # the store is cached, not committed
    first_key = (cache / "KEY").read_text()
    assert first_key.startswith("newsvault-store-") and len(first_key) > len("newsvault-store-")

    server.set("/feed.xml", _feed(3))
    second = _run_workflow(tmp_path, remote, cache, 2)  # the cache restored the store
    assert (cache / "KEY").read_text() != first_key  # a new article: the store changed, and is saved anew
    assert _articles_and_indexed(second) == (3, 0)  # no search index built on the runner
    server.set("/feed.xml", _feed(4, first=2))  # items 0 and 1 have left the feed
    for lost in cache.iterdir():  # the cache expired: the store is rebuilt from the archive
        lost.unlink()
    checkout = _run_workflow(tmp_path, remote, cache, 3)
    assert _articles_and_indexed(checkout) == (4, 0)  # the import that rebuilt the store built no index either

    articles = sorted(f for f in files_at(remote) if f.startswith("articles/"))
    assert articles == [f"articles/local/2025/12/{n}.md" for n in range(1048571, 1048575)]  # none twice, ids go on
    for n, archive_id in enumerate(range(1048574, 1048570, -1)):  # and no file overwritten by another article
        assert f"(https://example.org/a/{n})" in sh(remote, "show", f"main:articles/local/2025/12/{archive_id}.md")
    assert "lists/本地/2025-12.md" in files_at(remote)
    history = log(remote)
    assert len(history) == 4 and history[-1] == "newsvault vault"
    assert history[0].startswith("newsvault: 1 new, 0 updated (local +1)")
    merges = sh(remote, "rev-list", "--merges", "main")
    assert merges == ""  # linear history, pushed without force
    assert (checkout / "articles/local/2025/12/1048571.md").read_text("utf-8").startswith("<!--")

    # The evidence: each run's new captures as WARC files on the evidence branch, which only gains files,
    # across the lost cache too; no runner downloaded an earlier run's WARC (its work tree holds its own).
    evidence = sorted(files_at(remote, "evidence"))
    assert len(evidence) == 3 and all(f.startswith("warc/local/") and f.endswith(".warc.gz") for f in evidence)
    assert [f.name for f in (checkout / "evidence").rglob("*.warc.gz")] == [evidence[-1].rsplit("/", 1)[1]]
    missing = sh(checkout / "evidence", "rev-list", "--objects", "--missing=print", "HEAD").splitlines()
    earlier = {sh(remote, "rev-parse", f"evidence:{f}") for f in evidence[:-1]}
    assert {line[1:] for line in missing if line.startswith("?")} == earlier  # never downloaded
    assert len(log(remote, "evidence")) == 3 and sh(remote, "rev-list", "--merges", "evidence") == ""
    for n in range(2):
        changed = sh(remote, "diff", "--name-status", f"evidence~{n + 1}", f"evidence~{n}").splitlines()
        assert len(changed) == 1 and changed[0].startswith("A\t")  # added, never rewritten or deleted
    assert "vault.sqlite" not in files_at(remote, "evidence") and "evidence" not in {
        f.split("/")[0] for f in files_at(remote)
    }
    assert "gh-pages" not in sh(remote, "branch")


def test_init_site_option_writes_the_gh_pages_step_and_remote(tmp_path):
    plain, with_site = tmp_path / "plain", tmp_path / "site"
    for folder, options in ((plain, []), (with_site, ["--site"])):
        result = CliRunner().invoke(cli, ["init", str(folder), "--github-actions", *options])
        assert result.exit_code == 0, result.output
    config = load(with_site)
    assert config.site.enabled and [(r.url, r.branch) for r in config.publish.site] == [
        ("${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git", "gh-pages")
    ]
    assert not config.search.update and "/site/" in (with_site / ".gitignore").read_text("utf-8")
    names = [step.get("name") for step in steps(with_site)]
    assert names.index("Open the gh-pages branch") < names.index("Fetch, store, render and publish")
    assert "--filter=blob:none origin gh-pages" in (with_site / ".github/workflows/newsvault.yml").read_text("utf-8")
    config = load(plain)
    assert not config.site.enabled and not config.publish.site
    assert "Open the gh-pages branch" not in [step.get("name") for step in steps(plain)]
    assert "gh-pages" not in (plain / ".github/workflows/newsvault.yml").read_text("utf-8")
    refused = CliRunner().invoke(cli, ["init", str(tmp_path / "other"), "--site"])
    assert refused.exit_code == 2 and "--site goes with --github-actions" in refused.output
    assert not (tmp_path / "other").exists()


def _pages(remote: Path) -> set[str]:
    return {f for f in files_at(remote, "gh-pages") if f.startswith("local/") and f[6:-5].isdigit()}


def test_with_site_the_workflow_publishes_only_the_changed_pages_to_gh_pages(tmp_path, server):
    remote = _repository(tmp_path, server.set("/feed.xml", _feed(2)), "--site")
    cache = tmp_path / "cache"
    cache.mkdir()
    _run_workflow(tmp_path, remote, cache, 1, site=True)
    first = files_at(remote, "gh-pages")
    assert {"index.html", ".nojekyll", "feeds/changes/edited.atom", "feeds/changes/local/deleted.rss"} <= first
    assert _pages(remote) == {"local/1048574.html", "local/1048573.html"}
    assert not any(f.startswith("site/") for f in files_at(remote))  # the site is not in the archive's history

    server.set("/feed.xml", _feed(3))
    second = _run_workflow(tmp_path, remote, cache, 2, site=True)
    changed = sh(remote, "diff", "--name-status", "gh-pages~1", "gh-pages").splitlines()
    assert "A\tlocal/1048572.html" in changed and not any(line.startswith("D") for line in changed)
    assert not {"local/1048574.html", "local/1048573.html"} & {line.split("\t")[1] for line in changed}
    # The runner wrote the new pages and the summaries, and never downloaded the old pages to do it.
    assert not (second / "site/local/1048574.html").exists() and (second / "site/local/1048572.html").is_file()
    missing = sh(second / "site", "rev-list", "--objects", "--missing=print", "HEAD").splitlines()
    old_pages = {sh(remote, "rev-parse", f"gh-pages:local/{n}.html") for n in (1048574, 1048573)}
    assert old_pages <= {line[1:] for line in missing if line.startswith("?")}

    server.set("/feed.xml", _feed(4, first=2))
    for lost in cache.iterdir():  # the cache expired: the store is rebuilt, its marks with it: every page again
        lost.unlink()
    _run_workflow(tmp_path, remote, cache, 3, site=True)
    assert _pages(remote) == {f"local/{n}.html" for n in range(1048571, 1048575)}
    changed = sh(remote, "diff", "--name-status", "gh-pages~1", "gh-pages").splitlines()
    assert "A\tlocal/1048571.html" in changed and not any(line.startswith("D") for line in changed)
    assert len(log(remote, "gh-pages")) == 3 and sh(remote, "rev-list", "--merges", "gh-pages") == ""


def test_the_workflow_gives_the_witness_its_keys_and_publishes_none_of_them(tmp_path, server):
    """[witness.wayback] on a runner: the keys come from the secrets; no log, file or commit holds them."""
    access, secret = "runner-access-key-8f3a", "runner-secret-key-c91d"
    with SPN2(access, secret, pending_polls=0) as spn2:
        witness = f'\n[witness.wayback]\nenabled = true\napi_url = "{spn2.url("")}"\nper_minute = 600\ntimeout = 5\n'
        remote = _repository(tmp_path, server.set("/feed.xml", _feed(2)), extra=witness)
        cache = tmp_path / "cache"
        cache.mkdir()
        keys = {"NEWSVAULT_IA_ACCESS": access, "NEWSVAULT_IA_SECRET": secret}
        _run_workflow(tmp_path, remote, cache, 1, secrets=keys)  # the first scan marks where witnessing starts
        server.set("/feed.xml", _feed(3))
        _run_workflow(tmp_path, remote, cache, 2, secrets=keys)
        assert spn2.submitted() == ["https://example.org/a/2"]  # the new article, witnessed from the runner
    published = sh(remote, "log", "-p", "--all").encode()  # every commit of every branch; WARCs are binary there:
    warcs = [f"evidence:{f}" for f in files_at(remote, "evidence")]
    published += b"".join(gzip.decompress(git_bytes(remote, "show", warc)) for warc in warcs)  # so read them whole
    assert b"https://example.org/a/2" in published and len(warcs) == 2
    assert "wayback: 1 submitted" in (tmp_path / "said-2.log").read_text("utf-8")
    on_disk = [path for path in tmp_path.rglob("*") if path.is_file()]  # checkouts, cache, logs, the remote
    for key in (access.encode(), secret.encode()):
        assert key not in published
        for path in on_disk:
            data = path.read_bytes()
            assert key not in (gzip.decompress(data) if path.suffix == ".gz" else data), path
