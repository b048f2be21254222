"""SQLite's search index: a Tantivy index in a folder beside the store (issue 15).

`DIR/search-index/` beside `DIR/vault.sqlite` is derived data: it can be
deleted at any time and is made again from the store (the next `run`,
`import`, `search`, `serve` or `newsvault reindex`). It is never part of
what the Actions workflow caches.

Every character of a CJK run is one token with its position, and each run
ends with a marker token (RUN_END), so a phrase of characters never chains
two runs across the punctuation or space between them; a Latin word or
number is one token. The markers are put in with one regular expression;
folding (Simplified ⇄ Traditional, width, case) and spacing every token
apart are one `str.translate` (`spaced`), so Tantivy's whitespace tokenizer
only splits at spaces: its regular expression tokenizer cost four times as
much CPU as the whitespace one, and the index build is CPU-bound.

Text:  "朱镕基说G20" -> 朱 镕 基 说 ◇ g20  (spaced: " 朱 镕 基 说 ◇ g20")
Query: "镕基" -> phrase 镕 基      "基" -> term 基      "G2" -> regex g2.*

Crash safety: a batch is committed to Tantivy before the store's transaction
that records it (`search_docs`), and every batch first deletes what it adds by
article id, so a batch replayed after a kill leaves one document per article.
A folder that is missing, cannot be opened or is of an older format (FORMAT,
in its FORMAT_FILE) is made again, and the store's `search_docs` emptied so
that everything is indexed again.
"""

from __future__ import annotations

import re
import shutil
import sys
import threading
from array import array
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tantivy

from .fold import _dense, _table
from .tokens import _CJK, segments

if TYPE_CHECKING:
    from sqlalchemy import Engine

FOLDER = "search-index"
FORMAT_FILE = "newsvault-format"
FORMAT = "2"  # 1: Tantivy's regex tokenizer; 2: text spaced by `marked` for its whitespace tokenizer
RUN_END = "\ue000"  # private use: ends each CJK run
HEAP = 512_000_000  # bytes for the writer, split between its threads
THREADS = 2
# A search for the newest few of many hits looks among the newest documents first: ordering every hit of a query
# that all 200,000 articles match took 10 ms (titles) to 32 ms (anywhere), the newest 84 of them 0.2 ms (SEARCH.md).
REGEX_PREFIX_MAX = 256  # bytes of a word looked up as a prefix by regex; longer, as a phrase prefix
ROOMY = 4  # the newest documents looked among first: where this many times the hits asked for are expected
FEW = (
    5000  # documents holding a query's rarest token below which every hit is ordered at once (the window is no cheaper)
)

# A class of the CJK ranges takes 2–6 ms to compile; what only indexing needs is compiled when first indexing.
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKENIZER = "newsvault-spaced"


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("key", indexed=True, fast=True)
    b.add_integer_field("article_id", indexed=True)
    b.add_text_field("source", tokenizer_name="raw", index_option="basic")
    b.add_text_field("title", tokenizer_name=_TOKENIZER, index_option="position")
    b.add_text_field("body", tokenizer_name=_TOKENIZER, index_option="position")
    return b.build()


SCHEMA = _schema()
_ANALYZER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


@cache
def _spaced() -> list[int | str]:
    """Code point → what the whitespace tokenizer is given: fold's character, spaced apart unless it is part of a word.

    A CJK character (after folding) has a space before it, RUN_END one on
    each side, a character of a Latin word stays as it folds (joined to its
    neighbours), anything else is a space. A CJK character needs no space
    after it: what follows it is another CJK character or the RUN_END that
    `marked` put after its run, both starting with a space (two characters
    an article's CJK character instead of three: a tenth less translating,
    and less to pickle, encode and tokenize). The six characters that fold
    out of the CJK ranges (into extension G) end their run with a marker of
    their own.
    """
    every = array("I", range(sys.maxunicode + 1)).tobytes().decode("utf-32-le", "surrogatepass")  # 4× "".join
    folded = every.translate(_dense())
    table: list[int | str] = list(range(len(every)))
    for c, ch in _table().items():
        table[c] = ch
    separators = re.compile(f"(?:[^\\w{_CJK}]|_)+")  # neither CJK nor part of a word
    cjk_char = re.compile(f"[{_CJK}]")
    for m in separators.finditer(folded):
        table[m.start() : m.end()] = [" "] * (m.end() - m.start())
    for m in _CJK_RUN.finditer(every):
        for c in range(m.start(), m.end()):
            if not cjk_char.match(folded[c]):
                table[c] = f" {RUN_END} {folded[c]}"
    for m in _CJK_RUN.finditer(folded):
        table[m.start() : m.end()] = [f" {ch}" for ch in m.group()]
    table[ord(RUN_END)] = f" {RUN_END} "
    return table


@cache
def _run_ends() -> re.Pattern[str]:
    """Where a CJK run ends. Replaced by a literal: no template to expand per match. The lookahead first: it
    fails at once inside a run (most positions), so the lookbehind is asked only where a run may end (48 → 42 µs
    an article)."""
    return re.compile(f"(?![{_CJK}])(?<=[{_CJK}])")


def marked(text: str) -> str:
    """`text` with RUN_END after each CJK run, folded and spaced: what Tantivy's whitespace tokenizer indexes."""
    return _run_ends().sub(RUN_END, text).translate(_spaced())


class Apart:
    """The index folder of one SQLite store (in memory for an in-memory store)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.created = False
        self.why: str | None = None  # why an existing folder was made again, for the person at the CLI
        self.lock = threading.Lock()
        self.index = self._open()
        self._floors: tuple[int, dict[tuple[str | None, int], int | None]] = (-1, {})  # num_docs, (source, rank): key

    def _make(self, reuse: bool) -> tantivy.Index:
        if self.path is None:
            index = tantivy.Index(SCHEMA)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(SCHEMA, path=str(self.path), reuse=reuse)
        index.register_tokenizer(_TOKENIZER, _ANALYZER)
        return index

    def _open(self) -> tantivy.Index:
        if self.path is None or not (self.path / "meta.json").exists():
            return self._remade(None)
        mark = self.path / FORMAT_FILE
        if not mark.exists() or mark.read_text("utf-8").strip() != FORMAT:
            return self._remade("the search index was made by an older version: it is made again")
        try:
            return self._make(True)
        except Exception:  # unreadable or of another schema: derived data, made again
            return self._remade("the search index could not be read: it is made again")

    def _remade(self, why: str | None) -> tantivy.Index:
        """A new, empty index (after deleting what was there): everything is indexed again."""
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        self.created = True
        self.why = why
        index = self._make(False)
        if self.path is not None:
            (self.path / FORMAT_FILE).write_text(FORMAT + "\n", "utf-8")
        return index

    def writer(self) -> tantivy.IndexWriter:
        return self.index.writer(heap_size=HEAP, num_threads=THREADS)

    def clear(self) -> None:
        writer = self.writer()
        writer.delete_all_documents()
        writer.commit()
        writer.wait_merging_threads()

    @staticmethod
    def delete(writer: tantivy.IndexWriter, article_ids: Sequence[int]) -> None:
        """Delete these articles' documents (before adding them again; committed by the caller)."""
        for article_id in article_ids:
            writer.delete_documents_by_term("article_id", article_id)

    @staticmethod
    def add(writer: tantivy.IndexWriter, doc: Mapping[str, Any], title: str, body: str) -> None:
        """Add a document: its search_docs row (`doc`) with its title and text as `marked` made them."""
        writer.add_document(
            tantivy.Document(key=doc["key"], article_id=doc["article_id"], source=doc["source"], title=title, body=body)
        )

    def keys(
        self,
        found: Sequence[tuple[list[str], bool]],
        *,
        title_only: bool,
        source: str | None,
        since_key: int | None,
        limit: int | None,
    ) -> list[int]:
        """Keys of the documents holding every phrase, newest first.

        Tantivy orders every hit to return the newest: the newest documents are
        searched first when they are likely to hold `limit` hits. Found there,
        those are the newest of all (every other hit is older); the index is
        searched whole only when not.
        """
        searcher = self._searcher()
        total = searcher.num_docs
        if total == 0 or limit == 0:
            return []
        fields = ["title"] if title_only else ["title", "body"]
        limit = total if limit is None else min(limit, total)  # Tantivy makes room for `limit` hits
        if limit < total:
            rank = _rank(searcher, found, fields, source, limit)
            floor = None if rank is None else self._floor(searcher, source, rank)
            if floor is not None and (since_key is None or floor > since_key):
                newest = _newest(searcher, _query(found, fields, source, floor), limit)
                if len(newest) == limit:
                    return newest
        return _newest(searcher, _query(found, fields, source, since_key), limit)

    def _floor(self, searcher: tantivy.Searcher, source: str | None, rank: int) -> int | None:
        """The key of the `rank`th newest document (of `source`).

        Kept while the index holds as many documents: ~1 ms each to find, a
        search's largest cost after the window. A floor kept from before a change
        is still a floor, only of a wider window.
        """
        total = searcher.num_docs
        with self.lock:
            if self._floors[0] != total:
                self._floors = (total, {})
            if (source, rank) in self._floors[1]:
                return self._floors[1][source, rank]
        everything = tantivy.Query.all_query() if source is None else tantivy.Query.term_query(SCHEMA, "source", source)
        result = searcher.search(
            everything, limit=1, offset=rank - 1, count=False, order_by_field="key", order=tantivy.Order.Desc
        )
        floor = int(result.hits[0][0]) if result.hits else None
        with self.lock:
            if self._floors[0] == total:
                self._floors[1][source, rank] = floor
        return floor

    def _searcher(self) -> tantivy.Searcher:
        with self.lock:
            self.index.reload()
            return self.index.searcher()


def _newest(searcher: tantivy.Searcher, query: tantivy.Query, limit: int) -> list[int]:
    result = searcher.search(query, limit=limit, count=False, order_by_field="key", order=tantivy.Order.Desc)
    return [int(key) for key, _ in result.hits]


def _rank(
    searcher: tantivy.Searcher,
    found: Sequence[tuple[list[str], bool]],
    fields: list[str],
    source: str | None,
    limit: int,
) -> int | None:
    """How many of the newest documents (of `source`) likely hold `limit` hits, as a power of two (few floors to
    keep); None: search them all.

    Likely as the query's rarest token is common: its documents' share of the
    index, an upper bound of the hits' share, guesses how many of the newest
    documents to look among. When the guess is wrong the whole index is searched
    after all, at the cost of the window's search.
    """
    total = searcher.num_docs
    counts = [
        sum(searcher.doc_freq(field, token) for field in fields)
        for tokens, prefix in found
        for token in (tokens[:-1] if prefix else tokens)
    ]
    rarest = min(min(counts, default=total), total)
    if rarest < max(FEW, 1):  # none: nothing to find
        return None
    among = total if source is None else searcher.doc_freq("source", source)
    rank = 1 << (-(-limit * ROOMY * total // rarest) - 1).bit_length()
    return None if rank * 2 > among else rank


def _query(
    found: Sequence[tuple[list[str], bool]], fields: list[str], source: str | None, since_key: int | None
) -> tantivy.Query:
    """Every phrase in one of `fields`, of `source`, from `since_key` on."""
    must = [_either(fields, tokens, prefix) for tokens, prefix in found]
    if source is not None:
        must.append(tantivy.Query.term_query(SCHEMA, "source", source))
    if since_key is not None:
        must.append(tantivy.Query.range_query(SCHEMA, "key", tantivy.FieldType.Integer, since_key, None, True, True))
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])


def _field_query(field: str, tokens: list[str], prefix: bool) -> tantivy.Query:
    if len(tokens) == 1:
        if prefix and len(tokens[0].encode()) > REGEX_PREFIX_MAX:
            # Tantivy compiles a prefix's regex into at most 1,000 states (~980 bytes of it): a longer word
            # was a ValueError, a 500 of the reader. A phrase prefix has no such limit but reads only the
            # first 50 words it begins, which a prefix this long never comes near.
            return tantivy.Query.phrase_prefix_query(SCHEMA, field, list(tokens))
        if prefix:
            return tantivy.Query.regex_query(SCHEMA, field, re.escape(tokens[0]) + ".*")
        return tantivy.Query.term_query(SCHEMA, field, tokens[0])
    words: list[str | tuple[int, str]] = list(tokens)
    if prefix:
        return tantivy.Query.phrase_prefix_query(SCHEMA, field, words)
    return tantivy.Query.phrase_query(SCHEMA, field, words)


def _either(fields: list[str], tokens: list[str], prefix: bool) -> tantivy.Query:
    queries = [_field_query(f, tokens, prefix) for f in fields]
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def phrase(piece: str) -> tuple[list[str], bool]:
    """A folded piece of a query as tokens in order, and whether the last is a prefix (a Latin word)."""
    parts = segments(piece)
    tokens: list[str] = []
    for i, part in enumerate(parts):
        if _CJK_RUN.fullmatch(part):
            tokens += part
            if i < len(parts) - 1:
                tokens.append(RUN_END)
        else:
            tokens.append(part)
    return tokens, bool(parts) and not _CJK_RUN.fullmatch(parts[-1])


_OPEN: dict[str, Apart] = {}
_OPEN_LOCK = threading.Lock()


def folder(engine: Engine) -> Path | None:
    """Where the store's index lives: DIR/search-index beside DIR/vault.sqlite (None in memory)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(database).resolve().parent / FOLDER


def for_engine(engine: Engine) -> Apart | None:
    """The index of a SQLite store (None on PostgreSQL, whose index is in the database)."""
    if engine.dialect.name != "sqlite":
        return None
    return _opened(folder(engine), f"memory:{id(engine)}")


def for_file(database: Path) -> Apart:
    """The index of the SQLite store in this file (as `for_engine` of an engine on it: the same object)."""
    return _opened(database.resolve().parent / FOLDER, "")


def _opened(path: Path | None, memory_name: str) -> Apart:
    name = str(path) if path is not None else memory_name
    with _OPEN_LOCK:
        apart = _OPEN.get(name)
        if apart is None or (path is not None and not (path / "meta.json").exists()):
            apart = _OPEN[name] = Apart(path)
        return apart
