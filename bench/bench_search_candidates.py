"""Search index candidates side by side on the same generated articles (issue 15, item 2).

The articles are bench_search.py's (corpus sentences reshuffled, corpus titles,
dates over five years), generated once; each candidate indexes them from the
same folded text and answers the same queries (20 hits: title hits first, then
newest), so the numbers differ only by the index:

- `fts5 full` — today's index: contentless FTS5, `detail=full`, `prefix='1'`,
  bigrams + the last character of each run, exact phrases; the plain text kept
  beside it (for snippets and deletes), counted in its size.
- `fts5 full, no prefix, chars apart` (migration 0008's layout), also with a
  rowid of the date in seconds × 16 (`key in s`) — today's phrases without the
  prefix index; one-character queries from two `detail=none` tables of each
  document's distinct CJK characters; no text copy counted.
- `fts5 none` / `fts5 column` — contentless FTS5 with `detail=none` (two
  tables: titles, bodies) or `detail=column` (one table, column filters), no
  prefix index; each document's *distinct* bigrams and single characters. A
  query is the AND of its tokens; candidates of a phrase of two or more tokens
  are verified against the article's text (read from the store and converted
  again, so no copy of the text is kept).
- `tantivy pos` / `tantivy basic` — the `tantivy` package (if importable; it is
  not a project dependency: `pip install --target DIR tantivy` and put DIR on
  PYTHONPATH) over the same tokens with the whitespace tokenizer, either with
  positions (exact phrase queries) or without (AND + the same verification),
  ordered by a fast `key` field.

Measured per candidate: build (articles/s from the plain text; the HTML → plain
text step is timed once, apart), index bytes ÷ plain-text bytes (UTF-8), query
p50/p95 for 1-, 2-, 4- and 8-character queries, and whether each query's hit
list equals the reference's (the `fts5 full` index asked for every hit, which
tests/test_search.py checks against a brute-force scan).

    .venv/bin/python bench/bench_search_candidates.py [--articles 20000] [--queries 100]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from operator import add
from pathlib import Path
from typing import Any

from bench_search import corpus_text

from newsvault.base.plaintext import plain_text
from newsvault.search.fold import fold
from newsvault.search.tokens import _CJK, fts5_expression, phrases, pieces

_SEGMENT = re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<word>[^\\W_{_CJK}]+)")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
KEY_SLOTS = 10_000
LIMIT = 20


def generate(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """bench_search.fill's articles, in memory: key (date order), title, html."""
    rng = random.Random(seed)
    sentences, titles, mean = corpus_text()
    start = 1_450_000_000_000
    out = []
    for i in range(n):
        target = int(rng.expovariate(1 / mean)) + 100
        paragraphs: list[str] = []
        size, para = 0, []
        while size < target:
            s = rng.choice(sentences)
            para.append(s)
            size += len(s)
            if len(para) >= rng.randint(2, 5):
                paragraphs.append("<p>" + "".join(para) + "</p>")
                para = []
        if para:
            paragraphs.append("<p>" + "".join(para) + "</p>")
        date = start + i * 800_000 + rng.randrange(600_000)
        out.append({"key": date * KEY_SLOTS + i % KEY_SLOTS, "title": rng.choice(titles), "html": "".join(paragraphs)})
    return out


# -- tokens -------------------------------------------------------------------------------------


def full_tokens(folded: str) -> str:
    """Today's: bigrams and each run's last character, in order (positions)."""
    out: list[str] = []
    for cjk, word in _SEGMENT.findall(folded):
        if cjk:
            out.extend(map(add, cjk, cjk[1:]))
            out.append(cjk[-1])
        else:
            out.append(word)
    return " ".join(out)


def set_tokens(folded: str) -> str:
    """Distinct bigrams and single characters, any order (no positions needed)."""
    out: set[str] = set()
    for cjk, word in _SEGMENT.findall(folded):
        if cjk:
            out.update(map(add, cjk, cjk[1:]))
            out.update(cjk)
        else:
            out.add(word)
    return " ".join(out)


def query_tokens(query: str) -> list[tuple[list[str], bool]]:
    """For the set-token indexes: per piece, its tokens (AND) and whether the last is a Latin prefix."""
    found = []
    for tokens, prefix in phrases(query):
        if len(tokens) == 1 and prefix and _SEGMENT.fullmatch(tokens[0]).lastgroup == "cjk":  # type: ignore[union-attr]
            found.append((tokens, False))  # one character: its own token now
        else:
            found.append((tokens, prefix))
    return found


def needs_check(found: list[tuple[list[str], bool]]) -> bool:
    return any(len(tokens) > 1 for tokens, _ in found)


def holds(folded: str, wanted: list[str]) -> bool:
    """Verification of a candidate: every piece is a substring (exact for CJK pieces; Latin is prefix-checked
    by the index already in this benchmark's queries, which are CJK only)."""
    return all(p in folded for p in wanted)


# -- candidates ---------------------------------------------------------------------------------


class Store:
    """What the lean candidates verify against: the articles' HTML in the store (not part of the index)."""

    def __init__(self, path: str, docs: list[dict[str, Any]]) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE articles (key INTEGER PRIMARY KEY, title TEXT, html TEXT)")
        self.db.executemany("INSERT INTO articles VALUES (:key, :title, :html)", docs)
        self.db.commit()

    def texts(self, keys: list[int], title: bool) -> dict[int, str]:
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(f"SELECT key, title, html FROM articles WHERE key IN ({marks})", keys)
        return {k: fold(t if title else plain_text(h)) for k, t, h in rows}


def verified(
    candidates: Iterator[int], store: Store, wanted: list[str], title: bool, limit: int, check: bool
) -> list[int]:
    out: list[int] = []
    if not check:
        for k in candidates:
            out.append(k)
            if len(out) >= limit:
                break
        return out
    batch: list[int] = []
    for k in candidates:
        batch.append(k)
        if len(batch) >= max(8, limit - len(out)):
            texts = store.texts(batch, title)
            out += [b for b in batch if holds(texts[b], wanted)]
            batch = []
            if len(out) >= limit:
                return out[:limit]
    if batch:
        texts = store.texts(batch, title)
        out += [b for b in batch if holds(texts[b], wanted)]
    return out[:limit]


class Candidate:
    name = ""

    def build(self, docs: list[dict[str, Any]]) -> None: ...
    def size(self) -> int: ...
    def query(self, q: str, limit: int | None) -> list[int]: ...


class Fts5Full(Candidate):
    name = "fts5 full (today)"

    def __init__(self, tmp: str) -> None:
        self.path = f"{tmp}/full.sqlite"
        self.db = sqlite3.connect(self.path)
        self.db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='ascii', content='', columnsize=0, prefix='1')"
        )
        self.db.execute("INSERT INTO fts(fts, rank) VALUES ('hashsize', 67108864)")
        self.db.execute("CREATE TABLE docs (key INTEGER PRIMARY KEY, title TEXT, text TEXT)")

    def build(self, docs: list[dict[str, Any]]) -> None:
        self.db.executemany("INSERT INTO docs VALUES (:key, :title, :text)", docs)
        self.db.executemany(
            "INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
            ((d["key"], full_tokens(fold(d["title"])), full_tokens(fold(d["text"]))) for d in docs),
        )
        self.db.commit()
        self.db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        self.db.commit()

    def size(self) -> int:
        self.db.execute("VACUUM")
        return os.path.getsize(self.path)

    def _keys(self, expr: str, columns: str, limit: int | None) -> list[int]:
        sql = f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC{'' if limit is None else f' LIMIT {limit}'}"
        return [r[0] for r in self.db.execute(sql, (f"{columns} : ({expr})",))]

    def query(self, q: str, limit: int | None) -> list[int]:
        expr = fts5_expression(phrases(q))
        title = self._keys(expr, "{title}", limit)
        seen = set(title)
        rest = [
            k for k in self._keys(expr, "{title body}", None if limit is None else limit + len(title)) if k not in seen
        ]
        return (title + rest)[:limit]


class Fts5Positions(Candidate):
    """Today's phrases without the prefix index: detail=full over bigrams (+ run ends), rowid today's key or the
    date in seconds × 16 + tie-breaker; one-character queries from two detail=none tables of distinct characters."""

    def __init__(self, tmp: str, seconds: bool) -> None:
        self.name = "fts5 full, no prefix, chars apart" + (", key in s" if seconds else "")
        self.seconds = seconds
        self.path = f"{tmp}/positions{seconds}.sqlite"
        self.db = sqlite3.connect(self.path)
        self.back: dict[int, int] = {}
        self.db.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='ascii', content='', columnsize=0)")
        for t in ("chars_title", "chars_body"):
            self.db.execute(
                f"CREATE VIRTUAL TABLE {t} USING fts5(body, tokenize='ascii', content='', columnsize=0, detail=none)"
            )
        for t in ("fts", "chars_title", "chars_body"):
            self.db.execute(f"INSERT INTO {t}({t}, rank) VALUES ('hashsize', 67108864)")

    def build(self, docs: list[dict[str, Any]]) -> None:
        rows = []
        for d in docs:
            row = d["key"] // KEY_SLOTS // 1000 * 16 + d["key"] % 16 if self.seconds else d["key"]
            self.back[row] = d["key"]
            title, body = fold(d["title"]), fold(d["text"])
            rows.append((row, title, body))
        self.db.executemany(
            "INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
            ((r, full_tokens(t), full_tokens(b)) for r, t, b in rows),
        )
        chars = re.compile(f"[{_CJK}]")
        self.db.executemany(
            "INSERT INTO chars_title(rowid, body) VALUES (?, ?)",
            ((r, " ".join(set(chars.findall(t)))) for r, t, _ in rows),
        )
        self.db.executemany(
            "INSERT INTO chars_body(rowid, body) VALUES (?, ?)",
            ((r, " ".join(set(chars.findall(b)))) for r, _, b in rows),
        )
        self.db.commit()
        for t in ("fts", "chars_title", "chars_body"):
            self.db.execute(f"INSERT INTO {t}({t}) VALUES ('optimize')")
        self.db.commit()

    def size(self) -> int:
        self.db.execute("VACUUM")
        return os.path.getsize(self.path)

    def _keys(self, table: str, match: str, limit: int | None) -> list[int]:
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC"
        sql += "" if limit is None else f" LIMIT {limit}"
        return [self.back[r[0]] for r in self.db.execute(sql, (match,))]

    def query(self, q: str, limit: int | None) -> list[int]:
        found = phrases(q)
        if all(len(ts) == 1 and p and _SEGMENT.fullmatch(ts[0]).lastgroup == "cjk" for ts, p in found):  # type: ignore[union-attr]
            expr = " AND ".join(f'"{ts[0]}"' for ts, _ in found)
            title = self._keys("chars_title", expr, limit)
            seen = set(title)
            body = [
                k
                for k in self._keys("chars_body", expr, None if limit is None else limit + len(title))
                if k not in seen
            ]
            return (title + body)[:limit]
        expr = fts5_expression(found)
        title = self._keys("fts", f"{{title}} : ({expr})", limit)
        seen = set(title)
        rest = self._keys("fts", f"{{title body}} : ({expr})", None if limit is None else limit + len(title))
        return (title + [k for k in rest if k not in seen])[:limit]


class Fts5Lean(Candidate):
    """detail=none (a title table and a body table) or detail=column (one table)."""

    def __init__(self, tmp: str, detail: str, store: Store, seconds: bool = False) -> None:
        self.name = f"fts5 {detail}" + (", key in s" if seconds else "")
        self.detail, self.store, self.seconds = detail, store, seconds
        self.back: dict[int, int] = {}
        self.path = f"{tmp}/{detail}{seconds}.sqlite"
        self.db = sqlite3.connect(self.path)
        tables = ["fts_title", "fts_body"] if detail == "none" else ["fts"]
        for t in tables:
            cols = "body" if detail == "none" else "title, body"
            self.db.execute(
                f"CREATE VIRTUAL TABLE {t} USING fts5({cols}, tokenize='ascii', content='', columnsize=0, "
                f"detail={detail})"
            )
            self.db.execute(f"INSERT INTO {t}({t}, rank) VALUES ('hashsize', 67108864)")
            self.db.execute(f"INSERT INTO {t}({t}, rank) VALUES ('automerge', 16)")

    def rowid(self, d: dict[str, Any]) -> int:
        if not self.seconds:
            return int(d["key"])
        # The date in seconds × 16 + a tie-breaker: neighbours' rowids differ by ~10^4, not ~10^10.
        row = d["key"] // KEY_SLOTS // 1000 * 16 + d["key"] % 16
        self.back[row] = d["key"]
        return int(row)

    def build(self, docs: list[dict[str, Any]]) -> None:
        docs = [{**d, "key": self.rowid(d)} for d in docs]
        if self.detail == "none":
            self.db.executemany(
                "INSERT INTO fts_title(rowid, body) VALUES (?, ?)",
                ((d["key"], set_tokens(fold(d["title"]))) for d in docs),
            )
            self.db.executemany(
                "INSERT INTO fts_body(rowid, body) VALUES (?, ?)",
                ((d["key"], set_tokens(fold(d["text"]))) for d in docs),
            )
        else:
            self.db.executemany(
                "INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)",
                ((d["key"], set_tokens(fold(d["title"])), set_tokens(fold(d["text"]))) for d in docs),
            )
        self.db.commit()
        for t in ["fts_title", "fts_body"] if self.detail == "none" else ["fts"]:
            self.db.execute(f"INSERT INTO {t}({t}) VALUES ('optimize')")
        self.db.commit()

    def size(self) -> int:
        self.db.execute("VACUUM")
        return os.path.getsize(self.path)

    def _candidates(self, expr: str, title: bool) -> Iterator[int]:
        if self.detail == "none":
            table, match = ("fts_title" if title else "fts_body"), expr
        else:
            table, match = "fts", f"{{{'title' if title else 'body'}}} : ({expr})"
        cur = self.db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC", (match,))
        for (k,) in cur:
            yield self.back.get(k, k)

    def query(self, q: str, limit: int | None) -> list[int]:
        found = query_tokens(q)
        expr = " AND ".join(
            " AND ".join(f'"{t}"' + (" *" if p and i == len(ts) - 1 else "") for i, t in enumerate(ts))
            for ts, p in found
        )
        wanted, check = pieces(q), needs_check(found)
        big = 10**9 if limit is None else limit
        title = verified(self._candidates(expr, True), self.store, wanted, True, big, check)
        seen = set(title)
        body = verified(
            (k for k in self._candidates(expr, False) if k not in seen),
            self.store,
            wanted,
            False,
            big - len(title),
            check,
        )
        return (title + body)[:limit]


class Tantivy(Candidate):
    def __init__(self, tmp: str, positions: bool, store: Store) -> None:
        import tantivy

        self.t, self.store, self.positions = tantivy, store, positions
        self.name = f"tantivy {'pos' if positions else 'basic'}"
        self.path = f"{tmp}/tantivy-{self.name[-3:]}"
        os.mkdir(self.path)
        b = tantivy.SchemaBuilder()
        option = "position" if positions else "basic"
        b.add_text_field("title", stored=False, tokenizer_name="whitespace", index_option=option)
        b.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option=option)
        b.add_integer_field("key", stored=False, indexed=False, fast=True)
        self.schema = b.build()
        self.index = tantivy.Index(self.schema, path=self.path)

    def build(self, docs: list[dict[str, Any]]) -> None:
        tokens = full_tokens if self.positions else set_tokens
        writer = self.index.writer(heap_size=256_000_000, num_threads=2)
        for d in docs:
            writer.add_document(
                self.t.Document(key=d["key"], title=tokens(fold(d["title"])), body=tokens(fold(d["text"])))
            )
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def size(self) -> int:
        return sum(f.stat().st_size for f in Path(self.path).iterdir())

    def _query(self, field: str, q: str) -> Any:
        t = self.t
        parts = []
        if self.positions:
            for tokens, prefix in phrases(q):
                if len(tokens) == 1 and prefix:
                    parts.append(t.Query.regex_query(self.schema, field, re.escape(tokens[0]) + ".*"))
                elif len(tokens) == 1:
                    parts.append(t.Query.term_query(self.schema, field, tokens[0]))
                elif prefix:
                    parts.append(t.Query.phrase_prefix_query(self.schema, field, tokens))  # type: ignore[attr-defined]
                else:
                    parts.append(t.Query.phrase_query(self.schema, field, tokens))
        else:
            for tokens, _ in query_tokens(q):
                parts += [t.Query.term_query(self.schema, field, tok) for tok in tokens]
        return parts[0] if len(parts) == 1 else t.Query.boolean_query([(t.Occur.Must, p) for p in parts])

    def _keys(self, field: str, q: str, limit: int) -> list[int]:
        query = self._query(field, q)
        res = self.searcher.search(query, limit, order_by_field="key", order=self.t.Order.Desc)
        return [int(score) for score, _addr in res.hits]  # ordered by a fast field, the "score" is the key

    def query(self, q: str, limit: int | None) -> list[int]:
        big = 1_000_000 if limit is None else limit
        if self.positions or not needs_check(query_tokens(q)):
            title = self._keys("title", q, big)
            seen = set(title)
            body = [k for k in self._keys("body", q, big + len(title)) if k not in seen]
            return (title + body)[:limit]
        wanted = pieces(q)
        title = verified(iter(self._keys("title", q, 1_000_000)), self.store, wanted, True, big, True)
        seen = set(title)
        more = (k for k in self._keys("body", q, 1_000_000) if k not in seen)
        body = verified(more, self.store, wanted, False, big - len(title), True)
        return (title + body)[:limit]


def _prepare(chunk: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """In a worker process: HTML → plain text → folded → tokens, for the pipelined builds."""
    return [(key, full_tokens(fold(title)), full_tokens(fold(plain_text(html)))) for key, title, html in chunk]


def pipelined(docs: list[dict[str, Any]], tmp: str, processes: int) -> None:
    """End to end from the HTML, as `update_index` must: tokens made by a process pool, the index written by this
    process. Prints articles/s for FTS5 (today's table) and, if importable, tantivy with positions."""
    import multiprocessing

    chunks = [[(d["key"], d["title"], d["html"]) for d in docs[i : i + 250]] for i in range(0, len(docs), 250)]
    ctx = multiprocessing.get_context("fork")
    t = time.perf_counter()
    with ctx.Pool(processes) as pool:
        for _ in pool.imap(_prepare, chunks):
            pass
    print(f"pipelined, tokens only ({processes} processes): {len(docs) / (time.perf_counter() - t):,.0f} articles/s")
    targets: list[
        tuple[str, Callable[[], Any], Callable[[Any, list[tuple[int, str, str]]], None], Callable[[Any], None]]
    ]

    def fts_open() -> Any:
        db = sqlite3.connect(f"{tmp}/pipe-{time.monotonic_ns()}.sqlite")
        db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='ascii', content='', columnsize=0, prefix='1')"
        )
        db.execute("INSERT INTO fts(fts, rank) VALUES ('hashsize', 67108864)")
        return db

    def fts_add(db: Any, rows: list[tuple[int, str, str]]) -> None:
        db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", rows)

    def fts_done(db: Any) -> None:
        db.commit()

    targets = [("fts5 full (today)", fts_open, fts_add, fts_done)]
    try:
        import tantivy

        def tv_open() -> Any:
            b = tantivy.SchemaBuilder()
            b.add_text_field("title", stored=False, tokenizer_name="whitespace", index_option="position")
            b.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="position")
            b.add_integer_field("key", stored=False, indexed=False, fast=True)
            path = f"{tmp}/pipe-tantivy-{time.monotonic_ns()}"
            os.mkdir(path)
            return tantivy.Index(b.build(), path=path).writer(heap_size=256_000_000, num_threads=1)

        def tv_add(w: Any, rows: list[tuple[int, str, str]]) -> None:
            for key, title, body in rows:
                w.add_document(tantivy.Document(key=key, title=title, body=body))

        def tv_done(w: Any) -> None:
            w.commit()
            w.wait_merging_threads()

        targets.append(("tantivy pos", tv_open, tv_add, tv_done))
    except ImportError:
        pass
    for name, open_, add_, done in targets:
        t = time.perf_counter()
        target = open_()
        with ctx.Pool(processes) as pool:
            for rows in pool.imap(_prepare, chunks):
                add_(target, rows)
        done(target)
        print(
            f"pipelined, {name} ({processes} processes + the writer): "
            f"{len(docs) / (time.perf_counter() - t):,.0f} articles/s",
            flush=True,
        )


# -- the run ------------------------------------------------------------------------------------


def sample(docs: list[dict[str, Any]], count: int, seed: int = 11) -> dict[str, list[str]]:
    rng = random.Random(seed)
    runs = [r for d in rng.sample(docs, min(2000, len(docs))) for r in _HAN.findall(d["text"])]
    out: dict[str, list[str]] = {}
    for kind, length in (("1 char", 1), ("2 chars", 2), ("4 chars", 4), ("8 chars", 8)):
        out[kind] = []
        while len(out[kind]) < count:
            run = rng.choice(runs)
            if len(run) >= length:
                at = rng.randrange(len(run) - length + 1)
                out[kind].append(run[at : at + length])
    return out


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--pipeline", type=int, default=0, help="also build end to end from HTML with N processes")
    parser.add_argument("--only", default="", help="comma-separated name prefixes of the candidates to run")
    args = parser.parse_args()
    t = time.perf_counter()
    docs = generate(args.articles)
    print(f"articles: {len(docs)}, generated in {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    for d in docs:
        d["text"] = plain_text(d["html"])
    to_text = time.perf_counter() - t
    text_bytes = sum(len(d["text"].encode()) + len(d["title"].encode()) for d in docs)
    folding = timed(lambda: [fold(d["text"]) for d in docs])
    print(
        f"HTML → plain text: {len(docs) / to_text:,.0f} articles/s; folding alone {len(docs) / folding:,.0f}/s; "
        f"plain text {text_bytes / 1e6:.1f} MB, {statistics.fmean(len(d['text']) for d in docs):.0f} chars/article"
    )
    qs = sample(docs, args.queries)
    if args.pipeline:
        with tempfile.TemporaryDirectory() as tmp:
            pipelined(docs, tmp, args.pipeline)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/store.sqlite", docs)
        makers: list[Callable[[], Candidate]] = [
            lambda: Fts5Full(tmp),
            lambda: Fts5Positions(tmp, False),
            lambda: Fts5Positions(tmp, True),
            lambda: Fts5Lean(tmp, "none", store),
            lambda: Fts5Lean(tmp, "none", store, seconds=True),
            lambda: Fts5Lean(tmp, "column", store),
        ]
        try:
            import tantivy  # noqa: F401

            makers += [lambda: Tantivy(tmp, True, store), lambda: Tantivy(tmp, False, store)]
        except ImportError:
            print("tantivy: not importable, skipped")
        reference: dict[str, list[int]] = {}
        rows = []
        for make in makers:
            cand = make()
            if args.only and not any(cand.name.startswith(p) for p in args.only.split(",")):
                continue
            build = timed(lambda c=cand: c.build(docs))  # type: ignore[misc]
            size = cand.size()
            lat = {}
            same = 0
            total = 0
            for kind, batch in qs.items():
                times = []
                for q in batch:
                    start = time.perf_counter()
                    cand.query(q, LIMIT)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                lat[kind] = (times[len(times) // 2], times[int(len(times) * 0.95)])
                for q in batch[:20]:
                    got = cand.query(q, None)
                    if cand.name.startswith("fts5 full"):
                        reference[q] = got
                    same += got == reference.get(q)
                    total += 1
            rows.append((cand.name, build, size, lat, same, total))
            print(
                f"{cand.name:>18}: build {len(docs) / build:,.0f} articles/s, index {size / 1e6:.1f} MB = "
                f"{size / text_bytes:.2f}× text; "
                + "; ".join(f"{k} {p50:.1f}/{p95:.1f} ms" for k, (p50, p95) in lat.items())
                + f"; all hits equal to today's: {same}/{total}",
                flush=True,
            )
    print(
        "\n| candidate | build articles/s (from plain text) | index ÷ plain text | "
        + " | ".join(f"{k} p50/p95 ms" for k in qs)
        + " | same hits |"
    )
    print("|---|---|---|" + "---|" * len(qs) + "---|")
    for name, build, size, lat, same, total in rows:
        print(
            f"| {name} | {len(docs) / build:,.0f} | {size / text_bytes:.2f} | "
            + " | ".join(f"{a:.1f} / {b:.1f}" for a, b in lat.values())
            + f" | {same}/{total} |"
        )


if __name__ == "__main__":
    main()
