"""The keys of issue 4 in vault.toml: body = "auto", min_length, fallbacks, fallback_after, idle_after."""

from __future__ import annotations

import pytest

from newsvault.config import ConfigError, catalogue, load


def _load(tmp_path, text: str):
    (tmp_path / "vault.toml").write_text(text, "utf-8")
    return load(tmp_path)


def test_fallbacks_are_read_in_order_with_their_own_rules(tmp_path):
    config = _load(
        tmp_path,
        """[sources.dw]
min_length = 500
fallbacks = [
  { feed = "https://rss.dw.com/rdf/rss-chi-all" },
  { feed = "https://b.example/f", body = "page", selector = "div.a", link = "guid" },
]
""",
    )
    dw = config.sources["dw"]
    feeds = dw.feeds()
    assert [f.feed for f in feeds] == [dw.feed, "https://rss.dw.com/rdf/rss-chi-all", "https://b.example/f"]
    assert [(f.body, f.link, f.selector) for f in feeds[1:]] == [("auto", "link", None), ("page", "guid", "div.a")]
    assert {(f.abbr, f.name, f.min_length) for f in feeds} == {("dw", "德国之声", 500)}


def test_the_catalogue_lists_the_outlets_own_feeds():
    known = catalogue()
    assert known["dw"].fallbacks[0].feed == "https://rss.dw.com/rdf/rss-chi-all"
    assert known["bbc"].fallbacks[0].feed == "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"
    assert all(f.body == "auto" for s in known.values() for f in s.fallbacks)


@pytest.mark.parametrize(
    "text,message",
    [
        ('[sources.voa]\nfallbacks = "https://x"\n', "key 'fallbacks': expected a list of tables"),
        ('[sources.voa]\nfallbacks = [{ body = "auto" }]\n', "[sources.voa] fallbacks[1]: missing key 'feed'"),
        ('[sources.voa]\nfallbacks = [{ feed = "x", kind = 1 }]\n', "fallbacks[1]: unknown key 'kind'"),
        (
            '[sources.voa]\nfallbacks = [{ feed = "x", body = "page" }]\n',
            "fallbacks[1]: body = \"page\" needs a 'selector'",
        ),
        ('[sources.voa]\nfallbacks = [{ feed = "x", body = "all" }]\n', "fallbacks[1] key 'body': expected one of"),
        ("[sources.voa]\nmin_length = -1\n", "key 'min_length': expected a whole number of at least 0, got -1"),
        ('[sources.voa]\nmin_length = "300"\n', "key 'min_length': expected a whole number of at least 0"),
        ("[sources.voa]\nfallback_after = 0\n", "key 'fallback_after': expected a whole number of at least 1"),
        ("[sources.voa]\nidle_after = true\n", "key 'idle_after': expected a whole number of at least 1"),
    ],
)
def test_mistakes_are_refused_with_the_key_named(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    assert message in str(info.value)
