"""vault.toml: minimal files work, mistakes are named precisely."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from newsvault.config import ConfigError, catalogue, init_text, load
from newsvault.config.schema import POSITIVE, TOP, read, spec


def _write(tmp_path, text: str):
    (tmp_path / "vault.toml").write_text(text, "utf-8")
    return tmp_path


def test_init_text_loads_with_the_nine_outlets(tmp_path):
    config = load(_write(tmp_path, init_text()))
    assert [s.abbr for s in config.enabled()] == ["reuters", "nyt", "voa", "ft", "bbc", "rfi", "dw", "rfa", "cdt"]
    assert config.sources["cdt"].selector == "div.post-content"
    assert config.sources["rfa"].link == "guid"
    assert config.store_url == f"sqlite:///{tmp_path.resolve() / 'vault.sqlite'}"
    assert config.archive == tmp_path.resolve() / "archive"


def test_the_issue_example_is_a_complete_file(tmp_path):
    config = load(
        _write(
            tmp_path,
            '[archive]\npath = "archive"\n\n[sources.voa]\nname = "美国之音"\n'
            'feed = "https://feedx.net/rss/mgzy1.xml"\nbody = "description"\n'
            'link = "link"\nenabled = true\n',
        )
    )
    assert list(config.sources) == ["voa"]
    assert config.sources["voa"].timezone == "Asia/Shanghai"


def test_catalogue_outlets_inherit_their_settings(tmp_path):
    config = load(_write(tmp_path, "[sources.cdt]\nenabled = false\n"))
    assert config.sources["cdt"] == catalogue()["cdt"].__class__(**{**catalogue()["cdt"].__dict__, "enabled": False})
    assert config.enabled() == []


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "[sources.voa]\nbody = 3\n",
            "[sources.voa] key 'body': expected one of 'description', 'content:encoded', 'page', 'auto', got 3",
        ),
        ('[sources.voa]\nbody = "full"\n', "key 'body': expected one of"),
        ('[sources.voa]\nenabled = "yes"\n', "[sources.voa] key 'enabled': expected true or false, got 'yes'"),
        ('[sources.voa]\ncolour = "red"\n', "[sources.voa]: unknown key 'colour'"),
        ("[archive]\npath = 1\n", "[archive] key 'path': expected a path, got 1"),
        ('[archive]\nshard_by_month = "yes"\n', "[archive] key 'shard_by_month': expected true or false, got 'yes'"),
        ("[archive]\nmonthly = true\n", "[archive]: unknown key 'monthly'"),
        ('[sources.voa]\nname = "../../etc/x"\n', "[sources.voa] key 'name': not usable as a list file name"),
        ('[sources.voa]\nname = "已删除"\n', "[sources.voa] key 'name': not usable as a list file name"),
        ('[sources.voa]\nname = ".git"\n', "[sources.voa] key 'name': not usable as a list file name"),
        ("[fetch]\nper_host = true\n", "[fetch] key 'per_host': expected a whole number, got True"),
        ("[fetch]\ntimeout = -1\n", "[fetch] key 'timeout': expected a positive number"),
        ("[fetch]\nconnections = 0\n", "[fetch] key 'connections': expected a positive"),
        ('[sources.mine]\nname = "x"\n', "[sources.mine]: missing key 'feed'"),
        ('[sources.mine]\nname = "x"\nfeed = "http://a/"\nbody = "page"\n', "needs a 'selector'"),
        ('[sources.voa]\ntimezone = "Mars/Base"\n', "key 'timezone': expected an IANA time zone name"),
        ("[storage]\n", "top level: unknown key 'storage'"),
        ("[sources\n", "not valid TOML"),
    ],
)
def test_mistakes_name_file_key_and_expectation(tmp_path, text, message):
    _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(tmp_path)
    assert str(tmp_path / "vault.toml") in str(info.value)
    assert message in str(info.value)


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError, match="newsvault init"):
        load(tmp_path)


@dataclass(frozen=True)
class _Limits:
    depth: int = field(default=2, metadata=spec(None, POSITIVE))


@dataclass(frozen=True)
class _Settings:
    """A model the way config/model.py writes one: each key is its one line."""

    colour: Literal["red", "blue"] = "red"
    count: int = 3
    tags: tuple[str, ...] = ()
    limits: _Limits = field(default_factory=_Limits)


def test_a_key_is_one_line_of_the_model():
    assert read("t.toml", TOP, {}, _Settings) == _Settings()
    assert read("t.toml", TOP, {"colour": "blue", "tags": ["a"], "limits": {"depth": 5}}, _Settings) == _Settings(
        "blue", 3, ("a",), _Limits(5)
    )
    for data, message in [
        ({"count": "3"}, "t.toml: top level key 'count': expected a whole number, got '3'"),
        ({"count": True}, "t.toml: top level key 'count': expected a whole number, got True"),
        ({"colour": "green"}, "t.toml: top level key 'colour': expected one of 'red', 'blue', got 'green'"),
        ({"tags": ["a", 1]}, "t.toml: top level key 'tags': expected a list of strings, got 1"),
        ({"size": 1}, "t.toml: top level: unknown key 'size' (expected one of: colour, count, limits, tags)"),
        ({"limits": 1}, "t.toml: [limits]: expected a table, got 1"),
        ({"limits": {"depth": 0}}, "t.toml: [limits] key 'depth': expected a positive number, got 0"),
        ({"limits": {"deep": 1}}, "t.toml: [limits]: unknown key 'deep' (expected one of: depth)"),
    ]:
        with pytest.raises(ConfigError) as info:
            read("t.toml", TOP, data, _Settings)
        assert str(info.value) == message


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "[timestamps]\nenabled = true\n",
            "[timestamps] enabled = true needs tsa_urls, the RFC 3161 authorities to ask",
        ),
        (
            '[site]\nenabled = false\n[[publish.site]]\nurl = "/tmp/pages.git"\n',
            "[[publish.site]] needs [site] enabled = true: there is no site to publish",
        ),
    ],
)
def test_settings_that_cannot_work_together_are_refused_in_one_line(tmp_path, table, message):
    (tmp_path / "vault.toml").write_text(f"[sources.voa]\n{table}", "utf-8")
    with pytest.raises(ConfigError) as info:
        load(tmp_path)
    assert str(info.value).endswith(message)
