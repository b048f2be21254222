"""The reader's routes. GET only: the app never changes the store.

Defence in depth for archived bodies, which are hostile input: they are shown
only through `newsvault.clean.display_html`, and every page is served with a
Content-Security-Policy that allows no script at all, so a body that slipped
past the sanitiser still could not run anything. The app itself has no
JavaScript; the only external requests a page can make are article images.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import quote

from anyio import CapacityLimiter, to_thread
from jinja2 import ChoiceLoader, Environment, PackageLoader
from markupsafe import Markup
from sqlalchemy import Connection, Engine, RowMapping
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from newsvault.archive import archive_id_of
from newsvault.base.clock import china_day_start, china_minute, now_ms
from newsvault.clean import display_html, policy_for
from newsvault.config import Config
from newsvault.health import SourceHealth, source_health
from newsvault.render.site.changefeeds import KINDS, Links, change_entries, change_feed_info
from newsvault.render.site.diff import version_diffs
from newsvault.render.site.feeds import FORMATS, MEDIA_TYPES, feed_links
from newsvault.render.site.lang import script_lang
from newsvault.render.site.pages import safe_link
from newsvault.render.site.paths import CHANGE_FEEDS, change_feeds
from newsvault.render.site.paths import change_feed as site_change_feed
from newsvault.render.site.words import NOT_FOUND, STATUS_NOTICE, status_word, witness_event
from newsvault.search import count_hits, highlighted, search
from newsvault.store import articles, changes, fetchlog, outbox, sources, statuses, versions
from newsvault.store.marks import IdStamp

PAGE = 30
# A search's hits counted up to this many ("找到超过 1000 篇" past it): counting every hit of a query that all
# 200,000 articles match cost more than finding its page (docs/SEARCH.md).
COUNTED = 1000
HOME_LATEST = 20  # the newest articles across outlets, under the outlet list
MAX_PAGE = 1_000_000  # 30 million articles: far past any archive, far below the database's integers
MADE_FEEDS = 64  # feeds of changes kept made between two changes
CSP = (
    "default-src 'none'; img-src * data:; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _date(ms: int | None) -> str:
    return china_minute(ms) if ms is not None else ""


def _time(ms: int | None) -> Markup:
    """A date for a page: one unbreakable piece, so a narrow screen never splits it at its hyphen."""
    return Markup(f"<time>{escape(_date(ms))}</time>") if ms is not None else Markup("")


# The site's pages (its templates' links) as the reader serves them.
_ROUTES = {"index.html": "/", "edited.html": "/edited", "deleted.html": "/deleted", "health.html": "/health"}


def _link(target: str) -> str:
    """A site template's link in the reader: its feeds of changes under /changes/."""
    if target.startswith(CHANGE_FEEDS):
        return "/changes/" + target.removeprefix(CHANGE_FEEDS)
    return _ROUTES.get(target, "/static/" + target)  # else: site.css


def _reader_page(root: str) -> Callable[[RowMapping, bool], str]:
    """An article's page in the reader at `root` (its versions page for an edit)."""

    def page_of(row: RowMapping, history: bool) -> str:
        return f"{root}a/{quote(row['source'], safe='')}/{row['archive_id']}" + ("/versions" if history else "")

    return page_of


def _marked(value: str, marks: list[tuple[int, int]]) -> Markup:
    return Markup(
        "".join(f"<mark>{escape(part)}</mark>" if hit else escape(part) for part, hit in highlighted(value, marks))
    )


def _page(request: Request) -> int:
    """The `page` query parameter, or 400: a page beyond the store's integers made SQLite fail with a 500."""
    value = request.query_params.get("page", "")
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_PAGE)) or int(value) > MAX_PAGE:
        raise HTTPException(400, f"页码无效：应为 0 到 {MAX_PAGE} 之间的整数 (invalid page number)")
    return int(value)


def _since_ms(value: str) -> int | None:
    """The `since` date (YYYY-MM-DD) as milliseconds, None when empty, else 400."""
    if not value:
        return None
    try:
        return china_day_start(value)
    except ValueError:
        raise HTTPException(400, "日期无效：应为 YYYY-MM-DD (invalid date)") from None


def _archive_id(request: Request) -> int:
    """The id in an article path: 404 when it is not a number; one past what the store can hold is a 400, not an
    OverflowError (nor, past 4,300 digits, a ValueError of Starlette's int convertor: both were 500s)."""
    text: str = request.path_params["id"]
    if not (text.isascii() and text.isdigit()):
        raise HTTPException(404)
    number = archive_id_of(text)
    if number is None:
        raise HTTPException(400, "文章编号无效 (invalid article id)")
    return number


Handler = Callable[[Request], Response]


def in_turn(limiter: CapacityLimiter, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """`handler` in a worker thread once `limiter` lets it: the reader's pages are rendered one at a time.

    A page is Python work under one GIL, so rendering 8 at once only shared the
    interpreter between them: a search (6 ms alone) took 60 ms among 7 other
    pages, and the p95 of searches was 104 ms at 200,000 articles. Taken in
    turn, each waits for the pages asked before it and then runs alone: every
    page's p95 fell under 50 ms (bench/bench_web.py; docs/SCALE.md has the
    runs). Static files do not wait behind pages: they keep Starlette's own
    threads. One slow page holds up those asked after it (docs/SEARCH.md).
    """

    async def endpoint(request: Request) -> Response:
        return await to_thread.run_sync(handler, request, limiter=limiter)

    return endpoint


def create_app(config: Config, engine: Engine) -> Starlette:
    """The reader. Its handlers are plain functions run in a worker thread (`in_turn`): their database
    work never holds up the event loop (8 clients of async handlers doing synchronous queries got 5
    requests/s between them)."""
    # The site's templates under the reader's: one design, the reader adding what needs a server.
    loader = ChoiceLoader(
        [PackageLoader("newsvault.web", "templates"), PackageLoader("newsvault.render.site", "templates")]
    )
    env = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals["link"] = _link
    env.filters["date"] = _time
    env.filters["status"] = status_word
    env.globals["marked"] = _marked

    counted: tuple[tuple[tuple[int, int], IdStamp], dict[str, tuple[int, int | None]]] | None = None

    def outlet_counts(conn: Connection) -> list[dict[str, object]]:
        """Every outlet, its health as it is now, and its articles counted again only when they changed.

        The count is a GROUP BY over every article (191 ms at 200,000); the
        stamp it is kept under is the newest id and update, and a count of the
        newest thousand ids (an article a worker commits under the newest id).
        """
        nonlocal counted
        stamp = (articles.stamp(conn), articles.id_stamp(conn))
        if counted is None or counted[0] != stamp:
            counted = (stamp, articles.per_source(conn))
        counts = counted[1]
        return [
            {**row, "n": counts.get(row["abbr"], (0, None))[0], "newest": counts.get(row["abbr"], (0, None))[1]}
            for row in sources.all_sources(conn)
        ]

    def page(name: str, status_code: int = 200, **values: object) -> HTMLResponse:
        values.setdefault("title", "新闻存档")
        body = env.get_template(name).render(inline_css=None, **values)
        return HTMLResponse(
            body,
            status_code=status_code,
            headers={
                "Content-Security-Policy": CSP,
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def home(request: Request) -> Response:
        with engine.connect() as conn:
            return page(
                "home.html",
                outlets=outlet_counts(conn),
                latest=articles.latest_titles(conn, None, HOME_LATEST, 0),
                names=names(conn),
            )

    def find(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        source = request.query_params.get("source") or None
        since = request.query_params.get("since", "")
        n = _page(request)
        since_ms = _since_ms(since)
        hits, more, total = [], False, 0
        with engine.connect() as conn:
            outlets = outlet_counts(conn)
            if q:
                found = search(conn, q, source=source, since_ms=since_ms, limit=PAGE + 1, offset=n * PAGE)
                hits, more = found[:PAGE], len(found) > PAGE
                total = count_hits(conn, q, source=source, since_ms=since_ms, upto=COUNTED) if more or n else len(hits)
        return page(
            "search.html",
            title=f"{q} · 搜索" if q else "搜索",
            q=q,
            source=source or "",
            since=since,
            hits=hits,
            total=total,
            counted=COUNTED,
            first=n * PAGE + 1,
            page=n,
            more=more,
            outlets=outlets,
        )

    def newest(request: Request) -> Response:
        source = request.query_params.get("source") or None
        n = _page(request)
        with engine.connect() as conn:
            rows = articles.latest_titles(conn, source, PAGE + 1, n * PAGE)
            all_names = names(conn)
            outlet = all_names.get(source, source) if source else None
        return page(
            "list.html",
            title=outlet or "最新",
            names=all_names,
            heading=outlet or "最新",
            rows=rows[:PAGE],
            page=n,
            more=len(rows) > PAGE,
            source=source or "",
        )

    def found(conn: Connection, request: Request) -> tuple[str, RowMapping]:
        """The article the path names, or 404."""
        abbr, number = request.path_params["abbr"], _archive_id(request)
        row = articles.by_archive_id(conn, abbr, number)
        if row is None:
            raise HTTPException(404)
        return abbr, row

    def names(conn: Connection) -> dict[str, str]:
        return {row["abbr"]: row["name"] for row in sources.all_sources(conn)}

    def show(request: Request) -> Response:
        with engine.connect() as conn:
            abbr, row = found(conn, request)
            kept = versions.history(conn, row["id"])
            changes = statuses.history(conn, row["id"])
            witnessed = outbox.snapshots(conn, row["id"])
            outlet = names(conn).get(abbr, abbr)
        body = display_html(row["body"] or "", row["link"], policy_for(config, abbr))
        last = changes[-1] if changes else None
        notice = None
        if last is not None and last["status"] in STATUS_NOTICE:  # deleted or censored at its source: said first
            notice = Markup(STATUS_NOTICE[last["status"]]).format(_time(last["seen_ms"]))
        return page(
            "article.html",
            title=row["title"],
            lang=script_lang(row["title"] + (row["body"] or "")),
            a=row,
            outlet=outlet,
            original=safe_link(row["link"]),
            body=Markup(body),
            versions=kept,
            statuses=changes,
            notice=notice,
            # 第三方存档: the Wayback Machine's captures when the article appeared, changed or went away
            witnesses=[(w["posted_ms"], witness_event(w["event"]), safe_link(w["snapshot_url"])) for w in witnessed],
        )

    def history(request: Request) -> Response:
        with engine.connect() as conn:
            abbr, row = found(conn, request)
            kept = versions.history(conn, row["id"])
        steps = [
            {"before": b, "after": a, "title": d["title"], "body": d["body"]}
            for (b, a), d in zip(itertools.pairwise(kept), version_diffs(kept), strict=True)
        ]
        policy = policy_for(config, abbr)
        whole = [Markup(display_html(v["body"] or "", row["link"], policy)) for v in kept]  # each one readable
        return page("versions.html", title=f"版本 · {row['title']}", a=row, versions=kept, steps=steps, whole=whole)

    def changed(kind: str) -> Handler:
        """The page of the edited or the deleted articles, newest change first (the archive's lists' rule)."""
        heading = "已修改" if kind == "edited" else "已删除"

        def handler(request: Request) -> Response:
            with engine.connect() as conn:
                rows = versions.edited(conn, limit=300) if kind == "edited" else statuses.deleted(conn)
            feeds = feed_links(change_feeds(kind, None))
            return page("changed.html", title=heading, heading=heading, rows=rows, edited=kind == "edited", feeds=feeds)

        return handler

    # Feeds of changes as bytes, by (kind, outlet, format, the reader's address), while no edit or deletion is new.
    made: dict[tuple[str, str | None, str, str], bytes] = {}
    made_at: tuple[IdStamp, IdStamp, str | None] | None = None

    def change_feed(request: Request) -> Response:
        """The site's feeds of changes, made live, linking to the reader's own pages."""
        nonlocal made_at
        abbr: str | None = request.path_params.get("abbr")
        kind, _, ext = request.path_params["feed"].partition(".")
        if kind not in KINDS or ext not in FORMATS:
            raise HTTPException(404)
        root = str(request.base_url)
        with engine.connect() as conn:
            stamp = changes.moved_stamp(conn)
            if made_at != stamp or len(made) >= MADE_FEEDS:  # bounded whatever Host headers clients send
                made.clear()
                made_at = stamp
            key = (kind, abbr, ext, root)
            data = made.get(key)
            if data is None:
                all_names = names(conn)
                if abbr is not None and abbr not in all_names:
                    raise HTTPException(404)
                entries = change_entries(conn, kind, abbr, all_names, Links(_reader_page(root)))
                here = root + _link(site_change_feed(kind, abbr, ext)).removeprefix("/")
                info = change_feed_info(kind, abbr, all_names, f"{root}{kind}", here)
                data = FORMATS[ext](info, entries)
                if made_at == stamp:  # a handler that saw the next change meanwhile has the cache now
                    made[key] = data
        return Response(data, media_type=f"{MEDIA_TYPES[ext]}; charset=utf-8")

    reported: tuple[object, list[SourceHealth]] | None = None

    def health(request: Request) -> Response:
        """The sources' health, made again only when an article, a poll or a source changed, or a minute passed.

        Made afresh it is ~60 queries (20 ms at 200,000 articles, the cost of ten other pages): asked by
        several readers between two runs, it was the page that made every other one wait.
        """
        nonlocal reported
        with engine.connect() as conn:
            now = now_ms()
            key = (
                articles.stamp(conn),
                fetchlog.newest(conn),
                [tuple(r.values()) for r in sources.all_sources(conn)],
                now // 60_000,
            )
            if reported is None or reported[0] != key:
                reported = (key, source_health(conn, now))
        return page("health.html", title="来源状况", report=reported[1])

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = NOT_FOUND if status == 404 else getattr(exc, "detail", NOT_FOUND)  # Starlette's words are English
        return page("error.html", status_code=status, title=message, message=message)

    limiter = CapacityLimiter(1)
    pages: list[tuple[str, Handler]] = [
        ("/", home),
        ("/search", find),
        ("/new", newest),
        ("/a/{abbr}/{id}", show),
        ("/a/{abbr}/{id}/versions", history),
        ("/edited", changed("edited")),
        ("/deleted", changed("deleted")),
        ("/health", health),
        ("/changes/{feed}", change_feed),
        ("/changes/{abbr}/{feed}", change_feed),
    ]
    routes = [Route(path, in_turn(limiter, handler)) for path, handler in pages] + [
        Mount(
            "/static",
            StaticFiles(packages=[("newsvault.web", "static"), ("newsvault.render.site", "static")]),
            name="static",
        ),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: not_found})
