"""WARC out and evidence published: a real run against local servers, exported, checked, replayed, pushed.

The WARC is checked by the tools the field uses, not by our own reader:
`warcio check` (every digest) and `warcio index`, and pywb, the replay engine
behind most web archives, started as a subprocess on 127.0.0.1 with a
temporary collection, must give back the captured bytes of the article page.
Kills come at the failpoint `warc.record` (a record written, the file not
finished), never after a delay.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from newsvault.base.failpoints import ENV
from newsvault.cli import cli
from newsvault.config import ConfigError, load
from newsvault.publish.evidence import MARK, verify_evidence, write_evidence
from newsvault.publish.warc import payload_digest
from newsvault.store import captures
from newsvault.store import sources as store_sources
from tests.test_publish import bare, files_at, log, sh
from tests.vaults import open_vault, rss, rss_item, write_vault

BIN = Path(sys.executable).parent
NEWSVAULT = str(BIN / "newsvault")
PAGE = "<html><head><meta charset='utf-8'></head><body><article><p>网页正文{n}：被删之前</p></article></body></html>"


def _sources(server, pages: int = 2, items: int = 2) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """An outlet with bodies in its feed and one whose bodies come from pages, served gzipped."""
    feed_items = [
        rss_item(f"第{i}条", f"https://a.example/{i}", f"Wed, 01 May 2024 0{i}:00:00 GMT", f"<p>正文{i}</p>")
        for i in range(items)
    ]
    page_items = []
    for n in range(pages):
        link = server.set(
            f"/p/{n}.html",
            gzip.compress(PAGE.format(n=n).encode("utf-8")),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        )
        page_items.append(rss_item(f"网页{n}", link, f"Wed, 01 May 2024 1{n}:00:00 GMT"))
    return {
        "fd": {"name": "全文", "feed": server.set("/fd.xml", rss(*feed_items))},
        "pg": {"name": "网页", "feed": server.set("/pg.xml", rss(*page_items)), "body": "page", "selector": "article"},
    }


def _vault(tmp_path: Path, server, evidence: Path | None = None) -> Path:  # type: ignore[no-untyped-def]
    vault = write_vault(tmp_path / "vault", _sources(server))
    if evidence is not None:
        with (vault / "vault.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[publish]\nretries = 0\n[[publish.evidence]]\nurl = "{evidence}"\nbranch = "evidence"\n')
    return vault


def _cli(*args: str) -> str:
    done = CliRunner().invoke(cli, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def _warcio(*args: str) -> str:
    done = subprocess.run([str(BIN / "warcio"), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _responses(path: Path) -> dict[str, tuple[str, bytes]]:
    """URL -> (WARC-Payload-Digest, payload) of each response record."""
    found = {}
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                found[record.rec_headers.get_header("WARC-Target-URI")] = (
                    record.rec_headers.get_header("WARC-Payload-Digest"),
                    record.raw_stream.read(),
                )
    return found


def _requests(path: Path) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """URL -> (request line, headers in order) of each request record."""
    found = {}
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "request":
                http = record.http_headers  # warcio reads a request's method as its "protocol"
                found[record.rec_headers.get_header("WARC-Target-URI")] = (
                    f"{http.protocol} {http.statusline}",
                    http.headers,
                )
    return found


def _stored(vault: Path) -> dict[str, bytes]:
    """URL -> the bytes of every capture in the store."""
    _, engine = open_vault(vault)
    with engine.connect() as conn:
        return {row["url"]: zlib.decompress(row["body"]) for row in captures.for_export(conn)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_export_passes_warcio_and_holds_every_capture_with_its_digest(tmp_path, server):
    vault = _vault(tmp_path, server)
    _cli("--vault", str(vault), "run")
    out = tmp_path / "all.warc.gz"
    said = _cli("--vault", str(vault), "export-warc", "--out", str(out))
    assert "2 capture(s)" in said and "pg: 2 capture(s)" in said  # the feed of fd; the two pages of pg

    checked = _warcio("check", "-v", str(out))
    assert checked.count("digest pass") == 7 and "fail" not in checked  # warcinfo, 3 × request and response
    index = _warcio("index", "-f", "warc-type,warc-target-uri", str(out)).splitlines()
    assert sum('"response"' in line for line in index) == 3 and sum('"request"' in line for line in index) == 3

    stored = _stored(vault)
    written = _responses(out)
    assert set(written) == set(stored) == {server.url("/fd.xml"), server.url("/p/0.html"), server.url("/p/1.html")}
    for url, (digest, payload) in written.items():
        assert payload == stored[url]
        assert digest == payload_digest(hashlib.sha256(stored[url]).hexdigest())
    # The page came gzipped; the store holds it decoded, so the record must not claim gzip.
    with out.open("rb") as stream:
        page = next(
            r
            for r in ArchiveIterator(stream)
            if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI").endswith("0.html")
        )
        assert page.http_headers.get_header("Content-Encoding") is None
        assert page.http_headers.get_header("X-Newsvault-Orig-Content-Encoding") == "gzip"
        assert page.http_headers.get_header("Content-Length") == str(len(stored[server.url("/p/0.html")]))
    # Each request record says what the request went with: the headers the server received, in their order.
    requests = _requests(out)
    assert set(requests) == set(stored)
    for url, (line, headers) in requests.items():
        path = url.removeprefix(server.url(""))
        [hit] = [h for h in server.hits if h.path == path]
        assert line == f"GET {path} HTTP/1.1"
        assert {name.lower(): value for name, value in headers} == hit.headers
        assert ("User-Agent", hit.headers["user-agent"]) in headers and hit.headers["user-agent"].startswith(
            "newsvault"
        )

    again = tmp_path / "again.warc.gz"
    _cli("--vault", str(vault), "export-warc", "--out", str(again))
    assert again.read_bytes() == out.read_bytes()  # deterministic: a re-run publishes nothing new


def test_export_selects_by_outlet_and_day(tmp_path, server):
    vault = _vault(tmp_path, server)
    _cli("--vault", str(vault), "run")
    pages = tmp_path / "pg.warc.gz"
    _cli("--vault", str(vault), "export-warc", "--outlet", "pg", "--out", str(pages))
    assert set(_responses(pages)) == {server.url("/p/0.html"), server.url("/p/1.html")}
    later = tmp_path / "later.warc.gz"
    said = _cli("--vault", str(vault), "export-warc", "--since", "2999-01-01", "--out", str(later))
    assert "nothing written" in said and not later.exists()
    before = tmp_path / "before.warc.gz"
    said = _cli("--vault", str(vault), "export-warc", "--until", "2000-01-01", "--out", str(before))
    assert "nothing written" in said and not before.exists()
    unknown = CliRunner().invoke(cli, ["--vault", str(vault), "export-warc", "--outlet", "nope", "--out", str(later)])
    assert unknown.exit_code == 2 and "no source 'nope'" in unknown.output


@pytest.mark.skipif(shutil.which("wayback", path=str(BIN)) is None, reason="pywb is not installed (the test extra)")
def test_the_article_page_replays_through_pywb(tmp_path, server):
    vault = _vault(tmp_path, server)
    _cli("--vault", str(vault), "run")
    out = tmp_path / "replay.warc.gz"
    _cli("--vault", str(vault), "export-warc", "--out", str(out))
    page_url = server.url("/p/1.html")
    captured = _stored(vault)[page_url]
    server.set("/p/1.html", "<html>changed since</html>")  # the replay must come from the WARC, not the live page

    replayed = replay(tmp_path / "pywb", [out], [page_url, server.url("/p/never.html")])
    status, body = replayed[page_url]
    assert status == 200 and body == captured
    assert "网页正文1：被删之前" in body.decode("utf-8")
    assert replayed[server.url("/p/never.html")][0] == 404  # and what was never captured is not made up


def replay(root: Path, warcs: list[Path], urls: list[str]) -> dict[str, tuple[int, bytes]]:
    """(status, body) of each URL as pywb replays it from `warcs`, in a collection of its own under `root`.

    `id_`: the archived bytes as captured, without pywb's rewriting of links.
    """
    root.mkdir()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    for step in (["wb-manager", "init", "news"], ["wb-manager", "add", "news", *map(str, warcs)]):
        done = subprocess.run(step, cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    port = _free_port()
    wayback = subprocess.Popen(
        ["wayback", "-b", "127.0.0.1", "-p", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60  # a bound on start-up, not a wait for anything to happen
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert wayback.poll() is None, "pywb exited"
                assert time.monotonic() < deadline, "pywb did not start listening"
                time.sleep(0.1)
        return {url: _get(f"http://127.0.0.1:{port}/news/2099id_/{url}") for url in urls}
    finally:
        wayback.terminate()
        wayback.wait(timeout=30)


def test_a_killed_export_leaves_no_file(tmp_path, server):
    vault = _vault(tmp_path, server)
    _cli("--vault", str(vault), "run")
    out = tmp_path / "out" / "killed.warc.gz"
    out.parent.mkdir()
    env = {**os.environ, ENV: "warc.record:2"}
    killed = subprocess.run(
        [NEWSVAULT, "--vault", str(vault), "export-warc", "--out", str(out)], env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()  # only the temporary file, never a WARC that ends mid-record
    assert [p.name.endswith(".tmp") for p in out.parent.iterdir()] == [True]


def test_evidence_is_appended_to_its_remote_and_verified(tmp_path, server):
    remote = bare(tmp_path / "evidence.git")
    vault = _vault(tmp_path, server, evidence=remote)
    said = _cli("--vault", str(vault), "run", "--publish")
    assert "evidence: 3 new capture(s) in 2 WARC file(s)" in said
    first = sorted(files_at(remote, "evidence"))
    assert [p.split("/")[:2] for p in first] == [["warc", "fd"], ["warc", "pg"]]
    assert all(p.endswith(".warc.gz") for p in first)
    _cli("--vault", str(vault), "verify")

    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", "-b", "evidence", str(remote), str(checkout)], check=True)
    for path in first:
        _warcio("check", str(checkout / path))

    # A new article: its page goes out in a new file; no published file is ever rewritten.
    sources = _sources(server, pages=3)
    server.set("/pg.xml", rss(*[rss_item(f"网页{n}", server.url(f"/p/{n}.html")) for n in range(3)]))
    assert sources["pg"]["feed"] == server.url("/pg.xml")
    said = _cli("--vault", str(vault), "run", "--publish")
    assert "evidence: 1 new capture(s) in 1 WARC file(s)" in said
    added = sh(remote, "diff", "--name-status", "evidence~1", "evidence").splitlines()
    assert len(added) == 1 and added[0].startswith("A\twarc/pg/")
    said = _cli("--vault", str(vault), "publish")
    assert "evidence: 0 new capture(s)" in said and "evidence: nothing changed, no commit" in said
    assert log(remote, "evidence")[0].startswith("newsvault evidence: 1 WARC file(s) (pg +1)")
    assert sh(remote, "rev-list", "--merges", "evidence") == ""


def test_tampered_or_forged_evidence_fails_verify(tmp_path, server):
    remote = bare(tmp_path / "evidence.git")
    vault = _vault(tmp_path, server, evidence=remote)
    _cli("--vault", str(vault), "run", "--publish")
    warc = next((vault / "evidence" / "warc" / "pg").rglob("*.warc.gz"))

    members = _members(warc.read_bytes())
    assert any("网页正文0：被删之前".encode() in m for m in members)
    edited = [m.replace("被删之前".encode(), "从未删除".encode()) for m in members]  # same length
    warc.write_bytes(b"".join(gzip.compress(m) for m in edited))
    done = CliRunner().invoke(cli, ["--vault", str(vault), "verify"])
    assert done.exit_code == 1 and "payload does not match its digest" in done.output, done.output

    # A forger who recomputes the digest is caught by the store, which never saw those bytes.
    forged = io.BytesIO()
    writer = _Sha256(forged, gzip=True, warc_version="1.1")
    body = "<html>从未发表的文章</html>".encode()
    headers = StatusAndHeaders("200 OK", [("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            server.url("/p/0.html"),
            "response",
            payload=io.BytesIO(body),
            http_headers=headers,
        )
    )
    warc.write_bytes(forged.getvalue())
    done = CliRunner().invoke(cli, ["--vault", str(vault), "verify"])
    assert done.exit_code == 1 and "no capture in the store has these bytes" in done.output, done.output


class _Sha256(WARCWriter):  # type: ignore[misc]
    """A forger's writer: warcio with the digests newsvault uses, so they match the forged bytes."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def _members(data: bytes) -> list[bytes]:
    """Each gzip member of a WARC.gz, decompressed."""
    out = []
    while data:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out.append(inflate.decompress(data))
        data = inflate.unused_data
    return out


def test_a_publish_killed_mid_warc_publishes_no_half_file_and_the_next_one_completes(tmp_path, server):
    remote = bare(tmp_path / "evidence.git")
    vault = _vault(tmp_path, server, evidence=remote)
    env = {**os.environ, ENV: "warc.record:2"}
    killed = subprocess.run([NEWSVAULT, "--vault", str(vault), "run", "--publish"], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    evidence = vault / "evidence"
    assert not list(evidence.rglob("*.warc.gz")) or all(
        subprocess.run([str(BIN / "warcio"), "check", str(p)], capture_output=True).returncode == 0
        for p in evidence.rglob("*.warc.gz")
    )  # a file that is there is whole
    assert list(evidence.rglob(".*.tmp"))  # the file being written when the kill came
    assert sh(remote, "branch", "--list", "evidence") == ""  # nothing pushed
    found = CliRunner().invoke(cli, ["--vault", str(vault), "verify"])
    assert found.exit_code == 1 and "temporary file of an interrupted write" in found.output

    said = _cli("--vault", str(vault), "publish")
    assert "evidence: 3 new capture(s) in 2 WARC file(s)" in said
    assert not list(evidence.rglob(".*.tmp"))
    published = files_at(remote, "evidence")
    assert len(published) == 2 and all(p.endswith(".warc.gz") for p in published)
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", "-b", "evidence", str(remote), str(checkout)], check=True)
    urls = set()
    for path in published:
        _warcio("check", str(checkout / path))
        urls |= set(_responses(checkout / path))
    assert urls == set(_stored(vault))
    _cli("--vault", str(vault), "verify")


def test_evidence_settings(tmp_path):
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "vault.toml").write_text(
        '[publish]\nevidence_path = "proof"\n[[publish.evidence]]\nurl = "/srv/evidence.git"\nbranch = "evidence"\n',
        "utf-8",
    )
    config = load(vault)
    assert config.publish.evidence[0].branch == "evidence" and config.publish.evidence_path == "proof"
    (vault / "vault.toml").write_text('[archive]\npath = "."\n[publish]\nevidence_path = "articles/x"\n', "utf-8")
    with pytest.raises(ConfigError, match="evidence_path"):
        load(vault)


def test_a_lost_mark_writes_captures_again_but_rewrites_no_published_file(tmp_path, server, monkeypatch):
    remote = bare(tmp_path / "evidence.git")
    vault = _vault(tmp_path, server, evidence=remote)
    _cli("--vault", str(vault), "run", "--publish")
    published = {p: sh(remote, "rev-parse", f"evidence:{p}") for p in files_at(remote, "evidence")}
    _, engine = open_vault(vault)
    with engine.begin() as conn:
        store_sources.drop_meta(conn, MARK)  # as a store rebuilt, or a mark deleted by hand
    _cli("--vault", str(vault), "publish")  # the same captures again: the same names, the same bytes
    assert {p: sh(remote, "rev-parse", f"evidence:{p}") for p in files_at(remote, "evidence")} == published
    monkeypatch.setattr("newsvault.publish.warc.__version__", "99.0")  # a newer newsvault: other warcinfo bytes
    with engine.begin() as conn:
        store_sources.drop_meta(conn, MARK)
    said = _cli("--vault", str(vault), "publish")
    assert "evidence: nothing changed, no commit" in said
    assert "M warc/" in sh(vault / "evidence", "status", "--porcelain")  # written anew here, not committed
    assert {p: sh(remote, "rev-parse", f"evidence:{p}") for p in files_at(remote, "evidence")} == published
    monkeypatch.undo()

    server.set("/pg.xml", rss(*[rss_item(f"网页{n}", server.url(f"/p/{n}.html")) for n in range(3)]))
    _sources(server, pages=3)
    _cli("--vault", str(vault), "run")
    with engine.begin() as conn:
        store_sources.drop_meta(conn, MARK)
    _cli("--vault", str(vault), "publish")  # pg's day again, now with its third page: a new file beside the old
    changed = sh(remote, "diff", "--name-status", "evidence~1", "evidence").splitlines()
    assert len(changed) == 1 and changed[0].startswith("A\twarc/pg/")
    for path, blob in published.items():
        assert sh(remote, "rev-parse", f"evidence:{path}") == blob


def test_odd_captures_export_as_valid_warc_with_nothing_made_up(tmp_path):
    vault = write_vault(tmp_path / "vault", {})
    _, engine = open_vault(vault)
    with engine.begin() as conn:
        captures.store(conn, "http://新闻.example/文章?q=中", 200, {"X-Title": "中文标题"}, "页面".encode(), 1_000)
        captures.store(conn, "http://127.0.0.1/no-status", None, {"Content-Type": "text/plain"}, b"bytes", 2_000)
    out = tmp_path / "odd.warc.gz"
    _cli("--vault", str(vault), "export-warc", "--out", str(out))
    assert _warcio("check", "-v", str(out)).count("digest pass") == 4  # warcinfo, request, response, resource
    with out.open("rb") as stream:
        records = {r.rec_type: (r.rec_headers, r.http_headers, r.raw_stream.read()) for r in ArchiveIterator(stream)}
    request = records["request"][1]
    assert request.protocol == "GET"  # the request line went out in ASCII
    assert request.statusline == "/%E6%96%87%E7%AB%A0?q=%E4%B8%AD HTTP/1.1"
    assert request.headers == [("Host", "xn--efvy88h.example")]  # no request headers kept: Host alone, none made up
    resource_headers, no_http, payload = records["resource"]
    assert resource_headers.get_header("Content-Type") == "text/plain" and no_http is None  # no status invented
    assert payload == b"bytes"
    written = write_evidence(engine, tmp_path / "evidence")
    assert written.counts.captures == 2 and written.files[0].startswith("warc/_other/")  # no outlet to file them under
    assert list(verify_evidence(engine, tmp_path / "evidence")) == []


def test_evidence_that_cannot_be_written_fails_the_publish_and_keeps_the_mark(tmp_path, server):
    remote = bare(tmp_path / "evidence.git")
    vault = _vault(tmp_path, server, evidence=remote)
    config = (vault / "vault.toml").read_text("utf-8").replace("[publish]\n", '[publish]\nevidence_path = "blocker"\n')
    (vault / "vault.toml").write_text(config, "utf-8")
    (vault / "blocker").write_text("a file where the folder should be", "utf-8")
    done = CliRunner().invoke(cli, ["--vault", str(vault), "run", "--publish"])
    assert done.exit_code == 1 and "evidence: FAILED: writing the WARC files:" in done.output, done.output
    assert "Traceback" not in done.output
    (vault / "blocker").unlink()
    said = _cli("--vault", str(vault), "publish")  # nothing was lost: the mark did not move
    assert "evidence: 3 new capture(s) in 2 WARC file(s)" in said


def test_a_capture_a_worker_commits_under_an_id_already_written_is_in_the_next_evidence(tmp_path, pg_url):
    """On PostgreSQL a worker's transaction still open holds capture ids below those another worker has
    committed: the mark was the newest id written, so the first worker's capture never reached the evidence."""
    from newsvault.store import open_store

    engine = open_store(pg_url)
    folder = tmp_path / "evidence"
    with engine.connect() as held:
        with held.begin():  # the first worker's fetch, stored, not committed
            captures.store(held, "http://a.example/1", 200, {}, "甲的页面".encode(), 1_000)
            with engine.begin() as conn:  # the second worker's, committed
                captures.store(conn, "http://b.example/1", 200, {}, "乙的页面".encode(), 2_000)
            assert write_evidence(engine, folder).counts.captures == 1
    assert write_evidence(engine, folder).counts.captures == 1
    assert write_evidence(engine, folder).counts.captures == 0
    written = {url for path in (folder / "warc").rglob("*.warc.gz") for url in _responses(path)}
    assert written == {"http://a.example/1", "http://b.example/1"}
    assert list(verify_evidence(engine, folder)) == []
