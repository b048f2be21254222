"""Trusted timestamps against a real RFC 3161 authority on 127.0.0.1 (tests/support/tsa.py).

The runs are made a day later than the clock says (`now_ms` of the timestamps
module only), so the day the feed was fetched is a past day to stamp.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsvault.base.clock import china_day, now_ms
from newsvault.base.failpoints import ENV
from newsvault.cli import cli
from newsvault.publish.timestamps import manifest_path
from tests.support.tsa import LocalAuthority
from tests.vaults import rss, rss_item, write_vault

DAY_MS = 86_400_000


@pytest.fixture
def authority(tmp_path):
    tsa = LocalAuthority(tmp_path / "ca")
    yield tsa
    tsa.close()


def _vault(tmp_path: Path, server, authority: LocalAuthority) -> Path:  # type: ignore[no-untyped-def]
    feed = server.set(
        "/f.xml", rss(rss_item("标题", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>正文</p>"))
    )
    vault = write_vault(tmp_path / "v", {"voa": {"feed": feed}})
    with (vault / "vault.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[timestamps]\nenabled = true\ntsa_urls = ["{authority.url}"]\ntsa_cert = "../ca/ca.pem"\n')
    return vault


def _run(vault: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    later = now_ms() + DAY_MS
    monkeypatch.setattr("newsvault.publish.timestamps.now_ms", lambda: later)
    return CliRunner().invoke(cli, ["--vault", str(vault), "run"])


def _verify(vault: Path, file: Path) -> Result:
    return CliRunner().invoke(cli, ["--vault", str(vault), "verify-proof", str(file)])


def _article(vault: Path) -> Path:
    return vault / "archive/articles/voa/1048574.md"


def test_the_day_is_stamped_and_verify_proof_tells_tampering(tmp_path, server, authority, monkeypatch):
    vault = _vault(tmp_path, server, authority)
    done = _run(vault, monkeypatch)
    assert done.exit_code == 0, done.output
    manifest = vault / "archive" / manifest_path(china_day(now_ms()))
    lines = manifest.read_text("utf-8").splitlines()
    assert lines[0] == "# newsvault manifest 1"
    assert any(line.endswith("  article articles/voa/1048574.md") for line in lines), lines
    assert any(" capture " in line for line in lines), lines
    assert manifest.with_suffix(".tsr").exists()

    checked = _verify(vault, _article(vault))
    assert checked.exit_code == 0, checked.output
    assert f"in {manifest_path(china_day(now_ms()))}, stamped " in checked.output

    original = manifest.read_bytes()
    manifest.write_bytes(original + b"# one more line\n")  # still lists the article, no longer what was stamped
    refused = _verify(vault, _article(vault))
    assert refused.exit_code == 1
    assert "message imprint mismatch" in refused.output
    manifest.write_bytes(original)

    data = bytearray(_article(vault).read_bytes())
    data[-2] ^= 1  # one byte changed
    _article(vault).write_bytes(bytes(data))
    refused = _verify(vault, _article(vault))
    assert refused.exit_code == 1
    assert "is in no manifest" in refused.output


def test_a_token_from_another_authority_is_refused(tmp_path, server, authority, monkeypatch):
    vault = _vault(tmp_path, server, authority)
    assert _run(vault, monkeypatch).exit_code == 0
    other = LocalAuthority(tmp_path / "other")
    other.close()
    refused = CliRunner().invoke(cli, ["verify-proof", str(_article(vault)), "--tsa-cert", str(other.ca)])
    assert refused.exit_code == 1
    assert "bad token" in refused.output


def test_authority_down_fails_the_run_and_the_next_run_stamps(tmp_path, server, authority, monkeypatch):
    vault = _vault(tmp_path, server, authority)
    authority.up = False
    failed = _run(vault, monkeypatch)
    assert failed.exit_code == 1
    assert "trusted timestamps" in failed.output and "Service Unavailable" in failed.output
    assert _article(vault).exists()  # the sources' work stands
    manifest = vault / "archive" / manifest_path(china_day(now_ms()))
    assert manifest.exists() and not manifest.with_suffix(".tsr").exists()
    written = manifest.read_bytes()

    authority.up = True
    done = _run(vault, monkeypatch)
    assert done.exit_code == 0, done.output
    assert manifest.read_bytes() == written  # the token stamps the manifest already published
    assert _verify(vault, _article(vault)).exit_code == 0


_LATER = """
import sys
import newsvault.publish.timestamps as t
from newsvault.cli import cli
real = t.now_ms
t.now_ms = lambda: real() + 86_400_000
cli(["--vault", sys.argv[1], "run"])
"""


def test_killed_after_the_manifest_leaves_no_partial_file(tmp_path, server, authority):
    vault = _vault(tmp_path, server, authority)
    env = {**os.environ, ENV: "timestamps.manifest_written"}
    killed = subprocess.run([sys.executable, "-c", _LATER, str(vault)], env=env, capture_output=True, check=False)
    assert killed.returncode == -9, killed.stderr
    proofs = vault / "archive/proofs"
    names = sorted(p.name for p in proofs.rglob("*") if p.is_file())
    assert names == [f"{china_day(now_ms())}.sha256"]  # whole, and no token or temporary file
    env.pop(ENV)
    again = subprocess.run([sys.executable, "-c", _LATER, str(vault)], env=env, capture_output=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _verify(vault, _article(vault)).exit_code == 0


def test_run_publish_pushes_the_proofs_with_the_articles(tmp_path, server, authority, monkeypatch):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    vault = _vault(tmp_path, server, authority)
    with (vault / "vault.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[[publish.remote]]\nurl = "{remote}"\n')
    later = now_ms() + DAY_MS
    monkeypatch.setattr("newsvault.publish.timestamps.now_ms", lambda: later)
    done = CliRunner().invoke(cli, ["--vault", str(vault), "run", "--publish"])
    assert done.exit_code == 0, done.output
    listed = subprocess.run(
        ["git", "-C", str(remote), "ls-tree", "-r", "--name-only", "main"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    day = manifest_path(china_day(now_ms()))
    assert {day, day.removesuffix(".sha256") + ".tsr", "articles/voa/1048574.md"} <= set(listed)


def test_the_first_manifest_covers_all_before_and_later_days_one_each(tmp_path, server, authority, monkeypatch):
    """Turning timestamps on late asks the authority once for the past, then once a day; no day is gone back to."""
    vault = _vault(tmp_path, server, authority)
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 0  # stored today, nothing stamped
    proofs = vault / "archive/proofs"
    assert not proofs.exists()
    start = now_ms()
    for later_days in (3, 5):
        monkeypatch.setattr("newsvault.publish.timestamps.now_ms", lambda d=later_days: start + d * DAY_MS)
        done = CliRunner().invoke(cli, ["--vault", str(vault), "run"])
        assert done.exit_code == 0, done.output
    days = [china_day(start + d * DAY_MS) for d in range(2, 5)]
    manifests = sorted(p.relative_to(vault / "archive").as_posix() for p in proofs.rglob("*.sha256"))
    assert manifests == [manifest_path(day) for day in days]  # day 2 covers today's article; days 3 and 4 after it
    first = (vault / "archive" / manifest_path(days[0])).read_text("utf-8").splitlines()
    assert first[1] == f"# everything up to the end of {days[0]} (China time, UTC+8)"
    assert any(line.endswith("  article articles/voa/1048574.md") for line in first)
    later = (vault / "archive" / manifest_path(days[1])).read_text("utf-8").splitlines()
    assert later[1] == f"# day {days[1]} (China time, UTC+8)" and len(later) == 2  # nothing new that day
    assert all((vault / "archive" / manifest_path(day)).with_suffix(".tsr").exists() for day in days)
    assert _verify(vault, _article(vault)).exit_code == 0


def test_render_stamps_the_days_as_run_does(tmp_path, server, authority, monkeypatch):
    """Workers poll without rendering; the tree's machine runs `render`, which stamps the days past (docs/SCALE.md)."""
    vault = _vault(tmp_path, server, authority)
    assert CliRunner().invoke(cli, ["--vault", str(vault), "run"]).exit_code == 0  # stored today, nothing stamped
    manifest = vault / "archive" / manifest_path(china_day(now_ms()))
    assert not manifest.exists()
    later = now_ms() + DAY_MS
    monkeypatch.setattr("newsvault.publish.timestamps.now_ms", lambda: later)

    authority.up = False
    failed = CliRunner().invoke(cli, ["--vault", str(vault), "render"])
    assert failed.exit_code == 1
    assert "ERROR: trusted timestamps:" in failed.output and "Service Unavailable" in failed.output
    assert manifest.exists() and not manifest.with_suffix(".tsr").exists()  # written, stamped on the next render

    authority.up = True
    done = CliRunner().invoke(cli, ["--vault", str(vault), "render"])
    assert done.exit_code == 0, done.output
    assert f"trusted timestamps: {china_day(now_ms())} stamped" in done.output
    assert manifest.with_suffix(".tsr").exists()
    assert _verify(vault, _article(vault)).exit_code == 0
    again = CliRunner().invoke(cli, ["--vault", str(vault), "render"])
    assert again.exit_code == 0 and "trusted timestamps" not in again.output  # each day is stamped once
