"""Article files: the writer against real archive bytes, the reader against anything."""

from __future__ import annotations

import re

import pytest

from newsvault.archive import format_article, parse_article
from tests.reference import reference

SEED = "seed/000_0851d2a3dc01581b.txt"  # ../shared paths; both in tests/data/shared
FINAL = "corpus/duty-machine-news/final-2025/articles"
NBSP = "\u00a0".encode()


def _resplit(body: str) -> str:
    """Spread a one-line body over many lines with whitespace around each piece.

    Cuts only between two non-whitespace characters, so trimming the pieces
    removes exactly what was added and nothing of the body itself.
    """
    cuts = [m.start() for m in re.finditer(r"(?<=\S)<(?=\S)", body)][::7]
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=False)]
    assert len(pieces) > 10
    pads = [" ", "\t", "\u3000", "\u00a0", "\r", "\ufeff", "\u2028", " \t "]
    return "\n".join(f"{pads[i % 8]}{p}{pads[(i + 3) % 8]}" for i, p in enumerate(pieces))


def test_seed_article_is_rebuilt_byte_for_byte_from_messy_fields():
    golden = reference(SEED).read_bytes()
    parsed = parse_article(golden)
    assert parsed.ms == 1642982342000
    assert parsed.title == "中俄“背靠背”合作最终或因中亚破裂"
    assert parsed.url == "https://www.voachinese.com/a/US-China-Central-Asia-01232022/6409199.html"
    body = _resplit(parsed.body)
    assert body.count("\n") > 10 and body != parsed.body
    title = " \u3000" + parsed.title + "\t\n"
    link = "HTTPS://WWW.VOACHINESE.COM:443/a/US-China-Central-Asia-01232022/6409199.html"
    assert format_article(1642982342000, title, link, body) == golden


def test_seed_resplit_needs_javascript_trim():
    """The padding used above is one Python's str.strip would not fully remove."""
    parsed = parse_article(reference(SEED).read_bytes())
    pieces = _resplit(parsed.body).split("\n")
    assert "".join(p.strip() for p in pieces) != parsed.body


def test_every_final_2025_article_round_trips():
    paths = sorted(reference(FINAL).rglob("*.md"))
    assert len(paths) == 11
    for path in paths:
        data = path.read_bytes()
        parsed = parse_article(data)
        assert parsed.ms is not None and parsed.title and parsed.url and parsed.body, path
        rebuilt = format_article(parsed.ms, parsed.title, parsed.url, parsed.body)
        if rebuilt != data and rebuilt.replace(NBSP, b" ") == data.replace(NBSP, b" "):
            pytest.fail(
                f"{path}: differs only in U+00A0 vs U+0020, which the transcription of "
                "final-2025 cannot tell apart (see PROVENANCE.txt); the rest is identical"
            )
        assert rebuilt == data, path
        assert parsed.canonical, path


def test_final_2025_reader_fields():
    root = reference(FINAL)
    rfi = parse_article((root / "rfi" / "999999.md").read_bytes())
    assert rfi.ms == 1698488101000
    assert rfi.title == "韩国外长：已向王毅传达反对遣返在华脱北者立场"
    assert rfi.url.startswith("https://www.rfi.fr/cn/%E4%BA%9A%E6%B4%B2/20231028-")
    assert rfi.body.startswith("<div>28/10/2023 - 11:44</div>")
    assert rfi.date_text is None


def test_lone_cr_survives_and_only_lf_splits():
    data = format_article(1, "t", "https://a.example/", "<p>a\rb</p>\n  <p>c</p>\u2028\r\n<p>d</p>")
    assert data == b"<!--1-->\n[t](https://a.example/)\n------\n\n<p>a\rb</p><p>c</p><p>d</p>\n"
    parsed = parse_article(data)
    assert parsed.body == "<p>a\rb</p><p>c</p><p>d</p>" and parsed.canonical


def test_title_with_inner_newline_round_trips():
    data = format_article(5, "\n第一行\n------\n\n第二行 ", "https://a.example/x", "b")
    assert data == "<!--5-->\n[第一行\n------\n\n第二行](https://a.example/x)\n------\n\nb\n".encode()
    parsed = parse_article(data)
    assert (parsed.title, parsed.url, parsed.body, parsed.canonical) == (
        "第一行\n------\n\n第二行",
        "https://a.example/x",
        "b",
        True,
    )


def test_format_rejects_relative_link_and_negative_date():
    with pytest.raises(ValueError):
        format_article(1, "t", "/a/b.html", "b")
    with pytest.raises(ValueError):
        format_article(-1, "t", "https://a.example/", "b")


def test_lone_surrogates_are_written_as_replacement_characters():
    assert format_article(1, "a\udc80", "https://a.example/", "\ud800") == (
        "<!--1-->\n[a\ufffd](https://a.example/)\n------\n\n\ufffd\n".encode()
    )


def test_old_cdt_format_without_date_line():
    data = (
        "[质化研究 | 标题](https://chinadigitaltimes.net/chinese/2020/06/x/)\n------\n"
        "日期：Sat, 27 Jun 2020 13:30:55 +0000\n\n<p>正文</p>\n"
    ).encode()
    parsed = parse_article(data)
    assert parsed.ms is None
    assert parsed.title == "质化研究 | 标题"
    assert parsed.url == "https://chinadigitaltimes.net/chinese/2020/06/x/"
    assert parsed.date_text == "Sat, 27 Jun 2020 13:30:55 +0000"
    assert parsed.body == "<p>正文</p>"
    assert not parsed.canonical


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"<!--",
        b"<!--123-",
        b"<!--" + b"9" * 5000 + b"-->\n[t](https://a.example/)\n------\n\nb\n",
        b"<!--1-->\n[t](https://a.example/",
        b"<!--1-->\n[t](https://a.example/)\n------\n\nb",  # no final LF
        b"<!--1-->\n[t](https://a.example/)\n------\n\nb\n\n",  # two final LFs
        b"<!--01-->\n[t](https://a.example/)\n------\n\nb\n",  # padded date
        b"<!--1-->\n[ t](https://a.example/)\n------\n\nb\n",  # untrimmed title
        b"<!--1-->\n[t](https://A.example/)\n------\n\nb\n",  # not an href
        b"<!--1-->\n[t](relative)\n------\n\nb\n",
        b"\xef\xbb\xbf<!--1-->\n[t](https://a.example/)\n------\n\nb\n",  # BOM
        b"<!--1-->\n[t](https://a.example/)\n------\n\n\xe4\xb8\n",  # truncated UTF-8
        b"<!--\xd9\xa1-->\n[t](https://a.example/)\n------\n\nb\n",  # Arabic-Indic digit
        "<!--1-->\n[t](https://a.example/)\n------\n\nb\u2028\n".encode(),  # body not trimmed
    ],
)
def test_parse_never_raises_and_flags_non_canonical(data):
    parsed = parse_article(data)
    assert parsed.canonical is False


def test_parse_keeps_invalid_bytes_recoverable():
    parsed = parse_article(b"<!--1-->\n[t\xff](https://a.example/)\n------\n\nb\xfe\n")
    assert parsed.title.encode("utf-8", "surrogateescape") == b"t\xff"
    assert parsed.body.encode("utf-8", "surrogateescape") == b"b\xfe"
    assert parsed.ms == 1 and not parsed.canonical


def test_parse_follows_reader_rules_for_date_and_title():
    parsed = parse_article(b"junk [first](x) <!--77-- [second](https://a.example/)")
    assert parsed.ms == 77
    assert parsed.title == "first"
