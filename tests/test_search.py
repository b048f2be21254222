"""Search: checked against a brute-force substring scan of the 2020 corpus in ../shared.

In a clone without ../shared, the final-2025 articles in tests/data/shared stand in for the scan.

The reference here is plain `in` over each article's title and plain text, with
no index, no tokenizer and (for the no-false-negative check) no script folding.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from newsvault.base.plaintext import plain_text
from newsvault.cli import cli
from newsvault.importer import import_tree
from newsvault.schedule import run_once
from newsvault.search import count_hits, fold, search, update_index
from newsvault.search.query import snippet
from newsvault.store import sources as store_sources
from newsvault.store.schema import articles
from tests.reference import reference
from tests.support.migrations import downgrade
from tests.vaults import open_vault, rss, rss_item, write_vault

CORPUS = "corpus/duty-machine-news/snapshot-2020-07-20"
FINAL = "corpus/duty-machine-news/final-2025"  # in tests/data/shared
HAN = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture(scope="module")
def corpus(shared, tmp_path_factory):
    """The 3,767 articles of the snapshot, imported (import indexes them), with their texts."""
    return _imported(shared / CORPUS, tmp_path_factory)


@pytest.fixture(scope="module")
def final_corpus(tmp_path_factory):
    """The 11 articles of final-2025, imported the same way."""
    return _imported(reference(FINAL), tmp_path_factory)


def _imported(tree: Path, tmp_path_factory):
    vault = tmp_path_factory.mktemp("search") / "vault"
    vault.mkdir()
    (vault / "vault.toml").write_text('[archive]\npath = "archive"\n', "utf-8")
    config, engine = open_vault(vault)
    import_tree(engine, config, tree, workers=1)
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    articles.c.id,
                    articles.c.source,
                    articles.c.archive_id,
                    articles.c.title,
                    articles.c.body,
                    articles.c.date_ms,
                )
            )
            .mappings()
            .all()
        )
    texts = {r["id"]: (r["title"], plain_text(r["body"] or "")) for r in rows}
    return vault, engine, texts, {r["id"]: r for r in rows}


def _hits(engine, query: str, **options) -> set[int]:
    with engine.connect() as conn:
        return {h.article_id for h in search(conn, query, limit=None, **options)}


def _containing(texts, query: str, folded: bool = False) -> set[int]:
    if folded:
        query = fold(query)
        return {a for a, (t, b) in texts.items() if query in fold(t) or query in fold(b)}
    return {a for a, (t, b) in texts.items() if query in t or query in b}


def _sample_queries(texts, length: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    bodies = [b for _, b in texts.values() if b]
    found: list[str] = []
    while len(found) < count:
        runs = [r for r in HAN.findall(rng.choice(bodies)) if len(r) >= length]
        if runs:
            run = rng.choice(runs)
            start = rng.randrange(len(run) - length + 1)
            found.append(run[start : start + length])
    return found


@pytest.mark.parametrize("length,seed", [(1, 1), (2, 2), (4, 4), (7, 7)])
def test_cjk_queries_match_a_substring_scan_exactly(corpus, length, seed):
    _, engine, texts, _ = corpus
    for query in _sample_queries(texts, length, 15, seed) + (["镕基", "朱镕基", "经济发展"] if length == 2 else []):
        hits = _hits(engine, query)
        assert _containing(texts, query) <= hits, f"missed articles holding {query!r}"
        assert hits <= _containing(texts, query, folded=True), f"articles without {query!r} found"


@pytest.mark.parametrize("length,seed", [(1, 1), (2, 2), (3, 3), (5, 5)])
def test_cjk_queries_match_a_substring_scan_on_the_final_2025_articles(final_corpus, length, seed):
    _, engine, texts, _ = final_corpus
    assert len(texts) == 11
    for query in _sample_queries(texts, length, 15, seed):
        hits = _hits(engine, query)
        assert _containing(texts, query) <= hits, f"missed articles holding {query!r}"
        assert hits <= _containing(texts, query, folded=True), f"articles without {query!r} found"


def test_count_hits_is_how_many_search_finds(final_corpus):
    """`count_hits` is as many as `search` finds over all its pages, up to its cap: one more past it."""
    _, engine, texts, rows = final_corpus
    titles = [title[:2] for title, _ in texts.values()]  # title hits too, which the count takes as body hits
    pairs = zip(_sample_queries(texts, 1, 5, 13), _sample_queries(texts, 2, 5, 14), strict=True)
    queries = (
        _sample_queries(texts, 1, 8, 11) + _sample_queries(texts, 3, 8, 12) + titles + [" ".join(p) for p in pairs]
    )
    dates = sorted(r["date_ms"] for r in rows.values() if r["date_ms"] is not None)
    options = [{}, {"source": next(iter(rows.values()))["source"]}, {"since_ms": dates[len(dates) // 2]}]
    counted = []
    with engine.connect() as conn:
        for query in [*queries, "不存在的词语"]:
            for option in options:
                every = len(search(conn, query, limit=None, **option))
                counted.append(count_hits(conn, query, upto=10**6, **option))
                assert counted[-1] == every, (query, option)
                assert count_hits(conn, query, upto=3, **option) == min(every, 4), (query, option)
    assert max(counted) > 5 and 0 in counted


def test_rare_words_and_sub_words(corpus):
    _, engine, texts, _ = corpus
    # jieba keeps 朱镕基 whole and misses 镕基; a bigram index finds both.
    assert _hits(engine, "镕基") == _containing(texts, "镕基") != set()
    assert _hits(engine, "镕基") >= _hits(engine, "朱镕基")
    # 经济发展 must not match 经济 … 发展 apart.
    apart = {a for a, (t, b) in texts.items() if "经济" in b and "发展" in b and "经济发展" not in b + t}
    assert apart and not (_hits(engine, "经济发展") & apart)


def test_traditional_query_finds_simplified_text_and_back(corpus, tmp_path):
    _, engine, texts, _ = corpus
    both = _containing(texts, "经济发展") | _containing(texts, "經濟發展")
    assert _containing(texts, "經濟發展") and _containing(texts, "经济发展")  # the corpus has both scripts
    assert _hits(engine, "經濟發展") == _hits(engine, "经济发展") == both
    assert _hits(engine, "鎔基") == _hits(engine, "镕基")
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "vault.toml").write_text("", "utf-8")
    _config, small = open_vault(vault)
    _insert(small, "voa", 1, "臺灣選舉結果", "<p>總統選舉的投票率創新高。</p>", 1_600_000_000_000)
    update_index(small)
    with small.connect() as conn:
        assert [h.id for h in search(conn, "台湾选举")] == [1]
        assert [h.id for h in search(conn, "总统选举")] == [1]
        assert search(conn, "总统选举")[0].snippet_marks  # highlighted in the Traditional text


def test_latin_words_and_numbers(corpus):
    _, engine, texts, _ = corpus
    word_start = re.compile(r"(?:^|[^0-9a-z])g20")
    expected = {a for a, (t, b) in texts.items() if word_start.search(fold(t)) or word_start.search(fold(b))}
    assert expected and _hits(engine, "G20") == expected == _hits(engine, "ｇ２０")
    # A Latin word and the Chinese beside it match with or without a space or punctuation between.
    mixed = _hits(engine, "G20财长")
    adjacent = re.compile(r"(?:^|[^0-9a-z])g20[\W_]*财长")
    assert _containing(texts, "G20财长") < mixed
    assert mixed == {a for a, (t, b) in texts.items() if adjacent.search(fold(t)) or adjacent.search(fold(b))}


def test_ranking_title_hits_first_then_newest(corpus):
    _, engine, _, _rows = corpus
    with engine.connect() as conn:
        hits = search(conn, "香港", limit=None)
    in_title = [bool(h.title_marks) for h in hits]
    assert in_title == sorted(in_title, reverse=True) and True in in_title and False in in_title
    first = [h.date_ms for h in hits if h.title_marks]
    dated = [d for d in first if d is not None]
    assert dated == sorted(dated, reverse=True)
    assert first == dated + [None] * (len(first) - len(dated))  # undated articles (imported) come last
    with engine.connect() as conn:
        page = search(conn, "香港", limit=5, offset=5)
    assert [h.article_id for h in page] == [h.article_id for h in hits[5:10]]


def _cli(vault: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--vault", str(vault), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_json_limit_and_filters(corpus):
    vault, _engine, texts, rows = corpus
    code, out = _cli(vault, "search", "新冠", "--json", "--limit", "0")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == len(_containing(texts, "新冠"))
    assert set(lines[0]) >= {"abbr", "id", "title", "link", "date_ms", "snippet"}
    first = lines[0]
    assert any(
        r["source"] == first["abbr"] and r["archive_id"] == first["id"] and r["title"] == first["title"]
        for r in rows.values()
    )
    code, out = _cli(vault, "search", "新冠", "--json")
    assert len(out.splitlines()) == 20
    code, out = _cli(vault, "search", "新冠", "--json", "--limit", "0", "--source", "voa")
    voa = [json.loads(line) for line in out.splitlines()]
    assert voa and {h["abbr"] for h in voa} == {"voa"}
    assert len(voa) == len({a for a in _containing(texts, "新冠") if rows[a]["source"] == "voa"})
    code, out = _cli(vault, "search", "新冠", "--json", "--limit", "0", "--since", "2020-07-15")
    recent = [json.loads(line) for line in out.splitlines()]
    since = 1594742400000  # 2020-07-15 00:00 in China time, where every date is read
    assert recent and all(h["date_ms"] >= since for h in recent)
    # An undated article has no date: no `since` takes it (it used to count as dated when imported).
    assert len(recent) == len(
        {a for a in _containing(texts, "新冠") if rows[a]["date_ms"] is not None and rows[a]["date_ms"] >= since}
    )
    code, out = _cli(vault, "search", "这个词不存在于任何文章")
    assert code == 1 and out == "search: no article holds '这个词不存在于任何文章'\n"


def _insert(engine, source: str, archive_id: int, title: str, body: str, date_ms: int) -> None:
    with engine.begin() as conn:
        store_sources.ensure(conn, source, source, None)
        conn.execute(
            articles.insert().values(
                source=source,
                archive_id=archive_id,
                link=f"https://x.example/{archive_id}",
                title=title,
                body=body,
                date_ms=date_ms,
                first_seen_ms=date_ms,
                last_seen_ms=date_ms,
            )
        )


def test_run_indexes_new_and_changed_articles(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(rss_item("标题一", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>第一篇讲水稻育种。</p>")),
    )
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    assert _hits(engine, "水稻") and not _hits(engine, "小麦")
    server.set(
        "/f.xml",
        rss(
            rss_item("标题一", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>第一篇改讲小麦育种。</p>"),
            rss_item("标题二", "https://a.example/2", "Thu, 02 May 2024 12:00:00 GMT", "<p>玉米</p>"),
        ),
    )
    run_once(config, engine)
    assert _hits(engine, "小麦") and not _hits(engine, "水稻") and _hits(engine, "玉米")
    assert update_index(engine) == 0  # nothing left to do
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_docs")).scalar() == 2


def test_reindex_rebuilds_the_same_index(tmp_path):
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "vault.toml").write_text("", "utf-8")
    _config, engine = open_vault(vault)
    for i in range(1, 6):
        _insert(engine, "rfi", i, f"第{i}条", f"<p>新闻内容{i} 维吾尔族</p>", 1_600_000_000_000 + i)
    with engine.begin() as conn:  # an index that lost its rows
        conn.execute(text("DELETE FROM search_docs"))
    code, out = _cli(vault, "reindex")
    assert code == 0 and "5 article(s)" in out
    assert _hits(engine, "维吾尔") == _hits(engine, "吾尔族") and len(_hits(engine, "吾")) == 5
    with engine.connect() as conn:
        assert [h.id for h in search(conn, "维吾尔")] == [5, 4, 3, 2, 1]  # newest first


def test_postgresql_index_answers_the_same(pg_url):
    """The same tokens in a tsvector('simple') with a GIN index (skipped without a server on 127.0.0.1:5432)."""
    from newsvault.store import open_store

    engine = open_store(pg_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (abbr, name) VALUES ('voa', 'voa')"))
    for i, (title, body) in enumerate(
        [("朱镕基回忆录", "<p>经济发展很快</p>"), ("臺灣選舉", "<p>經濟，發展</p>"), ("G20峰会", "<p>abc</p>")]
    ):
        with engine.begin() as conn:
            conn.execute(
                articles.insert().values(
                    source="voa",
                    archive_id=i,
                    link=f"https://x.example/{i}",
                    title=title,
                    body=body,
                    date_ms=1000 + i,
                    first_seen_ms=1000 + i,
                    last_seen_ms=1000 + i,
                )
            )
    assert update_index(engine) == 3
    with engine.connect() as conn:
        found = {q: [h.id for h in search(conn, q)] for q in ("镕基", "经济发展", "台湾", "基", "g20", "经济，发展")}
    engine.dispose()
    assert found == {"镕基": [0], "经济发展": [0], "台湾": [1], "基": [0], "g20": [2], "经济，发展": [1, 0]}


def _pg_store(url: str, titles: list[str]):  # type: ignore[no-untyped-def]
    """A PostgreSQL store of one outlet, voa, with an article of each title (newest last), not yet indexed."""
    from newsvault.store import open_store

    engine = open_store(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (abbr, name) VALUES ('voa', 'voa')"))
    _pg_add(engine, titles, 0)
    return engine


def _pg_add(engine, titles: list[str], first: int) -> None:  # type: ignore[no-untyped-def]
    from newsvault.store.imports import IMPORT_COLUMNS, insert_articles

    rows = [
        {
            "source": "voa",
            "archive_id": 1_048_574 - i,
            "link": f"https://x.example/{i}",
            "title": title,
            "body": "<p>经济发展很快</p>",
            "date_ms": 1_600_000_000_000 + i,
            "first_seen_ms": 1_600_000_000_000 + i,
            "last_seen_ms": 1_600_000_000_000 + i,
            "imported": True,
        }
        for i, title in enumerate(titles, first)
    ]
    with engine.begin() as conn:
        insert_articles(conn, [tuple(row.get(c) for c in IMPORT_COLUMNS) for row in rows])


def test_postgresql_plans_searches_from_statistics_of_what_was_indexed(pg_url):
    """After a large update the index's table is analysed: its statistics were the empty table's, and a phrase
    every article holds was planned as a bitmap of all hits then a sort (0.3 s at 200,000, not 0.1 ms)."""
    from newsvault.search.tokens import phrases, tsquery

    def counted(engine) -> float:  # type: ignore[no-untyped-def]
        with engine.connect() as conn:
            return conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'search_docs'")).scalar_one()

    engine = _pg_store(pg_url, [f"第{i}篇 经济发展" for i in range(2_000)])
    assert counted(engine) <= 0  # as migrations left it: analysed empty, or never
    assert update_index(engine) == 2_000
    assert counted(engine) == 2_000
    with engine.connect() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN SELECT d.key FROM search_docs d WHERE d.title_tsv @@ to_tsquery('simple', :q)"
                " ORDER BY d.key DESC LIMIT 31"
            ),
            {"q": tsquery(phrases("经济发展"))},
        ).scalars()
        assert "Index Scan Backward" in "\n".join(plan)  # down the keys, stopping at the page
    _pg_add(engine, [f"第{i}篇 经济发展" for i in range(2_000, 2_030)], 2_000)
    assert update_index(engine) == 30 and counted(engine) == 2_000  # few beside those counted: no new statistics
    engine.dispose()


def test_postgresql_searches_read_no_pending_list_of_the_index(pg_url):
    """An update leaves nothing in the GIN indexes' pending lists, which every search read through (3.5 ms a
    lookup at 200,000 articles, until autovacuum came by; this machine's server has it off)."""
    engine = _pg_store(pg_url, [f"第{i}篇 经济发展" for i in range(300)])
    assert update_index(engine) == 300
    with engine.begin() as conn:
        left = [
            conn.execute(text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": i}).scalar_one()
            for i in ("ix_search_docs_tsv", "ix_search_docs_title_tsv")
        ]
    engine.dispose()
    assert left == [0, 0]  # pages it would have merged


def test_postgresql_finds_a_phrase_in_no_title_without_reading_every_document(pg_url):
    """A phrase with one token in every title and one in none: the planner, estimating the missing token at
    0.5%, walked every key for a page and found nothing (from 50,000 documents on; 0.2–0.4 s at 200,000, while
    the reader's other pages waited). Now the newest WINDOW documents are read, then the GIN index asked."""
    from newsvault.search.tokens import phrases, tsquery
    from newsvault.store import open_store, search_index

    engine = open_store(pg_url)
    with engine.begin() as conn:  # the index's rows alone, made by the server: 50,000 in half a second
        conn.execute(
            text(
                "INSERT INTO search_docs (key, article_id, source, date_ms, has_body, sha256, title, title_tsv, tsv)"
                " SELECT n, n, 'voa', n, true, '', '报道 经济', to_tsvector('simple', '报道 经济'),"
                " to_tsvector('simple', '报道 经济') FROM generate_series(1, 50000) AS n"
            )
        )
        search_index.after_update(conn, 50_000)
    with engine.connect() as conn:
        fetched = (  # rows of search_docs read so far in this transaction: by a scan, by the GIN index, by a key index
            "SELECT pg_stat_get_xact_tuples_returned(indrelid) + pg_stat_get_xact_tuples_fetched(indrelid)"
            " + sum(pg_stat_get_xact_tuples_fetched(indexrelid)) FROM pg_index"
            " WHERE indrelid = CAST('search_docs' AS regclass) GROUP BY indrelid"
        )
        before = conn.execute(text(fetched)).scalar_one()
        found = search_index.matching_keys(
            conn, tsquery(phrases("报道经")), title_only=True, source=None, since_ms=None, limit=31
        )
        read = conn.execute(text(fetched)).scalar_one() - before
    engine.dispose()
    assert found == []  # 道经 is in no title
    assert read <= search_index.WINDOW  # not all 50,000


def test_postgresql_finds_the_newest_hits_whichever_way_it_reads(pg_url, monkeypatch):
    """Common, rare and absent phrases, by outlet and since a date, up to each limit a page or a count asks:
    the same keys as every hit sorted, whether the window holds them all, the keys are walked on, or the
    GIN index is asked for the rest."""
    from newsvault.search.tokens import phrases, tsquery
    from newsvault.store import search_index

    monkeypatch.setattr(search_index, "WINDOW", 100)  # COMMON: 5 of them
    titles = [
        "罕见的消息" if i % 97 == 0 else "经济发展的报道" if i % 10 == 0 else "人权状况的报道" for i in range(3_000)
    ]
    engine = _pg_store(pg_url, titles)
    update_index(engine)
    with engine.connect() as conn:
        for query in ("经济发展", "人权", "罕见", "报道", "消息报道", "的"):
            for title_only, source, since_ms in itertools.product(
                (True, False), (None, "voa"), (None, 1_600_000_000_000 + 1_500)
            ):
                keys = partial(
                    search_index.matching_keys,
                    conn,
                    tsquery(phrases(query)),
                    title_only=title_only,
                    source=source,
                    since_ms=since_ms,
                )
                every = keys(limit=None)
                assert every == sorted(every, reverse=True)
                for limit in (1, 31, 62, 1001):
                    assert keys(limit=limit) == every[:limit], (query, title_only, source, since_ms, limit)
    engine.dispose()


def test_fold_is_the_table_for_every_code_point():
    """fold's fast lookup list gives what the table says, character for character, for all of Unicode."""
    from newsvault.search.fold import _table

    table = _table()
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert fold(every) == "".join(table.get(ord(ch), ch) for ch in every)


def test_a_command_folds_its_few_characters_without_making_the_whole_table(monkeypatch):
    """Folding a text on its own gives the table's answer for every code point, and a query does not make the table."""
    import sys

    from newsvault.search.fold import _changes, _dense

    monkeypatch.setattr(sys.modules["newsvault.search.fold"], "_folded_alone", [0])  # as in a new command

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert every.translate(_changes(every)) == fold(every)
    _dense.cache_clear()
    try:
        assert fold("中華民國ＡＢＣ１２３\u3000ΩЖÉ g20") == "中华民国abc123 ωжé g20"
        assert _dense.cache_info().currsize == 0
    finally:
        _dense.cache_clear()


@pytest.mark.sqlite_only("migration 0008 remakes SQLite's FTS5 tables; PostgreSQL's index is unchanged")
def test_a_store_indexed_before_0008_is_indexed_again_after_the_upgrade(tmp_path):
    """Migration 0008 replaces SQLite's index tables; the next update_index fills them from the articles."""
    from alembic import command

    from newsvault.store import open_store
    from newsvault.store.engine import _alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = open_store(url, upgrade=False)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    _insert(engine, "voa", 1, "朱镕基回忆录", "<p>经济发展很快</p>", 1_600_000_000_000)
    with engine.begin() as conn:  # indexed as 0006 made it: source, title, body with a prefix index
        conn.execute(
            text(
                "INSERT INTO search_docs (key, article_id, source, date_ms, stamp, has_body, sha256, title, text) "
                "SELECT 16000000000000000, id, source, date_ms, updated_ms, 1, 'x', title, '经济发展很快' FROM articles"
            )
        )
        conn.execute(
            text(
                "INSERT INTO search_fts (rowid, source, title, body) "
                "VALUES (16000000000000000, 'voa', '朱镕 镕基 基回 回忆 忆录 录', '经济 济发 发展 展很 很快 快')"
            )
        )
    engine.dispose()
    engine = open_store(url)
    assert update_index(engine) == 1
    assert _hits(engine, "镕基") == _hits(engine, "基") == _hits(engine, "經濟發展") != set()
    assert _hits(engine, "经发") == set()


def test_a_store_indexed_before_0017_keeps_its_index_without_the_kept_text(tmp_path):
    """Migration 0017 drops search_docs.text: its lengths stay, nothing is indexed again, snippets come from bodies."""
    from newsvault.store import open_store

    url = f"sqlite:///{tmp_path / 'vault.sqlite'}"
    engine = open_store(url)
    sentence = "经济发展很快，台湾选举在即。"
    for i in range(1, 201):
        _insert(
            engine, "voa", i, f"回忆录{i}", f"<p>{sentence * 60}</p><p>朱<b>镕基</b>说{i}</p>", 1_600_000_000_000 + i
        )
    assert update_index(engine) == 200
    downgrade(engine, "0018")
    with engine.begin() as conn:  # the table as 0006 made it and 0016 left it: the plain text kept in `text`
        conn.execute(text("ALTER TABLE search_docs ADD COLUMN text TEXT NOT NULL DEFAULT ''"))
        for article_id, body in conn.execute(select(articles.c.id, articles.c.body)).all():
            conn.execute(
                text("UPDATE search_docs SET text = :t WHERE article_id = :a"), {"t": plain_text(body), "a": article_id}
            )
        conn.execute(text("ALTER TABLE search_docs DROP COLUMN plain_length"))
        for index in ("ix_articles_guid", "ix_articles_link"):  # and the indexes of links and guids before 0018
            conn.execute(text(f"DROP INDEX {index}"))
        conn.execute(text("CREATE INDEX ix_articles_source_link ON articles (source, link)"))
        conn.execute(text("CREATE INDEX ix_articles_source_guid ON articles (source, guid) WHERE guid IS NOT NULL"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0016'"))
    sqlite = engine.dialect.name == "sqlite"
    pages = _pages(engine) if sqlite else None
    engine.dispose()

    engine = open_store(url)
    with engine.connect() as conn:
        lengths = dict(conn.execute(text("SELECT article_id, plain_length FROM search_docs")).all())
        bodies = dict(conn.execute(select(articles.c.id, articles.c.body)).all())
        assert lengths == {a: len(plain_text(body)) for a, body in bodies.items()}
        with pytest.raises(Exception, match="text"):
            conn.execute(text("SELECT text FROM search_docs"))
    if pages is not None:  # VACUUM gave the text's pages back: not carried in every Actions cache
        now = _pages(engine)
        assert now[0] < pages[0] * 0.7 and now[1] == 0, (pages, now)
    assert update_index(engine) == 0  # the documents are as they were: nothing to index again
    with engine.connect() as conn:
        hit = {h.id: h for h in search(conn, "镕基说7", limit=None)}[7]
    assert hit.snippet.endswith("朱镕基说7") and hit.snippet[hit.snippet_marks[0][0] :] == "镕基说7"


def _pages(engine) -> tuple[int, int]:
    """SQLite's (pages in the file, free ones)."""
    with engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar_one() for p in ("page_count", "freelist_count"))


@pytest.mark.parametrize(
    "head",
    [
        "Tue, 13 Oct 2020 06:09:02 GMT\n",
        "2022-04-11T08:12:20Z\n",
        "Thomas Latschan\n2025-02-15T08:03:55.243Z\n",
        "26/09/2023 - 10:44\n",
        "DAVID WALLACE-WELLS\n2025年2月14日\n",
    ],
)
def test_snippets_start_after_the_feeds_date_line(head):
    """Feeds put the publication time (and a byline) above the text: a snippet opens with the text."""
    text = head + "特朗普已分别与俄乌总统通电话。" + "和平计划" * 10
    shown, marks = snippet(text, ["特朗普"])
    assert shown.startswith("…特朗普已分别") and marks[0] == (1, 4)  # "…": the date line was left out
    title_only, _ = snippet(text, ["不在正文"])
    assert title_only.startswith("…特朗普已分别")
    in_the_date, marks = snippet(text, ["2025"]) if "2025" in head else ("", [])
    assert not marks or in_the_date[marks[0][0] : marks[0][1]] == "2025"  # a hit in the date line is shown


def test_bodies_lxml_would_refuse_stop_neither_the_index_nor_search(tmp_path):
    """A body that begins like a whole document without a <body>, or holds two, is text like any other.

    lxml.html's fragment parser failed on both (AssertionError): one such body, imported
    from an old tree or kept from a hostile feed, stopped every index build.
    """
    from newsvault.store import open_store

    engine = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    _insert(engine, "voa", 1, "文档", "<html><head><title>头条</title></head></html>", 1_600_000_000_000)
    _insert(engine, "voa", 2, "两个", "<body>甲</body><body>乙方</body>", 1_600_000_001_000)
    _insert(engine, "voa", 3, "正常", "<p>经济</p>", 1_600_000_002_000)
    assert update_index(engine) == 3
    assert _hits(engine, "经济") == {3} and _hits(engine, "乙方") == {2} and _hits(engine, "头条") == {1}
    with engine.connect() as conn:
        assert search(conn, "乙方")[0].snippet == "甲乙方"


def test_a_latin_word_of_any_length_is_looked_up_as_a_prefix(tmp_path):
    """Tantivy compiles a prefix's regex into at most 1,000 states: a word of ~980 letters (490 of two bytes)
    was a ValueError, the reader's 500 and `search`'s traceback. A pasted token, a hash or a base64 blob is one."""
    _, engine = open_vault(write_vault(tmp_path, {}))
    word = "QmFzZTY0" * 100 + "ж" * 300  # 1,400 bytes: PostgreSQL indexes no word over 2,047
    _insert(engine, "voa", 1, "长词", f"<p>前文 {word}xyz 后文</p>", 1_600_000_000_000)
    _insert(engine, "voa", 2, "短词", "<p>前文 QmFzZTY0 后文</p>", 1_600_000_001_000)
    assert update_index(engine) == 2
    assert _hits(engine, word) == {1}  # the start of the word "…xyz"
    assert _hits(engine, word + "xyz") == {1}
    assert _hits(engine, word + "xyq") == set()
    assert _hits(engine, "a" * 5000) == set()
    assert _hits(engine, "QmFzZTY0") == {1, 2}


def _generated(engine, count: int) -> None:
    """`count` articles over three outlets, in no date order, a tenth undated: which titles and texts hold 经济
    (发展) or 社会 depends on the article, so every query below has hits in both, one or neither."""
    rng = random.Random(5)
    rows = []
    for i in range(count):
        title = f"第{i}篇 " + ("经济发展" if i % 3 == 0 else "社会新闻")
        body = "<p>" + ("报道经济" if i % 2 == 0 else "报道民生") + ("和社会" if i % 5 == 0 else "") + "。</p>"
        date_ms = None if i % 10 == 7 else 1_600_000_000_000 + rng.randrange(10**9)
        source = ("voa", "rfa", "bbc")[i % 3 if i % 4 else 0]
        rows.append(
            {
                "source": source,
                "archive_id": i + 1,
                "link": f"https://x.example/{i}",
                "title": title,
                "body": body,
                "date_ms": date_ms,
                "first_seen_ms": 1_600_000_000_000,
                "last_seen_ms": 1_600_000_000_000,
            }
        )
    with engine.begin() as conn:
        for source in ("voa", "rfa", "bbc"):
            store_sources.ensure(conn, source, source, None)
        conn.execute(articles.insert(), rows)


def test_pages_found_among_the_newest_are_the_pages_of_the_whole_index(tmp_path, monkeypatch):
    """A page is looked for among the newest documents first (SQLite's index, `apart._rank`): wherever it
    is found, it is the same page as ordering every hit gives, for every query, outlet, date and offset."""
    from newsvault.search import apart
    from newsvault.store import open_store

    engine = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    _generated(engine, 900)
    assert update_index(engine) == 900
    with engine.connect() as conn:
        every = {
            (query, tuple(option.items())): [h.article_id for h in search(conn, query, limit=None, **option)]
            for query in ("经济", "经济发展", "社会", "报道 社会", "第1", "民生 经济", "不存在")
            for option in ({}, {"source": "rfa"}, {"since_ms": 1_600_500_000_000})
        }
    assert len(every[("经济", ())]) == 600 and len(every[("民生 经济", ())]) > 100 and not every[("不存在", ())]
    windows, real = [], apart._rank

    def window(*args, **kwargs):
        windows.append(real(*args, **kwargs))
        return windows[-1]

    if engine.dialect.name == "sqlite":
        monkeypatch.setattr(apart, "FEW", 0)  # every query is common here: windows are tried for all of them
        monkeypatch.setattr(apart, "ROOMY", 1)  # and some of them hold too few hits, so the whole index is searched
        monkeypatch.setattr(apart, "_rank", window)
    with engine.connect() as conn:
        for (query, option), whole in every.items():
            for limit, offset in ((1, 0), (5, 0), (21, 0), (10, 20), (7, 300), (30, 610)):
                page = [h.article_id for h in search(conn, query, limit=limit, offset=offset, **dict(option))]
                assert page == whole[offset : offset + limit], (query, option, limit, offset)
    if engine.dialect.name == "sqlite":
        assert any(w is not None for w in windows) and None in windows


@pytest.mark.sqlite_only("SQLite's index is a Tantivy folder beside the store; PostgreSQL's is in the database")
def test_the_index_folder_beside_the_store_is_derived(tmp_path):
    """search-index/ can be deleted at any time; a batch replayed after a kill leaves one document per article."""
    import shutil

    from newsvault.search import apart
    from newsvault.store import open_store

    engine = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    _insert(engine, "voa", 1, "朱镕基回忆录", "<p>经济发展很快，台湾选举</p>", 1_600_000_000_000)
    _insert(engine, "voa", 2, "别的", "<p>朱，镕基 G20财长</p>", 1_600_000_001_000)
    assert update_index(engine) == 2
    folder = tmp_path / "search-index"
    assert (folder / "meta.json").exists() and "search_fts" not in _tables(engine)
    assert _hits(engine, "镕基") == {1, 2} and _hits(engine, "朱镕基") == {1} and _hits(engine, "臺灣") == {1}
    assert _hits(engine, "g20財長") == {2} and _hits(engine, "g2") == {2} and _hits(engine, "录") == {1}
    shutil.rmtree(folder)
    assert _hits(engine, "镕基") == set()  # nothing indexed yet, nothing wrong found
    assert update_index(engine) == 2 and _hits(engine, "镕基") == {1, 2}
    # Killed between Tantivy's commit and the store's: the store forgets, the replay replaces by article id.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM search_docs"))
    assert _hits(engine, "镕基") == set()  # documents without a row are skipped
    assert update_index(engine) == 2 and _hits(engine, "镕基") == {1, 2}
    side = apart.for_engine(engine)
    assert side is not None
    side.index.reload()
    assert side.index.searcher().num_docs == 2


def _tables(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}


@pytest.mark.sqlite_only("SQLite's index is a Tantivy folder beside the store; PostgreSQL's is in the database")
def test_an_index_folder_of_an_older_format_is_made_again_once_and_said(tmp_path):
    """A folder made by an older version (other tokens) would answer wrongly: it is rebuilt, and the CLI says so."""
    from newsvault.search import apart

    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "vault.toml").write_text("", "utf-8")
    _config, engine = open_vault(vault)
    _insert(engine, "voa", 1, "朱镕基回忆录", "<p>经济发展很快，G20财长</p>", 1_600_000_000_000)
    assert update_index(engine) == 1
    mark = vault / "search-index" / apart.FORMAT_FILE
    assert mark.read_text("utf-8").strip() == apart.FORMAT
    mark.write_text("1\n", "utf-8")  # as the regex-tokenizer folders of migration 0011 are (they have no mark at all)
    apart._OPEN.clear()  # a new process would open the folder afresh
    code, out = _cli(vault, "search", "镕基")
    assert code == 0 and "made by an older version" in out and "朱镕基回忆录" in out
    assert mark.read_text("utf-8").strip() == apart.FORMAT
    code, out = _cli(vault, "search", "g20財長")
    assert code == 0 and "older version" not in out and "朱镕基回忆录" in out


def test_workers_and_read_ahead_make_the_same_index(corpus, tmp_path):
    """From `parallel` articles, worker processes prepare each batch and the next is read ahead: the same index.

    The corpus fixture indexed in one process (under PARALLEL); here the same
    articles in batches of 1,000 go through the workers, each batch handed to
    them while the one before is committed. Then articles whose stamp moved
    without a change are read ahead with the changed ones, and only the changed
    ones are indexed again.
    """
    from newsvault.store import open_store

    _, engine, texts, rows = corpus
    copy = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    with copy.begin() as conn:
        for source in {r["source"] for r in rows.values()}:
            store_sources.ensure(conn, source, source, None)
        conn.execute(
            articles.insert(),
            [
                # archive_id: the id, as the 2020 snapshot has files of one source with the same number
                {**dict(r), "archive_id": a, "link": "https://x.example/", "first_seen_ms": 1, "last_seen_ms": 1}
                for a, r in rows.items()
            ],
        )
    assert update_index(copy, batch=1000, parallel=1000) == len(rows) > 3000
    queries = [q for n, seed in ((1, 1), (2, 2), (4, 4)) for q in _sample_queries(texts, n, 5, seed)]
    for query in [*queries, "經濟發展", "G20", "covid"]:
        assert _hits(copy, query) == _hits(engine, query), query
    with copy.begin() as conn:
        conn.execute(text("UPDATE articles SET updated_ms = 2 WHERE id % 3 = 0"))  # the same content
        conn.execute(text("UPDATE articles SET title = '麦田守望者' || title, updated_ms = 3 WHERE id % 7 = 0"))
    changed = {a for a in rows if a % 7 == 0}
    assert update_index(copy, batch=300, parallel=1) == len(changed)
    assert _hits(copy, "麦田守望者") == changed
    assert _hits(copy, "經濟發展") == _hits(engine, "經濟發展")
    with copy.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_docs")).scalar() == len(rows)


@pytest.mark.sqlite_only("the store read through sqlite3 (newsvault.store.fast) is a SQLite file")
def test_search_through_sqlite3_answers_as_through_sqlalchemy(corpus):
    """`newsvault search` reads a current index and its rows without SQLAlchemy: the same hits, order and snippets."""
    from newsvault.search import count_hits, ready
    from newsvault.store import fast

    _vault, engine, texts, _rows = corpus
    queries = ["新冠", "新冠病毒", "國", "中", "香港 国安法", "習近平", "g20", "新冠肺炎疫情", "这个词不存在于任何文章"]
    queries += _sample_queries(texts, 1, 5, 31) + _sample_queries(texts, 2, 5, 32) + _sample_queries(texts, 4, 5, 34)
    since = 1594742400000  # 2020-07-15 in China time
    options = [{}, {"limit": None}, {"source": "voa"}, {"since_ms": since}, {"limit": 5, "offset": 5}]
    with fast.reading(engine.url.render_as_string()) as db, engine.connect() as conn:
        assert db is not None and ready(db)
        for query in queries:
            for option in options:
                assert search(db, query, **option) == search(conn, query, **option), (query, option)
            assert count_hits(db, query, upto=10**6) == count_hits(conn, query, upto=10**6)
        assert len(search(db, "新冠", limit=None)) == len(_containing(texts, "新冠"))  # not empty answers compared


@pytest.mark.sqlite_only("the store read through sqlite3 (newsvault.store.fast) is a SQLite file")
def test_cli_search_imports_no_sqlalchemy_unless_the_index_must_catch_up(tmp_path):
    """The search command's own process: SQLAlchemy and the other heavy packages only when there is indexing to do.

    Their import alone was more than the 200 ms of issue 15 at 200,000 articles.
    Into a pipe the hits are printed without rich (30–40 ms to import); lxml only to make snippets.
    A store changed since the index was updated is indexed first, as always.
    """
    import subprocess
    import sys

    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "vault.toml").write_text("", "utf-8")
    _config, engine = open_vault(vault)
    _insert(engine, "voa", 1, "朱镕基回忆录", "<p>经济发展很快</p>", 1_600_000_000_000)
    assert update_index(engine) == 1
    heavy = ["aiohttp", "alembic", "feedparser", "html5lib", "jinja2", "lxml", "procrastinate", "psycopg"]
    heavy += ["readability", "rich", "sqlalchemy", "starlette", "uvicorn"]  # rich: only for a terminal
    program = (
        "import sys\n"
        "from newsvault.cli import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], prog_name='newsvault')\n"
        "except SystemExit as stop:\n"
        f"    print('exit', stop.code, sorted({{m.split('.')[0] for m in sys.modules}} & {set(heavy)!r}))\n"
    )

    def searched(query: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", program, "--vault", str(vault), "search", query],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        )
        return done.stdout.splitlines()

    # lxml makes the snippets from the hits' bodies (the store keeps no plain text): only when there are hits.
    assert searched("镕基") == ["voa/1  2020-09-13  朱镕基回忆录", "    经济发展很快", "exit 0 ['lxml']"]
    assert searched("不存在") == ["exit 1 []"]
    # Added after the index was updated: the command indexes it (through SQLAlchemy), then finds it.
    _insert(engine, "voa", 2, "水稻育种", "<p>杂交水稻</p>", 1_600_000_001_000)
    found = searched("水稻")
    assert found[:2] == ["voa/2  2020-09-13  水稻育种", "    杂交水稻"] and found[2].startswith("exit 0 [")
    assert "'sqlalchemy'" in found[2]  # the way through open_store and update_index
    assert searched("水稻")[-1] == "exit 0 ['lxml']"  # and the next search reads the index as it is
    # Changed in place (the store stamps updated_ms), not added: found as it is now, not as it was.
    with engine.begin() as conn:
        conn.execute(articles.update().where(articles.c.archive_id == 2).values(body="<p>小麦</p>", updated_ms=1))
    found = searched("小麦")
    assert found[1] == "    小麦" and found[2].startswith("exit 0 [") and "'sqlalchemy'" in found[2]
    assert searched("杂交") == ["exit 1 []"]


def test_an_update_stamped_ahead_of_the_clock_does_not_hide_later_updates_from_the_index(tmp_path):
    """The index's mark was the newest `updated_ms`: one stamped a day ahead (a worker's wrong clock) pinned
    it there, and every update stamped by a right clock afterwards was behind it, never indexed."""
    from newsvault.base.clock import now_ms
    from newsvault.store import open_store

    engine = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    _insert(engine, "voa", 1, "标题一", "<p>水稻</p>", 1_714_564_800_000)
    _insert(engine, "voa", 2, "标题二", "<p>玉米</p>", 1_714_564_800_000)
    with engine.begin() as conn:  # far above the first: the ids the index looks back at leave it out
        conn.execute(articles.update().where(articles.c.archive_id == 2).values(id=5_000))
    update_index(engine)

    def edit(archive_id: int, body: str, stamp: int) -> None:
        with engine.begin() as conn:
            conn.execute(
                articles.update().where(articles.c.archive_id == archive_id).values(body=body, updated_ms=stamp)
            )

    edit(2, "<p>小麦</p>", now_ms() + 86_400_000)  # by a clock a day ahead
    update_index(engine)
    edit(1, "<p>高粱</p>", now_ms())  # by a right one
    update_index(engine)
    assert _hits(engine, "小麦") and _hits(engine, "高粱") and not _hits(engine, "水稻")
