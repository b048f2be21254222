"""`newsvault bundle`: one self-contained HTML file, or an EPUB, of the articles since a day."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner
from lxml import etree

from newsvault.cli import cli
from tests.site_vault import build, links


@pytest.fixture(scope="module")
def vault(tmp_path_factory):  # type: ignore[no-untyped-def]
    from tests.support.server import LocalServer

    with LocalServer() as server:
        config, _engine = build(tmp_path_factory.mktemp("bundle"), server)
    return config


def _bundle(vault, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--vault", str(vault.vault), "bundle", *args])


def test_html_bundle_is_self_contained(vault, tmp_path):
    out = tmp_path / "b.html"
    result = _bundle(vault, "--since", "2024-05-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "4 article(s)" in result.output  # April's article is left out
    text = out.read_text("utf-8")
    assert "四月的旧闻" not in text and "习近平会见外宾（更新）" in text and "自由亞洲電台報導" in text
    found = links(out)
    assert found.scripts == 0 and not found.handlers
    assert "<link" not in text and "<style>" in text  # CSS inline
    inlined = [s for s in found.srcs if s.startswith("data:image/png;base64,")]
    assert len(inlined) == 1  # the mirrored image travels inside the file
    assert all(s.startswith("data:") for s in found.srcs)  # the only image was mirrored
    assert all(h.startswith(("#", "http://", "https://")) for h in found.hrefs)  # no file next to it needed


def test_source_filter_and_date(vault, tmp_path):
    out = tmp_path / "hk.html"
    assert _bundle(vault, "--since", "2024-04-01", "--source", "voa", "--out", str(out)).exit_code == 0
    text = out.read_text("utf-8")
    assert "四月的旧闻" in text and "自由亞洲電台報導" not in text
    assert _bundle(vault, "--since", "2030-01-01", "--out", str(out)).exit_code == 1  # nothing to bundle
    assert "not-a-date" in _bundle(vault, "--since", "not-a-date", "--out", str(out)).output
    assert _bundle(vault, "--since", "2024-05-01", "--source", "nope", "--out", str(out)).exit_code == 2


def test_epub_is_a_valid_container(vault, tmp_path):
    out = tmp_path / "b.epub"
    result = _bundle(vault, "--since", "2024-05-01", "--epub", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[30:38] == b"mimetype" and data[38:58] == b"application/epub+zip"  # first, stored, no extra field
    epub = zipfile.ZipFile(io.BytesIO(data))
    first = epub.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert epub.testzip() is None
    container = etree.fromstring(epub.read("META-INF/container.xml"))
    opf_path = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
    opf = etree.fromstring(epub.read(opf_path))
    ns = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
    for required in ("dc:identifier", "dc:title", "dc:language"):
        assert opf.find(f".//{required}", ns) is not None
    assert opf.find(".//opf:meta[@property='dcterms:modified']", ns) is not None
    base = opf_path.rsplit("/", 1)[0] + "/"
    items = opf.findall(".//opf:item", ns)
    assert [i for i in items if i.get("properties") == "nav"]
    names = set(epub.namelist())
    for item in items:  # every manifest entry is in the zip, and every XHTML file is well-formed XML
        assert base + item.get("href") in names
        if item.get("media-type") == "application/xhtml+xml":
            etree.fromstring(epub.read(base + item.get("href")))
    spine = opf.findall(".//opf:itemref", ns)
    assert len(spine) == 4
    assert any(n.endswith(".png") for n in names)  # the mirrored image is packed
    chapters = b"".join(epub.read(base + i.get("href")) for i in items if i.get("id", "").startswith("c"))
    assert b"<script" not in chapters and b"onclick" not in chapters
