"""The mirror job against a real HTTP server on 127.0.0.1, and the checks on image bytes."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from newsvault.clean import MirrorReport, Refused, image_type, mirror_images, mirror_sources
from newsvault.config.model import Config, ImageSettings, Source
from newsvault.fetch import Fetcher
from newsvault.store import open_store
from newsvault.store.assets import mirrored_paths
from newsvault.store.schema import article_images, articles, images, sources
from tests.support.server import LocalServer, Route

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(60))
GIF = b"GIF89a" + bytes(30)
WEBP = b"RIFF\x20\x00\x00\x00WEBPVP8 " + bytes(20)
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(10)
SVG_OK = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect width="1"/></svg>'
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SETTINGS = ImageSettings(max_bytes=4096)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sources.insert().values(abbr="t", name="T"))
    return engine


def add_article(engine: Engine, link: str, body: str, archive_id: int = 1048574) -> int:
    with engine.begin() as conn:
        return conn.execute(
            articles.insert().values(
                source="t", archive_id=archive_id, link=link, title="t", body=body, first_seen_ms=1, last_seen_ms=1
            )
        ).inserted_primary_key[0]


def run(
    engine: Engine, archive: Path, settings: ImageSettings = SETTINGS, allow_private: bool = True, **kwargs: object
) -> MirrorReport:
    async def go() -> MirrorReport:
        async with Fetcher(allow_private=allow_private, backoff=0.01) as fetcher:
            return await mirror_images(engine, archive, fetcher, settings, **{"sources": ["t"], **kwargs})

    return asyncio.run(go())


def rows(engine: Engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {r["url"]: dict(r) for r in conn.execute(select(images)).mappings()}


def files(archive: Path) -> list[str]:
    return sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file())


def test_images_are_stored_by_sha256_with_the_type_of_their_bytes(
    server: LocalServer, engine: Engine, tmp_path: Path
) -> None:
    for path, data in (("/a.png", PNG), ("/news/b", JPEG), ("/news/c.gif", GIF), ("/d.webp", WEBP), ("/e", AVIF)):
        server.set(path, data, headers={"Content-Type": "image/whatever"})
    body = '<p>x</p><img src="/a.png"><img data-src="b"><img src="c.gif"><img src="/d.webp"><img src="/e">'
    before = body
    article = add_article(engine, server.url("/news/"), body)
    archive = tmp_path / "archive"
    report = run(engine, archive)
    assert (report.scanned, report.queued, report.stored, report.failed, report.refused) == (1, 5, 5, [], [])
    expected = {
        f"assets/{hashlib.sha256(d).hexdigest()[:2]}/{hashlib.sha256(d).hexdigest()}.{e}"
        for d, e in ((PNG, "png"), (JPEG, "jpg"), (GIF, "gif"), (WEBP, "webp"), (AVIF, "avif"))
    }
    assert set(files(archive)) == expected
    assert (
        archive / f"assets/{hashlib.sha256(PNG).hexdigest()[:2]}/{hashlib.sha256(PNG).hexdigest()}.png"
    ).read_bytes() == PNG
    with engine.connect() as conn:
        assert conn.execute(select(articles.c.body)).scalar_one() == before  # text never changes
        assert len(conn.execute(select(article_images).where(article_images.c.article_id == article)).all()) == 5
        paths = mirrored_paths(conn, [server.url("/a.png"), server.url("/missing.png")])
    assert paths == {
        server.url("/a.png"): f"assets/{hashlib.sha256(PNG).hexdigest()[:2]}/{hashlib.sha256(PNG).hexdigest()}.png"
    }
    # A second run finds nothing to do and changes nothing.
    again = run(engine, archive)
    assert (again.scanned, again.queued, again.stored, again.duplicates) == (0, 0, 0, 0)
    assert server.count("/a.png") == 1


def test_same_bytes_under_two_urls_are_one_file(server: LocalServer, engine: Engine, tmp_path: Path) -> None:
    server.set("/one.png", PNG)
    server.set("/two.png", PNG)
    server.set("/three.png", PNG)
    add_article(engine, server.url("/"), '<img src="/one.png"><img src="/two.png">')
    add_article(engine, server.url("/"), '<img src="/three.png"><img src="/one.png">', 1048573)
    archive = tmp_path / "archive"
    report = run(engine, archive)
    assert (report.queued, report.stored, report.duplicates) == (3, 1, 2)
    assert len(files(archive)) == 1
    assert {r["sha256"] for r in rows(engine).values()} == {hashlib.sha256(PNG).hexdigest()}


def test_bad_images_are_refused_with_a_reason_and_the_rest_stored(
    server: LocalServer, engine: Engine, tmp_path: Path
) -> None:
    server.set("/empty.jpg", b"", headers={"Content-Type": "image/jpeg"})
    server.set("/huge.jpg", JPEG + bytes(10_000), headers={"Content-Type": "image/jpeg"})
    server.set("/page.jpg", b"<!doctype html><title>404</title>", headers={"Content-Type": "image/jpeg"})
    server.set("/html.png", PNG, headers={"Content-Type": "text/html"})
    server.set("/script.svg", SVG_SCRIPT, headers={"Content-Type": "image/svg+xml"})
    server.set("/ok.svg", SVG_OK, headers={"Content-Type": "image/svg+xml"})
    server.set("/ok.png", PNG, headers={"Content-Type": "image/jpeg"})  # mislabelled: bytes win
    body = "".join(
        f'<img src="{p}">'
        for p in ("/empty.jpg", "/huge.jpg", "/page.jpg", "/html.png", "/script.svg", "/ok.svg", "/ok.png")
    )
    add_article(engine, server.url("/"), body)
    archive = tmp_path / "archive"
    report = run(engine, archive)
    reasons = {r["url"].rsplit("/", 1)[1]: (r["status"], r["error"]) for r in rows(engine).values()}
    assert reasons == {
        "empty.jpg": ("refused", "empty image (0 bytes)"),
        "huge.jpg": ("refused", "body larger than 4 KB"),
        "page.jpg": (
            "refused",
            "not a JPEG, PNG, GIF, WebP, AVIF or SVG image (server said image/jpeg; bytes start b'<!doctyp')",
        ),
        "html.png": ("refused", "server said text/html, not an image type (the bytes look like png)"),
        "script.svg": ("refused", "SVG carrying script or foreign content (<script>)"),
        "ok.svg": ("done", None),
        "ok.png": ("done", None),
    }
    assert len(report.refused) == 5 and report.failed == []
    assert sorted(p.rsplit(".", 1)[1] for p in files(archive)) == ["png", "svg"]
    # Refused images are not tried again.
    assert run(engine, archive).refused == []
    assert server.count("/empty.jpg") == 1


def test_private_address_is_refused_before_connecting(engine: Engine, tmp_path: Path) -> None:
    add_article(
        engine, "https://news.example/a.html", '<img src="http://10.0.0.1/x.jpg"><img src="http://[::1]/y.png">'
    )
    report = run(engine, tmp_path / "archive", allow_private=False)
    assert sorted(report.refused) == [
        "http://10.0.0.1/x.jpg: refused non-public address 10.0.0.1",
        "http://[::1]/y.png: refused non-public address ::1",
    ]
    assert {r["status"] for r in rows(engine).values()} == {"refused"}


def test_failures_are_retried_on_later_runs_until_attempts_run_out(
    server: LocalServer, engine: Engine, tmp_path: Path
) -> None:
    server.sequence("/flaky.png", [Route(status=503), Route(status=503), Route(PNG)])
    server.set("/gone.png", b"nope", status=404)
    add_article(engine, server.url("/"), '<img src="/flaky.png"><img src="/gone.png">')
    archive = tmp_path / "archive"
    settings = ImageSettings(max_bytes=4096, attempts=2)
    first = run(engine, archive, settings)  # each fetch retries once: 503, 503
    assert sorted(f.rsplit("/", 1)[1] for f in first.failed) == [
        "flaky.png: HTTP 503 Service Unavailable (after 2 attempts)",
        "gone.png: HTTP 404 Not Found",
    ]
    assert files(archive) == []
    second = run(engine, archive, settings)
    assert second.stored == 1 and [f.rsplit("/", 1)[1] for f in second.failed] == ["gone.png: HTTP 404 Not Found"]
    state = {u.rsplit("/", 1)[1]: (r["status"], r["attempts"]) for u, r in rows(engine).items()}
    assert state == {"flaky.png": ("done", 2), "gone.png": ("failed", 2)}
    third = run(engine, archive, settings)  # attempts used up: 404 no longer fetched
    assert third.failed == [] and server.count("/gone.png") == 2


def test_limit_bounds_one_run_and_the_rest_waits(server: LocalServer, engine: Engine, tmp_path: Path) -> None:
    body = ""
    for i in range(5):
        server.set(f"/{i}.gif", GIF + bytes([i]))
        body += f'<img src="/{i}.gif">'
    add_article(engine, server.url("/"), body)
    archive = tmp_path / "archive"
    assert run(engine, archive, limit=2).stored == 2
    assert run(engine, archive, limit=10).stored == 3
    assert len(files(archive)) == 5


def test_changed_body_is_listed_again(server: LocalServer, engine: Engine, tmp_path: Path) -> None:
    server.set("/a.png", PNG)
    server.set("/b.gif", GIF)
    article = add_article(engine, server.url("/"), '<img src="/a.png">')
    archive = tmp_path / "archive"
    assert run(engine, archive).stored == 1
    with engine.begin() as conn:
        conn.execute(
            articles.update().where(articles.c.id == article).values(body='<img src="/b.gif">', updated_ms=2**62)
        )
    report = run(engine, archive)
    assert (report.scanned, report.queued, report.stored) == (1, 1, 1)
    assert run(engine, archive).scanned == 0  # an update dated in the future is listed once


def test_only_sources_in_mirror_mode_are_listed(tmp_path: Path) -> None:
    config = Config(
        vault=tmp_path,
        archive=tmp_path,
        store_url="sqlite://",
        sources={
            "a": Source("a", "A", "http://x/"),
            "b": Source("b", "B", "http://x/", images="mirror"),
            "c": Source("c", "C", "http://x/", images="mirror", enabled=False),
        },
    )
    assert mirror_sources(config) == ["b"]
    mirrored = Config(
        vault=tmp_path,
        archive=tmp_path,
        store_url="sqlite://",
        sources=config.sources,
        images=ImageSettings(mode="mirror"),
    )
    assert mirror_sources(mirrored) == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG carrying script (event handler onload)"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p>'
            b"</foreignObject></svg>",
            "SVG carrying script or foreign content (<foreignObject>)",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><a x:href="javascript:1">'
            b"<rect/></a></svg>",
            "SVG carrying script (javascript: URL)",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://track.example/p.gif"/></svg>',
            "SVG refers to an external resource",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(//x/y.css);</style></svg>',
            "SVG style loads external resources",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect', "SVG is not well-formed XML"),
    ],
)
def test_svg_with_active_content_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        image_type(data, "image/svg+xml")
    assert str(caught.value).startswith(reason)


def test_inert_svg_and_octet_stream_rasters_are_accepted() -> None:
    svg = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><svg xmlns="http://www.w3.org/2000/svg">'
        b'<style>.a{fill:url(#g)}</style><use href="#r"/></svg>'
    )
    assert image_type(svg, "text/xml") == "svg"
    assert image_type(PNG, "application/octet-stream") == "png"
    assert image_type(JPEG, None) == "jpg"


def test_a_run_in_mirror_mode_stores_images_and_leaves_the_article_file_as_given(
    server: LocalServer, tmp_path: Path
) -> None:
    from newsvault.archive import parse_article
    from newsvault.schedule import run_once
    from tests.vaults import open_vault, rss, rss_item, write_vault

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    image = server.set("/img/a.png", png, headers={"Content-Type": "image/png"})
    body = f'<p>图</p><img src="{image}" alt="说明">'
    feed = server.set("/f.xml", rss(rss_item("有图", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", body)))
    vault = write_vault(tmp_path, {"voa": {"feed": feed}})
    with (vault / "vault.toml").open("a") as f:
        f.write('\n[images]\nmode = "mirror"\n')
    config, engine = open_vault(vault)
    report = run_once(config, engine)
    assert report.images is not None and report.images.stored == 1
    digest = hashlib.sha256(png).hexdigest()
    assert (config.archive / "assets" / digest[:2] / f"{digest}.png").read_bytes() == png
    assert parse_article((config.archive / "articles/voa/1048574.md").read_bytes()).body == body
    again = run_once(config, engine)
    assert again.images is not None and again.images.stored == 0 and server.count("/img/a.png") == 1
