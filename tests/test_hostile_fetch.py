"""Issue 13's held cases, kept held in real runs: bombs, slow drip, redirects, private addresses, image paths.

Each hostile source is polled by `run_once` beside a good one, all served from
127.0.0.1; the good source's articles must be archived and `verify` must find
nothing wrong. The address-guard cases also prove that nothing was connected
to: an audit hook sees every `socket.connect` of the process while they run,
and refuses any connection to a non-loopback address, so a broken guard could
never send traffic off this machine.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import ipaddress
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsvault.fetch import Fetcher, FetchError, Request
from newsvault.render.verify import verify
from newsvault.schedule import RunReport, run_once
from tests.support.server import LocalServer, Route
from tests.vaults import open_vault, rss, rss_item, write_vault

DATE = "Wed, 01 May 2024 12:00:00 GMT"
BOMB = 110 * 1024 * 1024  # zeros: past the 100 MB a feed may decompress to
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))

_WATCH: dict[str, list[Any]] = {}  # "connects": addresses connected to while a test watches


def _audit(event: str, args: tuple[Any, ...]) -> None:
    connects = _WATCH.get("connects")
    if event != "socket.connect" or connects is None:
        return
    address = args[1]
    connects.append(address)
    if isinstance(address, tuple) and not ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback:
        raise PermissionError(f"the test refuses a connection off this machine: {address}")


@pytest.fixture
def connects() -> Iterator[list[Any]]:
    """Every address this process connects to during the test (non-loopback ones are refused)."""
    if "hooked" not in _WATCH:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: it stays, idle, for the session
        _WATCH["hooked"] = []
    _WATCH["connects"] = []
    try:
        yield _WATCH["connects"]
    finally:
        del _WATCH["connects"]


def _run(
    tmp_path: Path,
    server: LocalServer,
    hostile: dict[str, dict[str, object]],
    *,
    allow_private: bool = True,
    extra: str = "",
    timeout: float = 3.0,
) -> RunReport:
    """Poll the hostile sources beside a good one; check the good one is archived and the tree verifies."""
    items = (rss_item(f"好{i}", f"https://a.example/{i}", DATE, "<p>正文</p>") for i in range(3))
    good = {"name": "Good", "feed": server.set("/good.xml", rss(*items))}
    sources = {abbr: {"name": abbr, **keys} for abbr, keys in hostile.items()}
    directory = write_vault(tmp_path / "vault", {**sources, "good": good}, timeout=timeout)
    toml = directory / "vault.toml"
    text = toml.read_text("utf-8").replace("allow_private = true", f"allow_private = {str(allow_private).lower()}")
    toml.write_text(text + extra, "utf-8")
    config, engine = open_vault(directory)
    report = run_once(config, engine)
    by = {r.abbr: r for r in report.sources}
    assert by["good"].new == 3 and not by["good"].failed, by["good"]
    assert len(list((config.archive / "articles" / "good").glob("*.md"))) == 3
    assert list(verify(engine, config)) == []
    return report


def _errors(report: RunReport) -> dict[str, str | None]:
    return {r.abbr: None if r.error is None else str(r.error) for r in report.sources}


def _bomb(wbits: int) -> bytes:
    """BOMB zeros compressed a megabyte at a time: gzip (31), zlib-wrapped deflate (15) or raw deflate (-15)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(1024 * 1024)
    return b"".join(squeezer.compress(zeros) for _ in range(BOMB // len(zeros))) + squeezer.flush()


def test_decompression_bombs_are_refused_for_every_content_encoding(tmp_path: Path, server: LocalServer) -> None:
    encodings = {
        "gz": ("gzip", _bomb(31)),
        "xgz": ("x-gzip", _bomb(31)),
        "zlib": ("deflate", _bomb(15)),
        "raw": ("deflate", _bomb(-15)),
        "nested": ("gzip, gzip", gzip.compress(_bomb(31))),  # each layer has its own ceiling
        "br": ("br", b"\x1b\xff\xff\x0f" * 100),  # never asked for: Accept-Encoding is gzip, deflate
    }
    hostile: dict[str, dict[str, object]] = {
        abbr: {"feed": server.set(f"/{abbr}.xml", body, headers={"Content-Encoding": name})}
        for abbr, (name, body) in encodings.items()
    }
    errors = _errors(_run(tmp_path, server, hostile))
    for abbr in ("gz", "xgz", "zlib", "raw", "nested"):
        assert errors[abbr] == "body larger than 100 MB when decompressed", (abbr, errors[abbr])
    assert errors["br"] == "unsupported content encoding 'br'"
    assert all(hit.headers["accept-encoding"] == "gzip, deflate" for hit in server.hits)


def test_a_slow_drip_feed_is_stopped_by_the_deadline(tmp_path: Path, server: LocalServer) -> None:
    server.routes["/drip.xml"] = Route(rss(rss_item("慢", "https://s.example/1", DATE, "x")), drip=0.2)
    report = _run(tmp_path, server, {"drip": {"feed": server.url("/drip.xml")}}, timeout=1.0)
    assert _errors(report)["drip"] == "timed out after 1 s"


def test_redirect_forms(tmp_path: Path, server: LocalServer, connects: list[Any]) -> None:
    server.set("/loop1", status=302, headers={"Location": "/loop2"})
    server.set("/loop2", status=301, headers={"Location": server.url("/loop1")})
    server.set("/rel", status=302, headers={"Location": "../feeds/./real.xml?x=1"})
    server.set("/feeds/real.xml", rss(rss_item("跳转后", "https://r.example/1", DATE, "<p>到了</p>")))
    for i in range(8):
        server.set(f"/hop{i}", status=307, headers={"Location": f"/hop{i + 1}"})
    redirects = {
        "loop": "/loop1",
        "rel": "/rel",
        "many": "/hop0",
        "tolocal": f"http://localhost:{server.port}/feeds/real.xml",
        "toten": "http://10.0.0.1/feed.xml",
        "tosix": f"http://[::1]:{server.port}/feeds/real.xml",
        "tozero": f"http://0.0.0.0:{server.port}/feeds/real.xml",
        "tohex": f"http://0x7f000001:{server.port}/feeds/real.xml",
        "todecimal": f"http://2130706433:{server.port}/feeds/real.xml",
        "tofile": "file:///etc/passwd",
        "toftp": "ftp://127.0.0.1/feed.xml",
        "todata": "data:application/rss+xml,<rss/>",
        "tojs": "javascript:alert(1)",
    }
    hostile: dict[str, dict[str, object]] = {
        abbr: {
            "feed": server.url(location)
            if location.startswith("/")
            else server.set(f"/go-{abbr}", status=302, headers={"Location": location})
        }
        for abbr, location in redirects.items()
    }
    report = _run(tmp_path, server, hostile, allow_private=False)
    assert next(r for r in report.sources if r.abbr == "rel").new == 1  # a relative redirect is followed
    errors = {abbr: error or "" for abbr, error in _errors(report).items()}
    assert errors["rel"] == "" and errors["loop"].startswith("redirect loop")
    assert errors["many"].startswith("too many redirects")
    for abbr in ("tolocal", "toten", "tosix", "tozero", "tohex"):
        assert errors[abbr].startswith("refused"), (abbr, errors[abbr])
    assert "invalid URL" in errors["todecimal"]
    for abbr in ("tofile", "toftp", "todata", "tojs"):
        assert errors[abbr].startswith("redirect to a non-HTTP URL"), (abbr, errors[abbr])
    assert server.count("/feeds/real.xml") == 1  # only through the relative redirect
    assert {a[1] for a in connects if isinstance(a, tuple)} == {server.port}


def test_private_address_forms_are_refused_without_connecting(connects: list[Any]) -> None:
    """Article links and images (untrusted) in every spelling of a private address: refused before any connect."""
    urls = [
        "http://127.0.0.1:9/a",
        "http://127.0.0.2/a",
        "http://10.1.2.3/a",
        "http://172.16.0.1/a",
        "http://192.168.0.1/a",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/a",
        "http://[::ffff:127.0.0.1]/a",
        "http://[::ffff:10.0.0.1]/a",
        "http://[fe80::1]/a",
        "http://[fd00::1]/a",
        "http://0.0.0.0:9/a",
        "http://0x7f000001/a",
        "http://0x0a000001/a",
        "http://localhost:9/a",
        "http://2130706433/a",
        "http://167772161/a",
        "http://0177.0.0.1/a",
        "http://127.1/a",
        "http://0/a",
    ]

    async def refusals() -> list[str]:
        reasons = []
        async with Fetcher() as fetcher:
            for url in urls:
                try:
                    await fetcher.fetch(Request(url, trusted=False, retries=0, deadline=2))
                except FetchError as exc:
                    reasons.append(exc.reason)
                else:
                    reasons.append("fetched")
        return reasons

    reasons = asyncio.run(refusals())
    for url, reason in zip(urls, reasons, strict=True):
        assert reason.startswith(("refused", "invalid URL")), (url, reason)
    assert connects == []


def test_article_links_to_private_addresses_are_refused_in_a_run(
    tmp_path: Path, server: LocalServer, connects: list[Any]
) -> None:
    page = "<html><body><article><p>" + "正文" * 200 + "</p></article></body></html>"
    hosts = [
        "127.0.0.1",  # the server itself: private for a link taken from a feed
        "localhost",
        "[::1]",
        "0.0.0.0",
        "0x7f000001",  # hex and decimal: WHATWG-canonical links make them 127.0.0.1
        "2130706433",
        "10.0.0.1",
        "169.254.169.254",
    ]
    links = [f"http://{host}:{server.port}/a/{i}.html" for i, host in enumerate(hosts)]
    for i in range(len(hosts)):
        server.set(f"/a/{i}.html", page)
    feed = server.set("/pages.xml", rss(*(rss_item(f"页{i}", link, DATE) for i, link in enumerate(links))))
    report = _run(
        tmp_path, server, {"pages": {"feed": feed, "body": "page", "selector": "article"}}, allow_private=False
    )
    problems = [str(p) for p in next(r for r in report.sources if r.abbr == "pages").problems]
    assert len(problems) == len(links), problems
    assert all(p.startswith("page ") and "refused" in p for p in problems), problems
    assert not [hit for hit in server.hits if hit.path.startswith("/a/")]
    assert {a[1] for a in connects if isinstance(a, tuple)} == {server.port}  # the feeds only


def test_mirrored_images_land_under_assets_whatever_their_urls_say(tmp_path: Path, server: LocalServer) -> None:
    headers = {"Content-Type": "image/png; name=../../../escape.png", "Content-Disposition": 'filename="../../x.sh"'}
    server.set("/img/a.png", PNG, headers=headers)
    server.set("/b.png", PNG + b"b", headers=headers)  # /img/%2e%2e/%2e%2e/b.png: %2e%2e is a dot segment
    server.set("/img/..%2f..%2fc.png", PNG + b"c", headers=headers)
    server.set("/etc/passwd", PNG + b"d", headers={"Content-Type": "image/png"})
    srcs = [
        server.url("/img/a.png"),
        server.url("/img/%2e%2e/%2e%2e/b.png"),
        server.url("/img/..%2f..%2fc.png"),
        server.url("/img/../../../../etc/passwd"),
        "/../../../../etc/passwd",  # relative to the article's link on 127.0.0.1
    ]
    body = "".join(f'<p>图</p><img src="{s}">' for s in srcs)
    feed = server.set("/imgs.xml", rss(rss_item("有图", server.url("/a/1.html"), DATE, body)))
    report = _run(tmp_path, server, {"imgs": {"feed": feed}}, extra='\n[images]\nmode = "mirror"\n')
    assert report.images is not None and report.images.stored >= 3, report.images  # a, b and "passwd"
    config, engine = open_vault(tmp_path / "vault")
    outside = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert not [p for p in outside if "escape" in p or p.endswith(".sh") or "passwd" in p], outside
    assets = sorted(p for p in (config.archive / "assets").rglob("*") if p.is_file())
    assert len(assets) == report.images.stored
    for path in assets:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert path.relative_to(config.archive).as_posix() == f"assets/{digest[:2]}/{digest}.png"
    assert list(verify(engine, config)) == []
