"""The GitHub Actions workflow of `init --github-actions`, its steps run as a runner would run them.

tests/support/actions.py is the runner: a fresh clone of the published
repository, the store restored from a cache folder or not, then the
workflow's steps with their `if:` conditions.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from newsvault.cli import cli
from tests.support.actions import run_workflow
from tests.test_publish import bare, files_at, log, sh
from tests.vaults import rss, rss_item


def _run_workflow(tmp_path: Path, remote: Path, cache: Path, number: int) -> Path:
    """One scheduled run on a new runner (tests/support/actions.py); the checkout it worked in."""
    run = run_workflow(remote, cache, tmp_path / f"runner-{number}", tmp_path)
    assert "Fetch, store, render and publish" in run.seconds
    assert not (run.checkout / "site").exists()  # nobody browses the runner: nothing built to be thrown away
    return run.checkout


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
    url = server.set("/feed.xml", _feed(2))
    news = tmp_path / "news"
    assert CliRunner().invoke(cli, ["init", str(news), "--github-actions"]).exit_code == 0
    # The nine outlets off (no internet here), one outlet served on 127.0.0.1 instead.
    config = (news / "vault.toml").read_text("utf-8").replace("enabled = true", "enabled = false")
    config += f'\n[fetch]\nallow_private = true\nretries = 0\n\n[sources.local]\nname = "本地"\nfeed = "{url}"\n'
    (news / "vault.toml").write_text(config, "utf-8")
    # As docs/PUBLISH.md says: commit the vault and push it to the new GitHub repository.
    remote = bare(tmp_path / "owner" / "news.git")
    sh(remote, "config", "uploadpack.allowFilter", "true")  # as GitHub: a fetch may leave the blobs out
    sh(news, "init", "-q", "-b", "main")
    sh(news, "add", ".")
    sh(news, "-c", "user.name=me", "-c", "user.email=me@localhost", "commit", "-q", "-m", "newsvault vault")
    sh(news, "push", "-q", str(remote), "HEAD:main")
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
