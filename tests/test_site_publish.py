"""The static site published with real git: `run --publish` commits only the changed pages to a gh-pages branch.

A local bare repository refusing non-fast-forward pushes stands in for GitHub.
Runs against a local feed server: a first run, an edit, then a run that must
commit the edited article's pages and the feeds that carry it, nothing else;
then the runner's case, where the site folder is the branch's newest commit
without its files (blob-less, not checked out), after a push that worked and
after one that failed; and a run killed between the commit and the push.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsvault.base.failpoints import ENV
from newsvault.cli import cli
from newsvault.config import ConfigError, load
from newsvault.render.site.paths import HEALTH
from tests.site_vault import links, local_target, png
from tests.test_publish import bare, files_at, log, sh
from tests.vaults import rss, rss_item, write_vault

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))
DATE = "Wed, 01 May 2024 12:00:00 GMT"
BRANCH = "gh-pages"


def _feeds(server, edit: int) -> None:  # type: ignore[no-untyped-def]
    """alpha: two articles, the first edited `edit` times; beta: one article that never changes."""
    first = "<p>部长今天访问了两个国家。</p>" + "".join(f"<p>第{n}次更新。</p>" for n in range(edit))
    server.set(
        "/alpha.xml",
        rss(
            rss_item("部长访问", server.url("/a/1.html"), DATE, first),
            rss_item("天气预报", server.url("/a/2.html"), DATE, "<p>明天晴。</p>"),
        ),
    )
    server.set("/beta.xml", rss(rss_item("贝塔新闻", server.url("/b/1.html"), DATE, "<p>不变。</p>")))


def _vault(tmp_path: Path, server, remote: Path | str) -> Path:  # type: ignore[no-untyped-def]
    _feeds(server, 0)
    vault = write_vault(
        tmp_path / "vault",
        {
            "alpha": {"name": "阿尔法", "feed": server.url("/alpha.xml")},
            "beta": {"name": "贝塔", "feed": server.url("/beta.xml")},
        },
    )
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f'[publish]\nretries = 0\n[[publish.site]]\nname = "pages"\nurl = "{remote}"\nbranch = "{BRANCH}"\n')
    return vault


def _run(vault: Path, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--vault", str(vault), "run", "--publish"])
    assert result.exit_code == code, result.output
    return result.output


def _changed(remote: Path, ref: str = BRANCH) -> set[str]:
    """The paths the newest commit of `ref` changed."""
    out = sh(remote, "-c", "core.quotePath=false", "diff", "--name-only", f"{ref}~1", ref)
    return set(out.splitlines())


def _shown(remote: Path, path: str) -> str:
    return sh(remote, "show", f"{BRANCH}:{path}")


def _article(remote: Path, abbr: str, words: str) -> str:
    """The page of `abbr`'s article whose text has `words`, as the branch holds it."""
    found = [p for p in files_at(remote, BRANCH) if p.startswith(f"{abbr}/") and p.endswith(".html")]
    pages = [p for p in found if p.count("/") == 1 and p[len(abbr) + 1 : -5].isdigit()]
    return next(p for p in pages if words in _shown(remote, p))


def _open_as_runner(remote: Path, vault: Path) -> None:
    """The site folder as the workflow opens it: the branch's newest commit, without its files' contents."""
    site = vault / "site"
    subprocess.run(["rm", "-rf", str(site)], check=True)
    sh(remote, "config", "uploadpack.allowFilter", "true")  # as GitHub does
    shallow = ("--depth", "1", "--filter=blob:none", "--no-checkout")
    subprocess.run(["git", "clone", "-q", *shallow, "-b", BRANCH, f"file://{remote}", str(site)], check=True)
    sh(site, "reset", "-q")
    assert not any(p.name.endswith(".html") for p in site.rglob("*"))


def _nothing_new(said: str, remote: Path) -> None:
    """A run with nothing new makes no site commit, or one of the health page alone.

    The health page shows each source's last success to the minute (China time),
    so a run in a later minute than the one before it rewrites that page and no
    other: on a loaded machine the runs of a test need not share a minute.
    """
    if "site: nothing changed, no commit" not in said:
        assert "site: committed" in said and _changed(remote) == {HEALTH}, said


def test_second_commit_holds_only_the_changed_pages(tmp_path, server):
    remote = bare(tmp_path / "news.git")
    vault = _vault(tmp_path, server, remote)
    said = _run(vault)
    assert "site: committed" in said and f"site: pages ({BRANCH}): pushed" in said
    first = files_at(remote, BRANCH)
    assert {"index.html", "feeds/changes/edited.atom", "feeds/changes/alpha/deleted.json", "feeds/all.atom"} <= first
    assert not any(path.endswith(".tmp") or path.startswith("articles/") for path in first)
    assert "main" not in sh(remote, "branch")  # the archive has no [[publish.remote]]: the site alone went out
    edited, other, beta = (_article(remote, *a) for a in (("alpha", "部长"), ("alpha", "天气"), ("beta", "贝塔")))

    _feeds(server, 1)
    said = _run(vault)
    assert log(remote, BRANCH)[0].startswith("newsvault site: ") and len(log(remote, BRANCH)) == 2
    changed = _changed(remote)
    stem = edited[: -len(".html")]
    assert {edited, f"{stem}.versions.html", "edited.html"} <= changed
    assert {f"feeds/changes/{k}" for k in ("edited.atom", "edited.rss", "edited.json")} <= changed
    assert {f"feeds/changes/alpha/edited.{f}" for f in ("atom", "rss", "json")} <= changed
    untouched = {other, beta, "site.css", "feeds/beta.atom", "feeds/changes/beta/edited.atom", "deleted.html"}
    assert not changed & untouched, changed & untouched
    assert not any(path.startswith("feeds/changes/") and "deleted" in path for path in changed)
    assert "第0次更新" in _shown(remote, edited)
    assert sh(remote, "rev-list", "--merges", BRANCH) == ""

    _nothing_new(_run(vault), remote)
    assert len(log(remote, BRANCH)) == 2 + (_changed(remote) == {HEALTH})


def test_runner_with_a_blobless_branch_commits_what_the_branch_lacks(tmp_path, server):
    remote = bare(tmp_path / "news.git")
    vault = _vault(tmp_path, server, remote)
    _run(vault)
    edited = _article(remote, "alpha", "部长")

    # A push that worked, then a new runner: the marks agree with the branch, the render stays incremental.
    _open_as_runner(remote, vault)
    _feeds(server, 1)
    _run(vault)
    changed = _changed(remote)
    beta = _article(remote, "beta", "贝塔")
    assert edited in changed and beta not in changed
    assert (vault / "site" / edited).is_file() and not (vault / "site" / beta).exists()  # not a full render
    assert "index.html" in files_at(remote, BRANCH)  # nothing the runner did not write went missing
    assert files_at(remote, f"{BRANCH}~1") <= files_at(remote, BRANCH)

    # A push that failed: the runner's commit is gone with it, the next runner opens the older branch.
    toml = (vault / "vault.toml").read_text("utf-8")
    (vault / "vault.toml").write_text(toml.replace(str(remote), str(tmp_path / "absent.git")), "utf-8")
    _open_as_runner(remote, vault)
    _feeds(server, 2)
    assert "site: pages (gh-pages): FAILED" in _run(vault, code=1)
    (vault / "vault.toml").write_text(toml, "utf-8")
    _open_as_runner(remote, vault)
    commits = len(log(remote, BRANCH))
    said = _run(vault)  # nothing new at the source: the missed pages are rendered again and go out
    assert "site: committed" in said and len(log(remote, BRANCH)) == commits + 1
    assert "第1次更新" in _shown(remote, edited)
    assert edited in _changed(remote) and beta not in _changed(remote)
    assert (vault / "site" / beta).is_file()  # the marks did not match the branch: every page rendered again


def test_a_failing_site_remote_stops_nothing_else(tmp_path, server):
    archive_remote = bare(tmp_path / "archive.git")
    vault = _vault(tmp_path, server, tmp_path / "absent.git")
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f'[[publish.remote]]\nurl = "{archive_remote}"\n')
        f.write(f'[[publish.site]]\nname = "second"\nurl = "{tmp_path / "ok.git"}"\nbranch = "{BRANCH}"\n')
    ok = bare(tmp_path / "ok.git")
    said = _run(vault, code=1)
    assert "site: pages (gh-pages): FAILED" in said and "site: second (gh-pages): pushed" in said
    assert "index.html" in files_at(ok, BRANCH)
    assert any(path.startswith("articles/alpha/") for path in files_at(archive_remote, "main"))


def test_killed_after_the_commit_the_next_run_pushes_it(tmp_path, server):
    remote = bare(tmp_path / "news.git")
    vault = _vault(tmp_path, server, remote)
    env = {**{k: v for k, v in os.environ.items() if k != ENV}, ENV: "site.committed"}
    killed = subprocess.run([NEWSVAULT, "--vault", str(vault), "run", "--publish"], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    made = sh(vault / "site", "rev-parse", "HEAD")
    assert BRANCH not in sh(remote, "branch")  # committed, pushed nowhere
    said = _run(vault)
    _nothing_new(said, remote)  # the marks agree with the commit: nothing rendered twice
    pushed = f"{BRANCH}~1" if "site: committed" in said else BRANCH  # under the health page's commit, if any
    assert sh(remote, "rev-parse", pushed) == made


def test_publishing_a_site_that_is_not_written_is_refused(tmp_path):
    vault = write_vault(tmp_path / "v", {})
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write('[site]\nenabled = false\n[[publish.site]]\nurl = "/nowhere.git"\n')
    with pytest.raises(ConfigError, match=r"\[\[publish.site\]\] needs \[site\] enabled = true"):
        load(vault)


def _dated(server, date: str) -> None:  # type: ignore[no-untyped-def]
    """alpha: one article in May 2024 and one listed on `date`; beta as in `_feeds`."""
    _feeds(server, 0)
    server.set(
        "/alpha.xml",
        rss(
            rss_item("部长访问", server.url("/a/1.html"), DATE, "<p>部长今天访问了两个国家。</p>"),
            rss_item("天气预报", server.url("/a/2.html"), date, "<p>明天晴。</p>"),
        ),
    )


def _hand_commit(tmp_path: Path, remote: Path) -> None:
    """Someone adds a file to the branch on GitHub: the store's marks no longer match it (a full render)."""
    clone = tmp_path / "by-hand"
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    subprocess.run(["git", "clone", "-q", "-b", BRANCH, str(remote), str(clone)], check=True)
    (clone / "CNAME").write_text("news.example.org\n", "utf-8")
    sh(clone, "add", "CNAME")
    sh(clone, "-c", "user.name=someone", "-c", "user.email=someone@example.org", "commit", "-qm", "CNAME")
    sh(clone, "push", "-q", "origin", BRANCH)


def test_a_month_left_empty_is_removed_from_the_branch(tmp_path, server):
    june, may = "alpha/2024-06.html", "alpha/2024-05.html"
    remote = bare(tmp_path / "news.git")
    vault = _vault(tmp_path, server, remote)
    _dated(server, "Sat, 01 Jun 2024 12:00:00 GMT")
    _run(vault)
    assert {may, june} <= files_at(remote, BRANCH)

    # The folder kept between runs: the render deletes the page, and the deletion is committed.
    _dated(server, DATE)  # June's only article is dated in May now
    _run(vault)
    assert june not in files_at(remote, BRANCH) and may in files_at(remote, BRANCH)
    assert june in _changed(remote) and "1 deleted" in log(remote, BRANCH)[0]
    assert not (vault / "site" / june).exists()

    # A runner's blob-less folder, where the page was never on disk: the branch's listing says it is stale.
    _dated(server, "Sat, 01 Jun 2024 12:00:00 GMT")
    _run(vault)
    assert june in files_at(remote, BRANCH)
    _open_as_runner(remote, vault)
    _dated(server, DATE)
    _run(vault)
    assert june not in files_at(remote, BRANCH) and may in files_at(remote, BRANCH)
    beta = _article(remote, "beta", "贝塔")
    assert beta in files_at(remote, BRANCH) and beta not in _changed(remote)  # nothing else deleted
    missing = sh(vault / "site", "rev-list", "--objects", "--missing=print", "HEAD")
    assert any(line.startswith("?") for line in missing.splitlines())  # the older pages were never downloaded

    # A full render (the branch was changed by hand, so the marks are dropped) has no earlier months to compare.
    _dated(server, "Sat, 01 Jun 2024 12:00:00 GMT")
    _run(vault)
    _hand_commit(tmp_path, remote)
    _open_as_runner(remote, vault)
    _dated(server, DATE)
    _run(vault)
    assert june not in files_at(remote, BRANCH) and {may, "CNAME", beta} <= files_at(remote, BRANCH)


def _pictures(server, edit: bool = False) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """pics (mirror mode): two articles with an image each; the URLs of the images."""
    a, b = server.url("/img/a.png"), server.url("/img/b.png")
    first = f'<p>第一张图。{"（更新）" if edit else ""}</p><img src="{a}" alt="图一">'
    server.set(
        "/pics.xml",
        rss(
            rss_item("图一", server.url("/p/1.html"), DATE, first),
            rss_item("图二", server.url("/p/2.html"), DATE, f'<p>第二张图。</p><img src="{b}" alt="图二">'),
        ),
    )
    return a, b


def _pictures_vault(tmp_path: Path, server, remote: Path) -> Path:  # type: ignore[no-untyped-def]
    _pictures(server)
    vault = write_vault(
        tmp_path / "vault", {"pics": {"name": "图片", "feed": server.url("/pics.xml"), "images": "mirror"}}
    )
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f'[publish]\nretries = 0\n[[publish.site]]\nname = "pages"\nurl = "{remote}"\nbranch = "{BRANCH}"\n')
    return vault


def _image_of(clone: Path, page: str) -> tuple[str, bytes | None]:
    """The site path the page's one <img> points at, resolved relative to the page, and that file's bytes."""
    srcs = links(clone / page).srcs
    assert len(srcs) == 1, srcs
    target = local_target(clone / page, srcs[0])
    assert target is not None, srcs  # a relative link, not the image's original URL
    path = target.relative_to(clone.resolve()).as_posix()
    return path, target.read_bytes() if target.is_file() else None


def _fresh_clone(tmp_path: Path, remote: Path) -> Path:
    clone = tmp_path / "reader"
    subprocess.run(["rm", "-rf", str(clone)], check=True)
    subprocess.run(["git", "clone", "-q", "-b", BRANCH, str(remote), str(clone)], check=True)
    return clone


def test_mirrored_images_are_published_with_the_pages_that_show_them(tmp_path, server):
    picture = png()
    remote = bare(tmp_path / "news.git")
    vault = _pictures_vault(tmp_path, server, remote)
    server.set("/img/a.png", picture, headers={"Content-Type": "image/png"})
    server.set("/img/b.png", "busy", status=503)  # mirrored on a later run than its article
    said = _run(vault)  # the image that failed is retried on the next run
    assert "site: committed" in said and "1 mirrored image(s)" in log(remote, BRANCH)[0]
    one, two = _article(remote, "pics", "第一张图"), _article(remote, "pics", "第二张图")
    clone = _fresh_clone(tmp_path, remote)
    path, data = _image_of(clone, one)
    assert path.startswith("assets/") and path in files_at(remote, BRANCH) and data == picture
    assert f'src="{server.url("/img/b.png")}"' in (clone / two).read_text("utf-8")  # not mirrored yet: as given

    _nothing_new(_run(vault), remote)  # nothing new, the image still failing: no page but the health page

    # The later image on a runner: a blob-less site folder, and no assets/ kept in the archive from earlier runs.
    other = picture + b"\x00"  # other bytes (trailing data after IEND), another content-addressed name
    server.set("/img/b.png", other, headers={"Content-Type": "image/png"})
    _open_as_runner(remote, vault)
    subprocess.run(["rm", "-rf", str(vault / "archive" / "assets")], check=True)
    _run(vault)
    clone = _fresh_clone(tmp_path, remote)
    later, data = _image_of(clone, two)
    assert data == other and {two, later} <= _changed(remote)
    assert one not in _changed(remote) and path not in _changed(remote)  # the first image is not written again
    assert _image_of(clone, one) == (path, picture)

    # A runner re-renders the first article (edited) whose image it does not have: the link stays, the branch has it.
    _pictures(server, edit=True)
    _open_as_runner(remote, vault)
    subprocess.run(["rm", "-rf", str(vault / "archive" / "assets")], check=True)
    _run(vault)
    assert one in _changed(remote) and not any(p.startswith("assets/") for p in _changed(remote))
    clone = _fresh_clone(tmp_path, remote)
    assert "（更新）" in (clone / one).read_text("utf-8") and _image_of(clone, one) == (path, picture)
    _nothing_new(_run(vault), remote)


def test_an_image_whose_push_failed_is_mirrored_again_and_published(tmp_path, server):
    picture, other = png(), png() + b"\x00"
    remote = bare(tmp_path / "news.git")
    vault = _pictures_vault(tmp_path, server, remote)
    server.set("/img/a.png", picture, headers={"Content-Type": "image/png"})
    server.set("/img/b.png", "busy", status=503)
    _run(vault)
    one, two = _article(remote, "pics", "第一张图"), _article(remote, "pics", "第二张图")

    # A runner mirrors the second image, and its push fails: the copy is gone with the runner.
    server.set("/img/b.png", other, headers={"Content-Type": "image/png"})
    toml = (vault / "vault.toml").read_text("utf-8")
    (vault / "vault.toml").write_text(toml.replace(str(remote), str(tmp_path / "absent.git")), "utf-8")
    _open_as_runner(remote, vault)
    subprocess.run(["rm", "-rf", str(vault / "archive" / "assets")], check=True)
    assert "site: pages (gh-pages): FAILED" in _run(vault, code=1)
    (vault / "vault.toml").write_text(toml, "utf-8")
    fetched = server.count("/img/a.png"), server.count("/img/b.png")

    # The next runner renders every page: the second image is on neither the branch nor the runner.
    for _ in range(2):
        _open_as_runner(remote, vault)
        subprocess.run(["rm", "-rf", str(vault / "archive" / "assets")], check=True)
        _run(vault)
    clone = _fresh_clone(tmp_path, remote)
    later, data = _image_of(clone, two)
    assert data == other and later in files_at(remote, BRANCH)
    assert _image_of(clone, one)[1] == picture
    assert server.count("/img/a.png") == fetched[0]  # the branch had it: not downloaded again
    assert server.count("/img/b.png") == fetched[1] + 1
