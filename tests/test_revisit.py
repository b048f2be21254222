"""A deletion notice served again for another article: kept once, exported as WARC revisit records.

Real re-checks against a local server: article A is redirected to one notice
page (the capture, stored under the notice's URL), later B serves the same
notice at its own URL and C and D are both redirected to the notice page in
the same re-check. The export must say that B's URL (and the notice page,
again) served those bytes then, without a second copy of them: one response,
two revisits (C's and D's fetches of one URL at one time are one). `warcio`
checks the files, pywb replays B's URL from them, `verify` ties each revisit
to the store.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, select
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from newsvault.base.clock import china_day
from newsvault.cli import cli
from newsvault.fetch import Fetcher
from newsvault.publish.warc import payload_digest, record_id, warc_date
from newsvault.schedule import run_once
from newsvault.schedule.recheck import recheck_source
from newsvault.store import statuses
from newsvault.store.engine import _alembic_config
from newsvault.store.schema import articles, captures, sources
from newsvault.store.schema import statuses as statuses_table
from newsvault.store.statuses import MINUTE
from tests.test_publish import bare, files_at
from tests.test_warc import BIN, _cli, _Sha256, _warcio, replay
from tests.vaults import open_vault, rss, rss_item, write_vault

NOTICE = "<html><head><meta charset='utf-8'><title>提示</title></head><body>此内容因违规无法查看</body></html>"
DATE = "Wed, 01 May 2024 12:00:00 GMT"
NAMES = ("a", "b", "c", "d")


def _recheck(config, engine, now):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(allow_private=True) as fetcher:
            return await recheck_source(engine, config.sources["voa"], fetcher, config, now, 50)

    return asyncio.run(go())


def _vault(tmp_path: Path, server, evidence: Path | None = None):  # type: ignore[no-untyped-def]
    """Four live articles, stored; (config, engine, links, first seen)."""
    links = {n: server.set(f"/a/{n}.html", f"<html><title>{n}</title><body>正文{n}</body></html>") for n in NAMES}
    items = [rss_item(n, link, DATE, f"<p>{n}</p>") for n, link in links.items()]
    vault = write_vault(tmp_path / "vault", {"voa": {"feed": server.set("/f.xml", rss(*items))}})
    if evidence is not None:
        with (vault / "vault.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[publish]\nretries = 0\n[[publish.evidence]]\nurl = "{evidence}"\nbranch = "evidence"\n')
    config, engine = open_vault(vault)
    run_once(config, engine)
    with engine.connect() as conn:
        first_seen = conn.execute(select(articles.c.first_seen_ms)).scalars().first()
    return vault, config, engine, links, first_seen


def _notice_a(server, config, engine, first_seen):  # type: ignore[no-untyped-def]
    server.set("/notice.html", NOTICE, headers={"Content-Type": "text/html; charset=utf-8", "X-Served": "notice"})
    server.set("/a/a.html", "", status=302, headers={"Location": "/notice.html"})
    assert _recheck(config, engine, first_seen + 20 * MINUTE).censored == 1


def _notice_bcd(server, config, engine, first_seen):  # type: ignore[no-untyped-def]
    server.set("/a/b.html", NOTICE, headers={"Content-Type": "text/html; charset=utf-8", "X-Served": "b"})
    for n in ("c", "d"):
        server.set(f"/a/{n}.html", "", status=301, headers={"Location": "/notice.html"})
    assert _recheck(config, engine, first_seen + 40 * MINUTE).censored == 4  # A's notice, again, too


def _records(path: Path) -> list[tuple[str, dict[str, str], StatusAndHeaders | None, bytes]]:
    with path.open("rb") as stream:
        return [
            (r.rec_type, dict(r.rec_headers.headers), r.http_headers, r.raw_stream.read())
            for r in ArchiveIterator(stream)
        ]


def test_statuses_keep_the_capture_and_how_it_was_served(tmp_path, server):
    _, config, engine, links, first_seen = _vault(tmp_path, server)
    _notice_a(server, config, engine, first_seen)
    _notice_bcd(server, config, engine, first_seen)
    with engine.connect() as conn:
        rows = {
            n: statuses.history(conn, conn.execute(select(articles.c.id).where(articles.c.link == link)).scalar_one())
            for n, link in links.items()
        }
        revisits = list(statuses.revisits(conn))
    notice = server.url("/notice.html")
    assert {n: [(r["status"], r["url"], r["http_status"]) for r in h] for n, h in rows.items()} == {
        "a": [("censored", notice, 200)],  # A's re-check at +40 min found the same notice: no new row
        "b": [("censored", links["b"], 200)],
        "c": [("censored", notice, 200)],
        "d": [("censored", notice, 200)],
    }
    assert len({h[0]["capture_id"] for h in rows.values()}) == 1  # one capture of the notice, for all four
    assert '"X-Served": "b"' in rows["b"][0]["headers"]
    # A's fetch is the capture itself; C's and D's are one fetch of one URL at one time: one revisit.
    assert [(r["url"], r["fetched_ms"], r["refers_url"], r["refers_ms"]) for r in revisits] == [
        (links["b"], first_seen + 40 * MINUTE, notice, first_seen + 20 * MINUTE),
        (notice, first_seen + 40 * MINUTE, notice, first_seen + 20 * MINUTE),
    ]


def test_export_has_one_response_and_revisits_that_check_and_replay(tmp_path, server):
    vault, config, engine, links, first_seen = _vault(tmp_path, server)
    _notice_a(server, config, engine, first_seen)
    _notice_bcd(server, config, engine, first_seen)
    out = tmp_path / "all.warc.gz"
    said = _cli("--vault", str(vault), "export-warc", "--out", str(out))
    assert "export-warc: 2 capture(s), 2 revisit(s), 9 record(s)" in said  # warcinfo, 2 × (2 + 2)

    records = _records(out)
    digest = payload_digest(hashlib.sha256(NOTICE.encode()).hexdigest())
    notice = server.url("/notice.html")
    responses = [h for kind, h, _, _ in records if kind == "response" and h["WARC-Payload-Digest"] == digest]
    assert len(responses) == 1 and responses[0]["WARC-Target-URI"] == notice
    revisits = [(h, http, body) for kind, h, http, body in records if kind == "revisit"]
    assert [h["WARC-Target-URI"] for h, _, _ in revisits] == [links["b"], notice]
    for h, http, body in revisits:
        assert h["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        assert h["WARC-Payload-Digest"] == digest
        assert h["WARC-Refers-To"] == responses[0]["WARC-Record-ID"]
        assert h["WARC-Refers-To-Target-URI"] == notice
        assert h["WARC-Refers-To-Date"] == responses[0]["WARC-Date"] != h["WARC-Date"]
        assert http is not None and http.get_statuscode() == "200" and body == b""  # headers as served, no payload
    assert revisits[0][1].get_header("X-Served") == "b" and revisits[1][1].get_header("X-Served") == "notice"
    requests = [(h, http) for kind, h, http, _ in records if kind == "request"]
    assert {h["WARC-Concurrent-To"] for h, _ in requests} >= {h["WARC-Record-ID"] for h, _, _ in revisits}
    for _, http in requests:  # each fetch's own request, as the re-check sent it
        assert http is not None and http.get_header("User-Agent", "").startswith("newsvault")

    checked = _warcio("check", "-v", str(out))
    assert "fail" not in checked and checked.count("digest pass") == 7  # warcinfo, requests, responses
    assert checked.count("(revisit)") == 2  # warcio checks no digest of a record without a payload
    index = _warcio("index", "-f", "warc-type,warc-target-uri", str(out))
    assert index.count('"revisit"') == 2 and index.count('"response"') == 2

    again = tmp_path / "again.warc.gz"
    _cli("--vault", str(vault), "export-warc", "--out", str(again))
    assert again.read_bytes() == out.read_bytes()  # the same rows, the same bytes

    if shutil.which("wayback", path=str(BIN)) is None:
        pytest.skip("pywb is not installed (the test extra)")
    server.set("/a/b.html", "<html>live again, something else</html>")  # the replay must come from the WARC
    replayed = replay(tmp_path / "pywb", [out], [links["b"], notice])
    assert replayed[links["b"]] == (200, NOTICE.encode())  # B's URL, the bytes stored once under the notice's
    assert replayed[notice] == (200, NOTICE.encode())


def test_evidence_writes_each_revisit_once_and_verify_ties_it_to_the_store(tmp_path, server):
    remote = bare(tmp_path / "evidence.git")
    vault, config, engine, links, first_seen = _vault(tmp_path, server, evidence=remote)
    _notice_a(server, config, engine, first_seen)
    # A WARC file per outlet and China day: a test run near midnight (UTC+8) files the two captures apart.
    with engine.connect() as conn:
        days = {china_day(ms) for ms in conn.execute(select(captures.c.fetched_ms)).scalars()}
    said = _cli("--vault", str(vault), "publish")
    assert f"evidence: 2 new capture(s) in {len(days)} WARC file(s)" in said  # the feed and the notice; no revisit
    _notice_bcd(server, config, engine, first_seen)
    said = _cli("--vault", str(vault), "publish")
    assert "evidence: 0 new capture(s), 2 revisit(s) in 1 WARC file(s)" in said  # both seen at one time
    said = _cli("--vault", str(vault), "publish")
    assert "evidence: 0 new capture(s) in 0 WARC file(s)" in said
    _cli("--vault", str(vault), "render")  # the re-checks ran outside `run`: the lists of deletions are due
    _cli("--vault", str(vault), "verify")

    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", "-b", "evidence", str(remote), str(checkout)], check=True)
    published = sorted(checkout / p for p in files_at(remote, "evidence"))
    assert len(published) == len(days) + 1
    kinds: list[tuple[str, str]] = []
    for path in published:
        _warcio("check", str(path))
        kinds += [(kind, h["WARC-Target-URI"]) for kind, h, _, _ in _records(path) if kind in ("response", "revisit")]
    notice = server.url("/notice.html")
    assert sorted(kinds) == sorted(
        [("response", server.url("/f.xml")), ("response", notice), ("revisit", links["b"]), ("revisit", notice)]
    )

    # A revisit no status saw (C's URL never served the notice itself) fails verify, digest and all.
    revisit_file = next(
        p
        for p in (vault / "evidence" / "warc").rglob("*.warc.gz")
        if b"WARC-Type: revisit" in gzip.decompress(p.read_bytes())
    )
    forged = io.BytesIO()
    writer = _Sha256(forged, gzip=True, warc_version="1.1")
    sha = hashlib.sha256(NOTICE.encode()).hexdigest()
    with engine.connect() as conn:
        refers = next(statuses.revisits(conn))
    writer.write_record(
        writer.create_revisit_record(
            links["c"],
            payload_digest(sha),
            refers["refers_url"],
            warc_date(refers["refers_ms"]),
            warc_headers_dict={"WARC-Refers-To": record_id(sha, "response")},
        )
    )
    revisit_file.write_bytes(forged.getvalue())
    done = CliRunner().invoke(cli, ["--vault", str(vault), "verify"])
    assert done.exit_code == 1 and "no status in the store saw these bytes served there then" in done.output


def test_old_statuses_stay_null_after_the_migration_and_export_as_before(tmp_path, pg_url_or_sqlite):
    url = pg_url_or_sqlite(tmp_path)
    engine = create_engine(url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0014")
        conn.execute(sources.insert().values(abbr="voa", name="美国之音"))
        conn.execute(
            articles.insert().values(
                id=1,
                source="voa",
                archive_id=1,
                link="https://a.example/1",
                title="一",
                first_seen_ms=1,
                last_seen_ms=1,
            )
        )
        conn.execute(
            statuses_table.insert().values(
                article_id=1, seen_ms=2, status="censored", detail="the page says “内容已被删除”"
            )
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        row = conn.execute(select(statuses_table)).mappings().one()
        assert (row["capture_id"], row["url"], row["http_status"], row["headers"]) == (None, None, None, None)
        assert row["detail"] == "the page says “内容已被删除”"
        assert list(statuses.revisits(conn)) == []  # nothing made up for it
    engine.dispose()


@pytest.fixture
def pg_url_or_sqlite(request):  # type: ignore[no-untyped-def]
    """The store the run tests: a fresh PostgreSQL database with --store=postgresql, else a SQLite file."""
    if request.config.getoption("--store", default="sqlite") == "postgresql":
        return lambda _tmp: request.getfixturevalue("pg_url")
    return lambda tmp: f"sqlite:///{tmp / 'store.db'}"


def _digests(folder: Path) -> tuple[set[str], set[str]]:
    """The payload digests of the folder's response records and of its revisit records."""
    found: dict[str, set[str]] = {"response": set(), "revisit": set()}
    for path in folder.rglob("*.warc.gz"):
        for kind, headers, _, _ in _records(path):
            if kind in found:
                found[kind].add(headers["WARC-Payload-Digest"])
    return found["response"], found["revisit"]


def test_a_revisit_committed_while_evidence_takes_its_marks_is_never_written_before_its_capture(
    tmp_path, server, monkeypatch
):
    """Evidence reads two marks, the statuses' and the captures'. A re-check that commits a notice's capture
    and a revisit of it (another URL served the same bytes) between the two reads must leave the revisit
    for the next publish rather than write it ahead of its capture: whichever mark is read first, the
    commit comes right after it."""
    from newsvault.publish.evidence import write_evidence
    from newsvault.store import captures as store_captures

    _, _, engine, links, first_seen = _vault(tmp_path, server)
    folder = tmp_path / "evidence"
    with engine.connect() as conn:
        ids = {n: conn.execute(select(articles.c.id).where(articles.c.link == links[n])).scalar_one() for n in "ab"}
    notice_url, seen = server.url("/notice.html"), first_seen + 20 * MINUTE
    committed: list[int] = []

    def then_a_recheck_commits(read):  # type: ignore[no-untyped-def]
        def mark(conn):  # type: ignore[no-untyped-def]
            taken = read(conn)
            if not committed:
                with engine.begin() as other:  # A redirected to the notice; B's own URL serves it too
                    notice = store_captures.store(other, notice_url, 200, {}, NOTICE.encode(), seen)
                    statuses.record(other, ids["a"], "censored", seen, served=(notice, notice_url, 200, {}, {}))
                    statuses.record(other, ids["b"], "censored", seen, served=(notice, links["b"], 200, {}, {}))
                committed.append(notice)
            return taken

        return mark

    monkeypatch.setattr(statuses, "mark", then_a_recheck_commits(statuses.mark))
    monkeypatch.setattr(store_captures, "mark", then_a_recheck_commits(store_captures.mark))
    written = []
    for _ in range(2):
        write_evidence(engine, folder)
        responses, revisits = _digests(folder)
        assert revisits <= responses  # every revisit's payload is in a response record already written
        written.append(len(revisits))
    assert committed and written == [0, 1]  # the revisit came with the next publish
