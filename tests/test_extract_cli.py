"""`newsvault test-rule` on a saved page and on a URL served from 127.0.0.1."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newsvault.cli import cli
from tests.extract_gold import page

GMW = "other_zh/readability_gmw.html"  # in tests/data/shared


def test_test_rule_on_a_file_shows_title_date_length_images_and_text():
    result = CliRunner().invoke(cli, ["test-rule", "--page", str(page(GMW))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "title:  宇航员在太空中喝酒会怎么样？后果很严重"
    assert lines[1] == "date:   2017-03-10"
    assert lines[2].startswith("text:   ") and int(lines[2].split()[1]) > 2000
    assert lines[3].startswith("images: ")
    assert "宇航员" in result.output.split("\n\n", 1)[1]


def test_test_rule_json_on_a_url(server):
    url = server.set("/a.html", page(GMW).read_bytes(), headers={"Content-Type": "text/html; charset=utf-8"})
    result = CliRunner().invoke(cli, ["test-rule", "--page", url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"title", "text", "html", "images"}
    assert data["title"] == "宇航员在太空中喝酒会怎么样？后果很严重"
    assert "<p" in data["html"] and "<" not in data["text"]
    assert all(src.startswith(server.url("/")) or src.startswith("http") for src in data["images"])


def test_test_rule_with_a_selector_and_its_failures(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body><div class='post-content'><p>正文</p></div></body></html>", "utf-8")
    result = CliRunner().invoke(cli, ["test-rule", "--page", str(page), "--selector", "div.post-content", "--json"])
    assert json.loads(result.output) == {"title": "", "text": "正文", "html": "<p>正文</p>", "images": []}
    missing = CliRunner().invoke(cli, ["test-rule", "--page", str(page), "--selector", "div.nothing"])
    assert missing.exit_code == 1 and "no element matches" in missing.output
    nowhere = CliRunner().invoke(cli, ["test-rule", "--page", str(tmp_path / "none.html")])
    assert nowhere.exit_code == 2 and "neither a file nor" in nowhere.output
