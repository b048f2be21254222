"""Hostile words at the edges (issue 13): terminals, the reader's numbers and links, a full disk.

Every source here is served from 127.0.0.1 beside a good one, and each test
ends by checking that the good source's articles are archived and that
`newsvault verify` passes. Output is read from the real command in a
subprocess, both piped (cron) and on a pseudo-terminal (rich's table and
spinner), since the two take different paths through rich.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from starlette.testclient import TestClient

from newsvault.cli import cli
from newsvault.cli.terminal import json_line, visible, visible_lines
from newsvault.search import update_index
from newsvault.web import create_app
from tests.support.raw_server import RawServer
from tests.support.server import LocalServer
from tests.vaults import open_vault, rss, rss_item, write_vault

EXE = str(Path(sys.executable).with_name("newsvault"))
DATE = "Wed, 01 May 2024 12:00:00 GMT"
# The red team's title: retitles the window, rings the bell, clears the screen and forges a summary line.
FORGED = "\u001b]0;PWNED\u0007\u001b[2J\ngood: new 99, ok"
TITLE = FORGED + " [red]x[/red] :warning: \u202eevil\u2028end"
REASON = b"\x1b]0;PWNED\x07\x1b[2J\x1b[31mFAKE"
RAW_BYTES = (b"\x07", b"\x1b]", b"\x1b[2J", b"\x1b[31mFAKE", "\u202e".encode(), "\u2028".encode())


def _good(server: LocalServer, n: int = 2, body: str = "<p>正文</p>") -> str:
    items = [rss_item(f"好消息{i}", f"https://a.example/{i}", DATE, body) for i in range(n)]
    return server.set("/good.xml", rss(*items))


def piped(*args: str) -> subprocess.CompletedProcess[bytes]:
    """The command as cron runs it: stdout and stderr are pipes."""
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([EXE, *args], capture_output=True, env=env, timeout=180)


def on_pty(*args: str) -> tuple[int, bytes]:
    """The command on a pseudo-terminal 250 columns wide: rich draws its table and spinner."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")} | {"TERM": "xterm-256color"}
    proc = subprocess.Popen([EXE, *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 180)
            if not ready:
                proc.kill()
                raise AssertionError(f"{args} hung on the terminal; so far: {out!r}")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    return proc.wait(30), out


def assert_nothing_raw(out: bytes) -> None:
    """No control sequence, bidi override or forged line of the hostile source reached the output."""
    for raw in RAW_BYTES:
        assert raw not in out, (raw, out)
    for line in out.replace(b"\r", b"\n").split(b"\n"):
        assert not line.startswith(b"good: new 99"), out


def both(*args: str) -> list[bytes]:
    """Output of the command piped and on a terminal, each checked for raw hostile bytes."""
    done = piped(*args)
    code, terminal = on_pty(*args)
    assert code == done.returncode, (done, terminal)
    outputs = [done.stdout + done.stderr, terminal]
    for out in outputs:
        assert_nothing_raw(out)
    return outputs


def assert_verified(vault: Path) -> None:
    done = piped("--vault", str(vault), "verify")
    assert done.returncode == 0, done.stdout + done.stderr


# -- the escaping helper itself -------------------------------------------------------


def test_visible_spells_out_what_a_terminal_would_act_on() -> None:
    assert visible(FORGED) == "\\x1b]0;PWNED\\x07\\x1b[2J\\ngood: new 99, ok"
    assert visible("a\tb\rc\x7fd\x9be\u202ef\u2028g\u2029h\u2066i\udcff") == (
        "a\\tb\\rc\\x7fd\\x9be\\u202ef\\u2028g\\u2029h\\u2066i\\udcff"
    )
    assert visible("中国数字时代 «CDT» [red]x[/red] C:\\temp 👍🏽") == "中国数字时代 «CDT» [red]x[/red] C:\\temp 👍🏽"
    assert visible_lines("一\n二\x1b[2J") == "一\n二\\x1b[2J"
    value = {"title": TITLE + "\x85\udcff", "n": 1}
    line = json_line(value)
    assert json.loads(line) == value and "\n" not in line
    assert not any(c in line for c in "\x1b\x07\x85\u202e\u2028")


# -- item 3 and 4: titles and servers' words on the terminal --------------------------------


@pytest.fixture
def hostile_vault(tmp_path: Path, server: LocalServer) -> Iterator[tuple[Path, RawServer]]:
    """A vault whose first run met a hostile JSON Feed title, hostile reason phrases and a lying Content-Length."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "evil",
        "items": [{"id": "1", "url": "https://e.example/1", "title": TITLE, "date_published": "2024-05-01T12:00:00Z"}],
    }
    evil = server.set("/evil.json", json.dumps(feed), headers={"Content-Type": "application/feed+json"})
    with RawServer() as raw:
        sources = {
            "evil": {"name": "Evil", "feed": evil},
            "reason": {"name": "Reason", "feed": raw.set("/599", b"HTTP/1.1 599 " + REASON + b"\r\n\r\n")},
            "markup": {
                "name": "Markup",
                "feed": raw.set("/598", b"HTTP/1.1 598 [red]FAKE[/red] :warning:\r\nContent-Length: 0\r\n\r\n"),
            },
            "short": {
                "name": "Short",
                "feed": raw.set("/short", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + REASON * 1000),
            },
            "good": {"name": "Good", "feed": _good(server)},
        }
        yield write_vault(tmp_path / "vault", sources), raw


def test_run_prints_titles_and_reason_phrases_escaped(hostile_vault: tuple[Path, RawServer]) -> None:
    vault, _ = hostile_vault
    first = piped("--vault", str(vault), "run")
    assert first.returncode == 1
    code, terminal = on_pty("--vault", str(vault), "run")
    assert code == 1
    for out in (first.stdout + first.stderr, terminal):
        assert_nothing_raw(out)
        assert b"Traceback" not in out
        assert b"\\x1b]0;PWNED\\x07\\x1b[2J" in out  # the title's start, in the item's problem line
        assert b"HTTP 599 \\x1b]0;PWNED\\x07\\x1b[2J\\x1b[31mFAKE" in out
        assert b"HTTP 598 [red]FAKE[/red] :warning:" in out  # not read as rich markup or an emoji code
    assert b"good: new 2, updated 0, unchanged 0: ok" in first.stdout
    assert "✓ good (Good): ok".encode() in terminal
    assert_verified(vault)


def test_error_messages_quote_a_short_prefix_of_the_servers_bytes(hostile_vault: tuple[Path, RawServer]) -> None:
    vault, _ = hostile_vault
    out = piped("--vault", str(vault), "run").stdout.decode()
    line = next(x for x in out.splitlines() if x.startswith("short:"))
    assert "invalid HTTP response" in line and line.endswith("…)")
    assert len(line) < 450, line  # the server sent 16 KB after its 5 promised bytes
    assert_verified(vault)


def json_lines(*args: str) -> list[Any]:
    """The objects a --json command printed, after checking its bytes hold nothing raw."""
    done = piped(*args)
    assert_nothing_raw(done.stdout)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_command_prints_stored_titles_escaped(hostile_vault: tuple[Path, RawServer], server: LocalServer) -> None:
    vault, _ = hostile_vault
    piped("--vault", str(vault), "run")
    listing = both("--vault", str(vault), "articles")
    for out in listing:
        evil = next(x for x in out.splitlines() if x.startswith(b"articles/evil/"))
        assert evil.split(b"\t")[1].startswith(b"\\x1b]0;PWNED\\x07\\x1b[2J good: new 99")
        assert b"\\u202eevil end" in evil  # the title's lines, U+2028 too, joined by spaces as in the lists
    rows = json_lines("--vault", str(vault), "articles", "--json")
    (evil_row,) = [r for r in rows if r["abbr"] == "evil"]
    assert evil_row["title"] == TITLE  # JSON escapes change nothing for a program
    found = both("--vault", str(vault), "search", "PWNED")
    assert all(b"evil/" in out and b"\\x1b]0;" in out and b":warning: \\u202e" in out for out in found)
    assert [hit["title"] for hit in json_lines("--vault", str(vault), "search", "--json", "PWNED")] == [TITLE]
    history = both("--vault", str(vault), "history", f"evil/{evil_row['id']}", "--diff")
    assert all(b"\\x1b]0;PWNED" in out for out in history)
    (kept,) = json_lines("--vault", str(vault), "history", "--json", f"evil/{evil_row['id']}")
    assert [v["title"] for v in kept["versions"]] == [TITLE]
    status = both("--vault", str(vault), "status")
    assert all(b"reason" in out for out in status)
    (health,) = json_lines("--vault", str(vault), "status", "--json")
    assert any(h["last_error"] == f"HTTP 599 {REASON.decode()}" for h in health["sources"])
    page = server.set(
        "/page.html",
        f"<html><head><title>{FORGED}</title></head><body><article><p>第一段\u001b[2J\u0007\u202e</p></article></body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    rule = both("test-rule", "--page", page)
    # A page loses what XML forbids (ESC, BEL) as it is parsed (docs/EXTRACTION.md); the rest forges no line:
    # the title's newline is a space, the bidi control shown escaped.
    unforged = "]0;PWNED[2J good: new 99, ok"
    assert all(f"title:  {unforged}".encode() in out and b"[2J\\u202e" in out and b"\x1b" not in out for out in rule)
    assert json_lines("test-rule", "--page", page, "--json")[0]["title"] == unforged
    assert_verified(vault)


# -- item 10: the reader ---------------------------------------------------------------------


BAD_LINKS = [
    "javascript:alert(1)",
    " JavaScript:alert(2)",
    "java\tscript:alert(3)",
    "data:text/html,<script>alert(4)</script>",
    "vbscript:msgbox(5)",
    "\x01javascript:alert(6)",
]


def _reader(tmp_path: Path, server: LocalServer):  # type: ignore[no-untyped-def]
    """A reader over a vault that archived a good source and one whose items link javascript:, data: and more."""
    bad_links = BAD_LINKS
    items = [
        {"id": str(i), "url": link, "title": f"坏链接{i}", "content_html": "<p>正文</p>"}
        for i, link in enumerate(bad_links)
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "links", "items": items}
    links = server.set("/links.json", json.dumps(feed), headers={"Content-Type": "application/feed+json"})
    vault = write_vault(
        tmp_path / "vault", {"links": {"name": "Links", "feed": links}, "good": {"name": "Good", "feed": _good(server)}}
    )
    done = piped("--vault", str(vault), "run")
    assert b"good: new 2, updated 0, unchanged 0: ok" in done.stdout, done.stdout + done.stderr
    assert_verified(vault)
    config, engine = open_vault(vault)
    update_index(engine)
    return create_app(config, engine), len(bad_links)


def test_reader_answers_400_for_numbers_it_cannot_hold(tmp_path: Path, server: LocalServer) -> None:
    app, _ = _reader(tmp_path, server)
    client = TestClient(app, raise_server_exceptions=False)
    huge = "9" * 30
    endless = "9" * 5000  # past the 4,300 digits Python's int() reads: a ValueError, which was a 500
    for path in (
        f"/search?q=a&page={endless}",
        f"/new?page={endless}",
        f"/a/good/{endless}",
        f"/a/good/{endless}/versions",
        f"/search?q=a&page={huge}",
        f"/search?q=好消息&page={huge}",
        f"/new?page={huge}",
        f"/new?source=good&page={huge}",
        "/new?page=-1",
        "/new?page=1e3",
        "/new?page=%EF%BC%91",  # a full-width digit one
        "/search?q=a&page=abc",
        "/search?q=a&since=2024-13-01",
        "/search?q=a&since=99999999999",
        f"/a/good/{huge}",
        f"/a/good/{huge}/versions",
        f"/a/good/{2**63}",
    ):
        response = client.get(path)
        assert response.status_code == 400, (path, response.status_code, response.text[-300:])
        assert "无效" in response.text and "Content-Security-Policy" in response.headers
    assert client.get(f"/a/good/{2**63 - 1}").status_code == 404
    assert client.get("/a/good/abc").status_code == client.get("/a/good/１２").status_code == 404  # not a number
    assert client.get("/new?page=1000000").status_code == 200
    assert client.get("/search?q=好消息&page=0&since=2024-01-01").status_code == 200
    assert "/a/good/1048574" in client.get("/search?q=好消息&since=").text


def test_reader_writes_no_link_that_could_run_anything(tmp_path: Path, server: LocalServer) -> None:
    """Items with such links are refused when read; rows stored before that rule still get no link."""
    import sqlalchemy as sa

    from newsvault.store.schema import articles

    app, count = _reader(tmp_path, server)
    _, engine = open_vault(tmp_path / "vault")
    with engine.begin() as conn:
        refused = conn.execute(sa.select(sa.func.count()).where(articles.c.source == "links")).scalar()
        assert refused == 0  # identify takes http(s) item links only
        stored = conn.execute(sa.select(articles.c.id).where(articles.c.archive_id == 1048574)).scalar_one()
    client = TestClient(app)
    for bad in BAD_LINKS:  # as an older newsvault may have stored them
        with engine.begin() as conn:
            conn.execute(sa.update(articles).where(articles.c.id == stored).values(link=bad))
        page = client.get("/a/good/1048574")
        assert page.status_code == 200
        lowered = page.text.lower()
        assert "script:" not in lowered and "data:text" not in lowered and "原文</a>" not in page.text
    good = client.get("/a/good/1048573").text
    assert 'href="https://a.example/' in good and "原文</a>" in good
    assert count == len(BAD_LINKS)


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    """GET `path` byte for byte as given (an HTTP client would normalise the dot segments away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


@pytest.fixture
def served_reader(tmp_path: Path, server: LocalServer) -> Iterator[int]:
    """The reader on a real uvicorn server on 127.0.0.1; yields its port."""
    app, _ = _reader(tmp_path, server)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    uv.should_exit = True
    thread.join(10)


def test_reader_paths_never_leave_the_store_or_the_static_folder(served_reader: int) -> None:
    assert _raw_get(served_reader, "/static/reader.css")[0] == 200
    assert _raw_get(served_reader, "/a/good/1048574")[0] == 200
    for path in (
        "/a/../../etc/passwd",
        "/a/%2e%2e/%2e%2e/etc/passwd",
        "/a/good/..%2f..%2f..%2fetc%2fpasswd",
        "/static/../../../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "/static/..%5c..%5c..%5cetc%5cpasswd",
        "/static/....//....//....//etc/passwd",
        "/static//etc/passwd",
        "/static/%00/etc/passwd",
        "//etc/passwd",
    ):
        status, answer = _raw_get(served_reader, path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in answer, path


SEARCH_SYNTAX = (
    *('"', '"好消息', "*", "好*", "NEAR", "NEAR(好消息 正文)", "a AND", "AND", "OR NOT", "(", ")", "好消息)"),
    *("title:好消息", ":", "^", "^好消息", "{title body}: x", "-好", "+", "'", "\\", "\x00", "好消息 " * 200),
)


def test_search_syntax_characters_are_words_not_errors(tmp_path: Path, server: LocalServer) -> None:
    """FTS5 operators in a query are searched for as text: never an SQLite syntax error (500 or traceback)."""
    app, _ = _reader(tmp_path, server)
    client = TestClient(app)
    for query in SEARCH_SYNTAX:
        page = client.get("/search", params={"q": query})
        assert page.status_code == 200, (query, page.text[-300:])
        done = CliRunner().invoke(cli, ["--vault", str(tmp_path / "vault"), "search", "--", query])
        # Found or not (0, 1), or nothing but punctuation to search for (2, said so): never a traceback.
        said = done.exit_code == 2 and "nothing to search for" in done.output
        assert done.exit_code in (0, 1) or said, (query, done.output)
        assert not isinstance(done.exception, Exception) or said, (query, done.output)
    for query in ('"好消息', "好消息)", "^好消息", "好消息 " * 200):  # the operator is punctuation: the words are found
        assert "/a/good/1048574" in client.get("/search", params={"q": query}).text, query


# -- a full disk --------------------------------------------------------------------------------


@contextmanager
def _small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder`; skips where mounting is not permitted (not root, no CAP_SYS_ADMIN)."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a small tmpfs for the full-disk test: {mounted.stderr.strip() or mounted.returncode}"
        )
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """The vault's archive folder on a 1 MB file system of its own."""
    with _small_disk(tmp_path / "vault" / "archive", "1m") as folder:
        yield folder


def _fill(folder: Path) -> Path:
    """Write zeros into `folder` until its file system refuses: the disk is full."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(bytes(4096))
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_is_one_line_and_the_next_run_completes(
    tmp_path: Path, server: LocalServer, small_disk: Path
) -> None:
    bodies = "<p>" + "中文正文。" * 200 + "</p>"
    good = _good(server, n=30, body=bodies)
    other = server.set(
        "/other.xml", rss(*(rss_item(f"别的{i}", f"https://b.example/{i}", DATE, bodies) for i in range(5)))
    )
    vault = write_vault(
        tmp_path / "vault", {"good": {"name": "Good", "feed": good}, "other": {"name": "O", "feed": other}}
    )
    filler = _fill(small_disk)

    full = piped("--vault", str(vault), "run")
    out = (full.stdout + full.stderr).decode()
    assert full.returncode == 1, out
    assert "Traceback" not in out and "Errno" not in out
    assert "good: new 30, updated 0, unchanged 0: ok" in out and "other: new 5, updated 0, unchanged 0: ok" in out
    errors = [line for line in out.splitlines() if line.startswith("ERROR:")]
    assert errors == [
        f"ERROR: render: disk full at {small_disk}: nothing stored is lost; "
        "free some space, then the next `newsvault run` (or `newsvault render`) writes the rest"
    ]
    code, terminal = on_pty("--vault", str(vault), "run")  # still full: the table, then the same line
    assert code == 1 and b"ERROR: render: disk full at" in terminal and b"Traceback" not in terminal
    rendered = piped("--vault", str(vault), "render")
    assert rendered.returncode == 1 and rendered.stdout.decode().startswith("ERROR: render: disk full at")

    filler.unlink()
    again = piped("--vault", str(vault), "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert b"good: new 0, updated 0, unchanged 30: ok" in again.stdout
    assert_verified(vault)
    listed = piped("--vault", str(vault), "articles").stdout.decode().splitlines()
    titles = sorted(line.split("\t")[1] for line in listed)
    assert titles == sorted([f"好消息{i}" for i in range(30)] + [f"别的{i}" for i in range(5)])
    files = [p for p in (small_disk / "articles").rglob("*.md")]
    assert len(files) == 35 and not list(small_disk.rglob(".*.tmp"))


@pytest.mark.sqlite_only("the store must live on the small file system the test fills")
def test_a_full_disk_under_the_store_is_one_line_per_source(tmp_path: Path, server: LocalServer) -> None:
    """Store and tree on one small file system that fills while a big feed is stored: its transaction is undone."""
    small = [rss_item(f"好消息{i}", f"https://a.example/{i}", DATE, "<p>正文</p>") for i in range(6)]
    with _small_disk(tmp_path / "vault", "16m") as vault:
        write_vault(
            vault,
            {
                "good": {"name": "Good", "feed": server.set("/good.xml", rss(*small[:3]))},
                "big": {"name": "Big", "feed": server.set("/big.xml", rss())},
            },
        )
        assert piped("--vault", str(vault), "run").returncode == 0
        server.set("/good.xml", rss(*small))
        hex_bodies = (rss_item(f"大{i}", f"https://b.example/{i}", DATE, os.urandom(2500).hex()) for i in range(60))
        server.set("/big.xml", rss(*hex_bodies))
        filler = _fill(vault)
        os.truncate(filler, filler.stat().st_size - 300_000)  # room to open the store, not to store the big feed

        full = piped("--vault", str(vault), "run")
        out = (full.stdout + full.stderr).decode()
        assert full.returncode == 1 and "Traceback" not in out, out
        assert "good: new 3, updated 0, unchanged 3: ok" in out
        assert "big: new 0, updated 0, unchanged 0: ERROR: the store's disk is full: free some space" in out
        # The search index's folder (search-index/, beside the store) is on the same full disk: one line of its own.
        expected = ("good: ", "big: ", "ERROR: render: disk full", "ERROR: search index: ")
        assert all(line.startswith(expected) for line in out.splitlines())

        filler.unlink()
        again = piped("--vault", str(vault), "run")
        assert again.returncode == 0, again.stdout + again.stderr
        assert b"big: new 60, updated 0, unchanged 0: ok" in again.stdout
        assert_verified(vault)
        listed = piped("--vault", str(vault), "articles").stdout.decode().splitlines()
        assert sorted(line.split("\t")[1] for line in listed) == sorted(
            [f"好消息{i}" for i in range(6)] + [f"大{i}" for i in range(60)]
        )
