"""`history` and `verify` as a user calls them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newsvault.base.plaintext import plain_text
from newsvault.base.textdiff import char_diff
from newsvault.cli import cli
from tests.vaults import rss, rss_item, write_vault

DATE = "Wed, 01 May 2024 12:00:00 GMT"


def test_char_diff_marks_changes_between_chinese_characters():
    assert char_diff("朱镕基访问美国", "朱镕基访问日本") == "朱镕基访问[-美国-]{+日本+}"
    assert char_diff("a" * 100, "a" * 100 + "b").startswith("a" * 20 + "…")


def test_diffs_compare_the_text_a_reader_sees():
    """Diffs read the plain text the index and snippets use: a paragraph a line, markup's spacing no change."""
    old, new = plain_text("<p>第一段。</p><p>第二段</p>"), plain_text("<p>第一段。</p>\n  <p>第二段改</p>")
    assert char_diff(old, new) == "第一段。\n第二段{+改+}"


def _vault_with_edit(tmp_path, server):  # type: ignore[no-untyped-def]
    feed = server.set("/f.xml", rss(rss_item("标题", "https://a.example/1", DATE, "<p>中国经济发展</p>")))
    write_vault(tmp_path, {"voa": {"feed": feed}})
    runner = CliRunner()
    runner.invoke(cli, ["--vault", str(tmp_path), "run"])
    server.set("/f.xml", rss(rss_item("标题（更正）", "https://a.example/1", DATE, "<p>中国经济放缓</p>")))
    runner.invoke(cli, ["--vault", str(tmp_path), "run"])
    return runner


def test_history_json_and_diff(tmp_path, server):
    runner = _vault_with_edit(tmp_path, server)
    result = runner.invoke(cli, ["--vault", str(tmp_path), "history", "voa/1048574", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(v["n"], v["title"]) for v in data["versions"]] == [(1, "标题"), (2, "标题（更正）")]
    assert [s["status"] for s in data["status"]] == ["changed"]
    assert all(len(v["sha256"]) == 64 for v in data["versions"])
    diff = runner.invoke(cli, ["--vault", str(tmp_path), "history", "voa/1048574", "--diff"])
    assert "中国经济[-发展-]{+放缓+}" in diff.output
    assert "title: 标题{+（更正）+}" in diff.output
    missing = runner.invoke(cli, ["--vault", str(tmp_path), "history", "voa/1"])
    assert missing.exit_code != 0 and "no article voa/1" in missing.output
    for huge in ("voa/" + "9" * 30, "voa/" + "9" * 5000):  # OverflowError from SQLite, ValueError from int()
        refused = runner.invoke(cli, ["--vault", str(tmp_path), "history", huge])
        assert refused.exit_code == 2 and "expected ABBR/ID" in refused.output and refused.exception is not None
        assert isinstance(refused.exception, SystemExit), refused.exception


def test_verify_passes_then_names_each_problem(tmp_path, server):
    runner = _vault_with_edit(tmp_path, server)
    ok = runner.invoke(cli, ["--vault", str(tmp_path), "verify"])
    assert ok.exit_code == 0 and "0 problem(s)" in ok.output, ok.output
    archive = tmp_path / "archive"
    (archive / "articles/voa/1048574.md").write_bytes(b"edited by hand")
    (archive / "versions/voa/1048574/1.md").unlink()
    (archive / "articles/voa/999.md").write_text("stray")
    (archive / "articles/voa/.1048574.md.x1y2.tmp").write_text("half")
    bad = runner.invoke(cli, ["--vault", str(tmp_path), "verify"])
    assert bad.exit_code == 1
    assert "articles/voa/1048574.md: differs from the store" in bad.output
    assert "versions/voa/1048574/1.md: missing" in bad.output
    assert "articles/voa/999.md: not in the store (orphan)" in bad.output
    assert "temporary file of an interrupted write" in bad.output
    # render repairs what it owns; the orphan stays (never delete what we did not write) and is still reported.
    runner.invoke(cli, ["--vault", str(tmp_path), "render"])
    after = runner.invoke(cli, ["--vault", str(tmp_path), "verify"])
    assert after.output.count("\n") == 2 and "orphan" in after.output


def test_verify_notices_a_capture_that_does_not_match_its_hash(tmp_path, server):
    import zlib

    from sqlalchemy import update

    from newsvault.config import load
    from newsvault.store import open_store
    from newsvault.store.schema import captures

    runner = _vault_with_edit(tmp_path, server)
    engine = open_store(load(tmp_path).store_url)
    with engine.begin() as conn:
        conn.execute(update(captures).where(captures.c.id == 1).values(body=zlib.compress(b"forged")))
    bad = runner.invoke(cli, ["--vault", str(tmp_path), "verify"])
    assert bad.exit_code == 1 and "capture 1: bytes do not match sha256" in bad.output
