"""Publishing the archive with real git: local bare repositories stand in for GitHub."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsvault.cli import cli
from newsvault.config import ConfigError, load
from newsvault.config.model import PublishRemote as Remote
from newsvault.publish import publish, publish_with, redact
from newsvault.publish.actions import install_spec
from tests.vaults import rss, rss_item, write_vault


def sh(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def bare(path: Path) -> Path:
    """A remote that refuses any push that is not a fast-forward, as a protected GitHub branch does."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    sh(path, "config", "receive.denyNonFastForwards", "true")
    sh(path, "config", "receive.denyDeletes", "true")
    return path


def write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, "utf-8")


def log(repo: Path, ref: str = "main") -> list[str]:
    return sh(repo, "log", "--format=%s", ref).splitlines()


def files_at(repo: Path, ref: str = "main") -> set[str]:
    return set(sh(repo, "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", ref).splitlines())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clone_and_push(remote: Path, work: Path, files: dict[str, str], message: str) -> str:
    """Someone else's commit, pushed to ``remote`` behind newsvault's back."""
    subprocess.run(["git", "clone", "-q", str(remote), str(work)], check=True)
    write(work, files)
    sh(work, "add", "-A")
    sh(work, "-c", "user.name=Other", "-c", "user.email=other@example.org", "commit", "-q", "-m", message)
    sh(work, "push", "-q", "origin", "HEAD:main")
    return sh(work, "rev-parse", "HEAD")


ARCHIVE = {
    "README.md": "readme\n",
    "lists/美国之音.md": "美国之音\n------\n\n",
    "articles/voa/1048574.md": "<!--1-->\n[一](https://a.example/1)\n------\n\n<p>1</p>\n",
    "articles/voa/1048573.md": "<!--2-->\n[二](https://a.example/2)\n------\n\n<p>2</p>\n",
    "articles/rfi/1048574.md": "<!--3-->\n[三](https://a.example/3)\n------\n\n<p>3</p>\n",
}


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "archive"
    write(root, ARCHIVE)
    (root / "vault.sqlite").write_bytes(b"the store, never published")
    return root


def test_first_publish_commits_once_and_pushes_to_every_remote(tmp_path, archive):
    one, two = bare(tmp_path / "one.git"), bare(tmp_path / "two.git")
    report = publish(archive, [Remote(str(one)), Remote(str(two), branch="archive", name="second")], backoff=0)
    assert not report.failed, report
    assert report.commit is not None
    assert report.commit.message == "newsvault: 3 new, 0 updated (rfi +1, voa +2); 2 other file(s)"
    assert [r.detail.split()[0] for r in report.remotes] == ["pushed", "pushed"]
    assert report.remotes[1].label == "second"
    assert log(one) == [report.commit.message] and log(two, "archive") == [report.commit.message]
    assert files_at(one) == set(ARCHIVE) == files_at(two, "archive")  # the store stays out
    assert sh(archive, "rev-parse", "--show-toplevel") == str(archive.resolve())
    # Remotes are used by URL only: nothing about them is written into the repository's config.
    assert "one.git" not in (archive / ".git/config").read_text()


def test_publish_without_a_change_makes_no_commit(tmp_path, archive):
    remote = bare(tmp_path / "r.git")
    publish(archive, [Remote(str(remote))], backoff=0)
    again = publish(archive, [Remote(str(remote))], backoff=0)
    assert again.commit is None and not again.failed
    assert again.remotes[0].detail == "up to date"
    assert len(log(remote)) == 1 and len(log(archive, "HEAD")) == 1
    write(archive, {"articles/voa/1048573.md": "changed\n", "articles/voa/1048572.md": "new\n"})
    third = publish(archive, [Remote(str(remote))], backoff=0)
    assert third.commit is not None and third.commit.message == "newsvault: 1 new, 1 updated (voa +1 ~1)"
    assert log(remote)[0] == third.commit.message and len(log(remote)) == 2


def test_a_foreign_commit_on_the_remote_is_kept_history_linear_no_force(tmp_path, archive):
    remote = bare(tmp_path / "r.git")
    publish(archive, [Remote(str(remote))], backoff=0)
    foreign = clone_and_push(remote, tmp_path / "other", {"NOTICE.md": "hand-written\n"}, "a note by hand")
    write(archive, {"articles/rfi/1048573.md": "new\n"})
    report = publish(archive, [Remote(str(remote))], backoff=0)
    assert not report.failed, report
    assert log(remote) == ["newsvault: 1 new, 0 updated (rfi +1)", "a note by hand", log(remote)[-1]]
    assert sh(remote, "rev-list", "--merges", "main") == ""  # linear
    subprocess.run(["git", "-C", str(remote), "merge-base", "--is-ancestor", foreign, "main"], check=True)
    assert sh(archive, "rev-parse", "HEAD") == sh(remote, "rev-parse", "main")
    assert (archive / "NOTICE.md").read_text() == "hand-written\n"


def test_a_conflicting_remote_fails_alone_and_the_local_tree_is_intact(tmp_path, archive):
    clash, fine = bare(tmp_path / "clash.git"), bare(tmp_path / "fine.git")
    publish(archive, [Remote(str(clash)), Remote(str(fine))], backoff=0)
    theirs = clone_and_push(clash, tmp_path / "other", {"articles/voa/1048574.md": "theirs\n"}, "edit by hand")
    write(archive, {"articles/voa/1048574.md": "ours\n"})
    report = publish(archive, [Remote(str(clash)), Remote(str(fine))], backoff=0, retries=2)
    assert [r.ok for r in report.remotes] == [False, True]
    assert "conflict" in report.remotes[0].detail and report.remotes[0].attempts == 1  # not worth retrying
    assert sh(clash, "rev-parse", "main") == theirs  # their commit stands, nothing forced over it
    assert (archive / "articles/voa/1048574.md").read_text() == "ours\n"
    assert log(archive, "HEAD")[0] == "newsvault: 0 new, 1 updated (voa ~1)"
    assert not (archive / ".git/rebase-merge").exists() and not (archive / ".git/rebase-apply").exists()
    assert sh(archive, "status", "--porcelain", "--", "articles") == ""
    assert log(fine)[0] == "newsvault: 0 new, 1 updated (voa ~1)"


def test_unreachable_remotes_are_retried_with_backoff_and_reported_while_others_succeed(tmp_path, archive):
    good = bare(tmp_path / "good.git")
    missing = Remote(str(tmp_path / "no-such.git"))
    closed = Remote(f"http://newsvault:s3cret-token@127.0.0.1:{closed_port()}/x.git", name=None)
    waits: list[float] = []
    report = publish(
        archive, [missing, closed, Remote(str(good))], retries=2, backoff=0.01, timeout=30, sleep=waits.append
    )
    assert [r.ok for r in report.remotes] == [False, False, True]
    assert [r.attempts for r in report.remotes] == [3, 3, 1]
    assert waits == [0.01, 0.02, 0.01, 0.02]
    assert "no-such.git" in report.remotes[0].detail
    assert report.remotes[1].label.startswith("http://***@127.0.0.1:")
    everything = repr(report)
    assert "s3cret-token" not in everything and "newsvault:s3cret" not in everything
    assert report.failed and log(good) == [report.commit.message]


def vault_publishing(directory: Path, archive: Path, publish_toml: str) -> Path:
    """A vault whose archive is ``archive``, with the given [publish] settings and remotes."""
    write_vault(directory, {})
    with open(directory / "vault.toml", "a", encoding="utf-8") as f:
        f.write(f'[archive]\npath = "{archive}"\n{publish_toml}')
    return directory


def test_credentials_never_reach_the_output_or_the_repository(tmp_path, archive, monkeypatch):
    port = closed_port()
    monkeypatch.setenv("NV_TEST_TOKEN", "ghp_TOPSECRET")
    vault = vault_publishing(
        tmp_path / "vault",
        archive,
        (
            "[publish]\nretries = 1\nbackoff = 0\n"
            f'[[publish.remote]]\nurl = "http://x-access-token:${{NV_TEST_TOKEN}}@127.0.0.1:{port}/a.git"\n'
            f'[[publish.remote]]\nurl = "http://user:literal-secret@127.0.0.1:{port}/b.git"\n'
        ),
    )
    result = CliRunner().invoke(cli, ["--vault", str(vault), "publish"])
    assert result.exit_code == 1, result.output
    assert result.output.count("FAILED after 2 attempts") == 2
    assert f"http://***@127.0.0.1:{port}/a.git (main): FAILED" in result.output
    for secret in ("ghp_TOPSECRET", "literal-secret"):
        assert secret not in result.output
        for path in (archive / ".git").rglob("*"):
            assert not path.is_file() or secret.encode() not in path.read_bytes(), path
    assert (
        redact("push to https://u:p%40ss@github.com/o/r.git failed") == "push to https://***@github.com/o/r.git failed"
    )
    assert redact("git@github.com:o/r.git") == "git@github.com:o/r.git"  # ssh form carries no secret


def test_a_remote_url_from_the_environment(tmp_path, archive, monkeypatch):
    remote = bare(tmp_path / "r.git")
    monkeypatch.setenv("NV_TEST_REMOTE_DIR", str(tmp_path))
    monkeypatch.delenv("NV_TEST_UNSET", raising=False)
    report = publish(archive, [Remote("${NV_TEST_REMOTE_DIR}/r.git"), Remote("${NV_TEST_UNSET}/x.git")], backoff=0)
    assert report.remotes[0].ok and len(log(remote)) == 1
    assert report.remotes[1].detail == "environment variable NV_TEST_UNSET is not set"


def test_publish_command_reports_each_remote_and_exits_1_if_one_failed(tmp_path, archive):
    good = bare(tmp_path / "good.git")
    remotes = f'[[publish.remote]]\nurl = "{good}"\nname = "good"\n'
    vault = vault_publishing(
        tmp_path / "vault",
        archive,
        "[publish]\nretries = 0\n" + remotes + f'[[publish.remote]]\nurl = "{tmp_path / "gone.git"}"\nname = "gone"\n',
    )
    result = CliRunner().invoke(cli, ["--vault", str(vault), "publish"])
    assert result.exit_code == 1, result.output
    assert re.search(r"publish: committed [0-9a-f]{7}: newsvault: 3 new", result.output)
    assert re.search(r"publish: good \(main\): pushed [0-9a-f]{7} \(new branch\)", result.output)
    assert "publish: gone (main): FAILED: git ls-remote: fatal: '" in result.output
    vault = vault_publishing(tmp_path / "vault2", archive, remotes)
    again = CliRunner().invoke(cli, ["--vault", str(vault), "publish"])
    assert again.exit_code == 0, again.output
    assert "publish: nothing changed, no commit" in again.output and "good (main): up to date" in again.output


def test_run_publish_fetches_stores_renders_and_publishes(tmp_path, server):
    remote = bare(tmp_path / "r.git")
    url = server.set(
        "/voa.xml", rss(rss_item("头条", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>1</p>"))
    )
    vault = write_vault(tmp_path / "vault", {"voa": {"feed": url}})
    with open(vault / "vault.toml", "a", encoding="utf-8") as f:
        f.write(f'[publish]\nretries = 0\n[[publish.remote]]\nurl = "{remote}"\n')
    first = CliRunner().invoke(cli, ["--vault", str(vault), "run", "--publish"])
    assert first.exit_code == 0, first.output
    assert log(remote) == ["newsvault: 1 new, 0 updated (voa +1); 2 other file(s)"]
    assert files_at(remote) == {"README.md", "lists/美国之音.md", "articles/voa/1048574.md"}
    second = CliRunner().invoke(cli, ["--vault", str(vault), "run", "--publish"])
    assert second.exit_code == 0, second.output
    assert "publish: nothing changed, no commit" in second.output and len(log(remote)) == 1


def test_init_github_actions_writes_a_workflow_and_a_vault_that_is_the_repository(tmp_path, monkeypatch):
    directory = tmp_path / "news"
    result = CliRunner().invoke(cli, ["init", str(directory), "--github-actions"])
    assert result.exit_code == 0, result.output
    text = (directory / ".github/workflows/newsvault.yml").read_text("utf-8")
    _check_yaml_shape(text)
    assert re.search(r'^  schedule:\n    - cron: "\d+ \* \* \* \*"', text, re.M)  # hourly
    assert re.search(r"^  workflow_dispatch:", text, re.M)
    assert re.search(r"^concurrency:\n  group: newsvault\n  cancel-in-progress: false", text, re.M)
    assert "actions/cache/restore@" in text and "actions/cache/save@" in text and "path: vault.sqlite*" in text
    assert "newsvault --vault . run --publish" in text and "newsvault --vault . import ." in text
    assert "/actions/workflows/newsvault.yml/enable" in text and "actions: write" in text
    assert "--force" not in text and "@INSTALL@" not in text
    assert f"'{install_spec()}'" in text and install_spec() in result.output
    config = load(directory)
    assert config.archive == directory.resolve()
    assert config.publish.remotes[0].url == "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}.git"
    assert "/vault.sqlite" in (directory / ".gitignore").read_text()
    # As on the runner: the checkout is the vault; the store and the config stay out of the commit.
    bare(tmp_path / "owner" / "news.git")
    subprocess.run(["git", "init", "-q", "-b", "main", str(directory)], check=True)
    write(directory, {"articles/voa/1048574.md": "x\n", "README.md": "r\n"})
    (directory / "vault.sqlite").write_bytes(b"store")
    monkeypatch.setenv("GITHUB_SERVER_URL", str(tmp_path))
    monkeypatch.setenv("GITHUB_REPOSITORY", "owner/news")
    report = publish_with(config.archive, config.publish)
    assert not report.failed, report
    assert files_at(tmp_path / "owner" / "news.git") == {"articles/voa/1048574.md", "README.md"}
    again = CliRunner().invoke(cli, ["init", str(directory), "--github-actions"])
    assert again.exit_code != 0 and "exists already" in again.output


def _check_yaml_shape(text: str) -> None:
    """What PyYAML would reject first in a hand-written workflow: tabs, odd indents, missing top keys."""
    assert "\t" not in text
    top = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0, line
        if indent == 0:
            assert re.fullmatch(r"[a-z_-]+:( .*)?", line), line
            top.append(line.split(":")[0])
    assert top == ["name", "on", "concurrency", "permissions", "jobs"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("[publish]\nretries = -1\n", "[publish] key 'retries': expected zero or more, got -1"),
        ("[publish]\nretries = true\n", "[publish] key 'retries': expected a whole number, got True"),
        ("[publish]\npush = 1\n", "[publish]: unknown key 'push'"),
        ('[publish]\nauthor = "me"\n', "[publish] key 'author': expected 'Name <email>'"),
        ("[publish]\nremote = 1\n", "[publish] key 'remote': expected [[publish.remote]] tables"),
        ('[[publish.remote]]\nbranch = "main"\n', "[[publish.remote]] number 1: missing key 'url'"),
        (
            '[[publish.remote]]\nurl = "a"\n[[publish.remote]]\nurl = 3\n',
            "[[publish.remote]] number 2 key 'url': expected a string, got 3",
        ),
        ('[[publish.remote]]\nurl = "--upload-pack=x"\n', "key 'url': expected a git URL or path"),
        ('[[publish.remote]]\nurl = "a"\nbranch = "+main:main"\n', "key 'branch': expected a branch name"),
        ('[[publish.remote]]\nurl = "a"\nforce = true\n', "[[publish.remote]] number 1: unknown key 'force'"),
    ],
)
def test_publish_settings_mistakes_name_file_key_and_expectation(tmp_path, text, message):
    (tmp_path / "vault.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError) as info:
        load(tmp_path)
    assert str(tmp_path / "vault.toml") in str(info.value) and message in str(info.value)


def test_publish_settings_defaults_and_values(tmp_path):
    (tmp_path / "vault.toml").write_text("", "utf-8")
    assert load(tmp_path).publish.remotes == ()
    (tmp_path / "vault.toml").write_text(
        '[publish]\nretries = 5\nbackoff = 0.5\nauthor = "Bot <bot@x.org>"\n'
        '[[publish.remote]]\nurl = "git@github.com:o/r.git"\nbranch = "gh/pages"\n',
        "utf-8",
    )
    settings = load(tmp_path).publish
    assert (settings.retries, settings.backoff, settings.author) == (5, 0.5, "Bot <bot@x.org>")
    assert settings.remotes == (Remote("git@github.com:o/r.git", "gh/pages"),)


def test_a_rebase_left_behind_by_a_killed_publish_is_undone_first(tmp_path, archive):
    remote = bare(tmp_path / "r.git")
    publish(archive, [Remote(str(remote))], backoff=0)
    clone_and_push(remote, tmp_path / "other", {"articles/voa/1048574.md": "theirs\n"}, "edit by hand")
    write(archive, {"articles/voa/1048574.md": "ours\n"})
    sh(archive, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "ours")
    sh(archive, "fetch", "-q", str(remote), "main")
    subprocess.run(
        ["git", "-C", str(archive), "-c", "user.name=a", "-c", "user.email=a@b", "rebase", "FETCH_HEAD"],
        capture_output=True,
    )  # stops on the conflict, as a publish killed mid-rebase would leave it
    assert (archive / ".git/rebase-merge").exists()
    report = publish(archive, [], backoff=0)
    assert report.error is None and report.commit is None
    assert not (archive / ".git/rebase-merge").exists() and log(archive, "HEAD")[0] == "ours"


def test_commit_identity_configured_author_else_git_default_never_written(tmp_path, archive, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{name}_{part}", raising=False)
    assert publish(archive, []).commit is not None
    assert sh(archive, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == (
        "newsvault <newsvault@localhost>|newsvault <newsvault@localhost>"
    )
    assert "newsvault@localhost" not in (archive / ".git/config").read_text()
    write(archive, {"articles/voa/1.md": "x\n"})
    publish(archive, [], author="Archive Bot <bot@example.org>")
    assert sh(archive, "log", "-1", "--format=%an <%ae>") == "Archive Bot <bot@example.org>"


def test_the_workflow_installs_the_newsvault_that_wrote_it(tmp_path):
    """PEP 610 tells where this newsvault came from; a runner must be able to fetch the same."""
    from newsvault import __version__

    commit = "0123456789abcdef0123456789abcdef01234567"
    assert (
        install_spec({"url": "https://github.com/o/newsvault", "vcs_info": {"vcs": "git", "commit_id": commit}})
        == f"git+https://github.com/o/newsvault@{commit}"
    )
    assert install_spec({}) == f"newsvault=={__version__}"  # from PyPI (a wheel, an index)
    # A clone (`make run` installs it editable): its origin on the web, at its HEAD.
    clone = tmp_path / "newsvault"
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True)
    sh(clone, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "x")
    head = sh(clone, "rev-parse", "HEAD")
    local = {"url": clone.as_uri(), "dir_info": {"editable": True}}
    assert install_spec(local) == f"newsvault=={__version__}"  # no origin: nothing a runner can fetch
    for origin, expected in [
        ("git@github.com:o/newsvault.git", "https://github.com/o/newsvault.git"),  # no SSH key on a runner
        ("https://github.com/o/newsvault", "https://github.com/o/newsvault"),
    ]:
        subprocess.run(["git", "-C", str(clone), "remote", "remove", "origin"], capture_output=True)
        sh(clone, "remote", "add", "origin", origin)
        assert install_spec(local) == f"git+{expected}@{head}"
    for unusable in ("/srv/git/newsvault.git", "https://user:token@github.com/o/newsvault"):
        sh(clone, "remote", "set-url", "origin", unusable)
        assert install_spec(local) == f"newsvault=={__version__}"  # a path, or a credential never written out
