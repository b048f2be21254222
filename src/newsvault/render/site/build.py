"""Writing the static site from the store, after the archive tree (see docs/SITE.md).

Incremental like the tree: high-water marks of the store (article, version,
capture and status ids, edit, mirror and witness times) are kept in `meta`
after each render, and the next one rewrites only the pages of articles
changed since, the month pages whose article counts moved, and the small
pages that summarise everything. A changed configuration or page format, or `full`, rewrites (and
checks) every page. Marks are saved last, so an interrupted render is redone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import Connection, Engine, RowMapping

from newsvault.base.clock import now_ms
from newsvault.base.files import place_copy, sweep_temporaries, write_atomic
from newsvault.clean import policy_for
from newsvault.config import Config
from newsvault.store import articles as store_articles
from newsvault.store import assets as store_assets
from newsvault.store import changes as store_changes
from newsvault.store import outbox as store_outbox
from newsvault.store import sources as store_sources
from newsvault.store import statuses as store_statuses
from newsvault.store import versions as store_versions

from .body import shown_body
from .changefeeds import KINDS, Links, change_feed_files, fallback_home
from .diff import version_diffs
from .feeds import FORMATS, FeedEntry, FeedInfo, feed_links
from .lang import script_lang
from .pages import page, safe_link, stylesheet
from .paths import (
    CSS,
    DELETED,
    EDITED,
    HEALTH,
    INDEX,
    article_page,
    article_urn,
    change_feed,
    change_feeds,
    history_page,
    href,
    month_of,
    month_page,
    outlet_page,
    site_root,
    when,
)
from .words import STATUS_LABEL, STATUS_NOTICE, witness_event

WRITING_KEY = "site_writing"  # in `meta` while a render writes the site: still there, it was interrupted
SITE_FORMAT = 3  # raise when pages change shape: the next render then rewrites them all
_MARKS_KEY = "site_marks"
_UNPLACED_KEY = "site_unplaced"  # images linked that neither the site folder nor the archive had
HOME_LATEST = 20  # the newest articles across outlets, under the outlet list
PER_DAY = 14  # days in the health page's articles-per-day table
FAILING = 3  # failed runs in a row that mark a source as failing
_MONTH_PAGE = re.compile(r"([^/]+)/(\d{4}-\d{2})\.html")  # month_page(): `<abbr>/<yyyy-mm>.html`


@dataclass
class SiteStats:
    checked: int = 0  # pages looked at
    written: int = 0  # pages whose bytes changed
    images: int = 0  # mirrored images copied (or linked) into the site's assets/


class _Out:
    """The site folder: identical bytes are left alone, changed pages replaced by a rename.

    Pages are not fsynced one by one (that was three quarters of a full
    render's time): the site is derived data, and one os.sync() before the
    marks are saved makes a finished render durable.
    """

    def __init__(self, root: Path, archive: Path) -> None:
        self.root, self.archive, self.stats = root, archive, SiteStats()
        self.placed: set[str] = set()  # images of this render already in the site, or looked for
        self.unplaced: set[str] = set()  # of those, the ones the archive here lacks too

    def write(self, path: str, data: bytes) -> None:
        self.stats.checked += 1
        self.stats.written += write_atomic(self.root / path, data, durable=False)

    def image(self, from_page: str, asset: str) -> str:
        """The link from `from_page` to the site's copy of the mirrored image `asset`, made if the site lacks it.

        Only the images of the pages a render writes are looked at, each once.
        An image the archive here lacks too (a runner keeps no `assets/` from
        one run to the next) is linked all the same: the published branch
        holds it from the run that mirrored it (docs/SITE.md, "Mirrored
        images"); `lost_images` finds out whether it does.
        """
        if asset not in self.placed:
            self.placed.add(asset)
            try:
                self.stats.images += place_copy(self.archive / asset, self.root / asset, durable=False)
            except FileNotFoundError:
                self.unplaced.add(asset)
        return href(from_page, asset)  # the copy sits at the archive's path, inside the site


def _fingerprint(config: Config) -> str:
    """What, besides the store, shapes the pages: a change means a full render."""
    shaped = [
        SITE_FORMAT,
        config.site.base_url,
        config.site.feed_items,
        # Only when set: a vault without it keeps its fingerprint, and is not rendered whole again
        # for the feeds of changes (they are written because they are missing).
        *([config.publish.archive_url] if config.publish.archive_url else []),
        sorted(
            (abbr, s.name, policy_for(config, abbr).mode, policy_for(config, abbr).proxy)
            for abbr, s in config.sources.items()
        ),
    ]
    return hashlib.sha256(json.dumps(shaped).encode()).hexdigest()


def _article(
    out: _Out,
    look: Connection,
    config: Config,
    name: str,
    row: RowMapping,
    versions: int | None,
    deleted: tuple[str, int | None] | None,
    witnessed: list[RowMapping],
) -> None:
    abbr = row["source"]
    witnesses = _witnesses(witnessed)
    here = article_page(abbr, row["archive_id"], row["path"])
    body = shown_body(look, config, abbr, row, lambda asset: out.image(here, asset))
    lang = script_lang(row["title"] + (row["body"] or ""))
    history = history_page(here) if versions else None
    month = month_of(row["listed_ms"])
    out.write(
        here,
        page(
            "article.html.j2",
            here,
            title=row["title"],
            lang=lang,
            name=name,
            outlet_page=outlet_page(abbr),
            month=month,
            month_page=month_page(abbr, month),
            when=when(row["listed_ms"]),
            original=safe_link(row["link"]),
            history=history,
            versions=versions,
            body=_markup(body),
            deleted=Markup(STATUS_NOTICE[deleted[0]]).format(Markup("<time>{}</time>").format(when(deleted[1])))
            if deleted
            else None,
            witnesses=witnesses,
        ),
    )
    if history:
        kept = store_versions.history(look, row["id"])
        shown = [
            {
                "n": v["n"],
                "when": when(v["seen_ms"]),
                "title": v["title"],
                "body": _markup(
                    shown_body(
                        look,
                        config,
                        abbr,
                        {**v, "link": row["link"], "raw": None},
                        lambda asset: out.image(history, asset),
                    )
                ),
            }
            for v in kept
        ]
        out.write(
            history,
            page(
                "history.html.j2",
                history,
                title=row["title"],
                lang=lang,
                name=name,
                outlet_page=outlet_page(abbr),
                article=here,
                original=safe_link(row["link"]),
                versions=shown,
                diffs=version_diffs(kept),
                witnesses=witnesses,
            ),
        )


def _witnesses(witnessed: list[RowMapping]) -> list[dict[str, str]]:
    """第三方存档: the Wayback Machine's snapshots of the article (store.outbox.snapshots), safe links only."""
    return [
        {"when": when(w["posted_ms"]), "event": witness_event(w["event"]), "link": link}
        for w in witnessed
        if (link := safe_link(w["snapshot_url"]))
    ]


def _markup(html: str) -> Markup:
    return Markup(html)  # sanitised by display_html (nh3)


def _months(
    out: _Out,
    conn: Connection,
    abbr: str,
    name: str,
    counts: Counter[str],
    wanted: set[str],
    edits: dict[int, int],
    gone: dict[int, tuple[str, int | None]],
) -> None:
    ordered = sorted(counts, reverse=True)
    for i, month in enumerate(ordered):
        if month not in wanted:
            continue
        here = month_page(abbr, month)
        entries = []
        for e in store_articles.shown_in_month(conn, abbr, month):
            badges = [(gone[e["id"]][0], STATUS_LABEL[gone[e["id"]][0]])] if e["id"] in gone else []
            if e["id"] in edits:
                badges.append(("edited", f"{edits[e['id']]} 个版本"))
            entries.append(
                {
                    "page": article_page(abbr, e["archive_id"], e["path"]),
                    "title": e["title"],
                    "when": when(e["listed_ms"]),
                    "badges": badges,
                }
            )
        near = [{"month": m, "page": month_page(abbr, m)} for m in ordered]
        out.write(
            here,
            page(
                "month.html.j2",
                here,
                title=f"{name} {month}",
                name=name,
                month=month,
                outlet_page=outlet_page(abbr),
                entries=entries,
                newer=near[i - 1] if i > 0 else None,
                older=near[i + 1] if i + 1 < len(near) else None,
            ),
        )


def _outlet_index(out: _Out, abbr: str, name: str, counts: Counter[str]) -> None:
    here = outlet_page(abbr)
    years: dict[str, list[dict[str, object]]] = {}
    for month in sorted(counts, reverse=True):
        years.setdefault(month[:4], []).append(
            {"month": month, "count": counts[month], "page": month_page(abbr, month)}
        )
    out.write(
        here,
        page(
            "outlet.html.j2",
            here,
            title=name,
            name=name,
            total=sum(counts.values()),
            years=list(years.items()),
            feed_base=f"feeds/{abbr}",
            feeds=feed_links(f"feeds/{abbr}"),
            change_feeds=[(label, feed_links(change_feeds(kind, abbr))) for kind, label in KINDS.items()],
        ),
    )


def feed_entries(conn: Connection, config: Config, names: dict[str, str], found: list[RowMapping]) -> list[FeedEntry]:
    """Feed entries of stored rows; mirrored images keep their original URLs (a feed has no folder)."""
    return [
        FeedEntry(
            id=article_urn(r["source"], r["archive_id"], r["path"]),
            title=r["title"],
            link=safe_link(r["link"]) or "",
            author=names.get(r["source"], r["source"]),
            published_ms=r["listed_ms"],
            updated_ms=max(r["listed_ms"], r["updated_ms"] or 0),
            content_html=shown_body(conn, config, r["source"], r, None),
        )
        for r in found
    ]


def _feeds(out: _Out, conn: Connection, config: Config, names: dict[str, str], abbr: str | None) -> None:
    key = abbr or "all"
    found = store_articles.newest_shown(conn, abbr, config.site.feed_items)
    entries = feed_entries(conn, config, names, found)
    base = _base(config)
    page_path = outlet_page(abbr) if abbr else INDEX
    home = base + page_path if base else fallback_home(config, abbr, entries)
    for ext, write_feed in FORMATS.items():
        info = FeedInfo(
            id=f"urn:newsvault:feed:{key}",
            title=names.get(abbr, abbr) if abbr else "newsvault 全部来源",
            home=home,
            self_url=f"{base}feeds/{key}.{ext}" if base else None,
        )
        out.write(f"feeds/{key}.{ext}", write_feed(info, entries))


def _site_links(config: Config) -> Links:
    """Entries link to the site's pages when it has an address, and to the archive's files when they have one."""
    base = _base(config)

    def page_of(row: RowMapping, history: bool) -> str | None:
        if base is None:
            return None
        here = article_page(row["source"], row["archive_id"], row["path"])
        return base + quote(history_page(here) if history else here)

    return Links(page_of, config.publish.archive_url)


def _base(config: Config) -> str | None:
    return config.site.base_url.rstrip("/") + "/" if config.site.base_url else None


def _change_feeds(out: _Out, conn: Connection, config: Config, names: dict[str, str], abbr: str | None) -> None:
    """The outlet's (or every outlet's) feeds of edits and of deletions, in every format."""
    base = _base(config)

    def home(kind: str, entries: list[FeedEntry]) -> str:
        return base + (EDITED if kind == "edited" else DELETED) if base else fallback_home(config, abbr, entries)

    for path, data in change_feed_files(conn, abbr, names, _site_links(config), home, base):
        out.write(path, data)


def _changes(out: _Out, conn: Connection, names: dict[str, str]) -> None:
    edited = [
        {
            "page": history_page(article_page(r["source"], r["archive_id"], r["path"])),
            "title": r["title"],
            "name": names.get(r["source"], r["source"]),
            "when": when(r["at"]),
            "kind": "edited",
            "label": f"{r['n']} 个版本",
        }
        for r in store_versions.edited(conn)
    ]
    out.write(
        EDITED,
        page(
            "changes.html.j2",
            EDITED,
            title="已修改",
            entries=edited,
            feeds=feed_links(change_feeds("edited", None)),
            explain="发表后被原网站修改过的文章，最近修改的在前；每篇可查看各版本及差异。",
        ),
    )
    deleted = [
        {
            "page": article_page(r["source"], r["archive_id"], r["path"]),
            "title": r["title"],
            "name": names.get(r["source"], r["source"]),
            "when": when(r["last_ms"]),
            "kind": r["status"],
            "label": STATUS_LABEL[r["status"]],
        }
        for r in store_statuses.deleted(conn, shown_only=True)
    ]
    out.write(
        DELETED,
        page(
            "changes.html.j2",
            DELETED,
            title="已删除",
            entries=deleted,
            feeds=feed_links(change_feeds("deleted", None)),
            explain="原网站已删除（404/410）或撤下、屏蔽的文章，最近检查的在前；存档中的全文仍可阅读。",
        ),
    )


def _health(out: _Out, conn: Connection, names: dict[str, str], counts: dict[str, int]) -> None:
    shown = []
    for s in store_sources.all_sources(conn):
        per_day = store_articles.listed_per_china_day(conn, s["abbr"], PER_DAY)
        shown.append(
            {
                "abbr": s["abbr"],
                "name": names.get(s["abbr"], s["name"]),
                "page": outlet_page(s["abbr"]),
                "last_success": when(s["last_success_ms"]),
                "last_error": s["last_error"],
                "last_error_when": when(s["last_error_ms"]),
                "failures": s["failures"],
                "failing": s["failures"] >= FAILING,
                "count": counts.get(s["abbr"], 0),
                "per_day": per_day,
                "peak": max((c for _, c in per_day), default=0),
            }
        )
    flagged = [s for s in shown if s["failing"]]
    out.write(HEALTH, page("health.html.j2", HEALTH, title="来源状况", sources=shown, flagged=flagged))


def _index(out: _Out, conn: Connection, names: dict[str, str], counts: dict[str, int], newest: dict[str, str]) -> None:
    outlets = [
        {
            "abbr": abbr,
            "name": names[abbr],
            "page": outlet_page(abbr),
            "count": counts.get(abbr, 0),
            "newest": newest.get(abbr),
        }
        for abbr in names
    ]
    latest = [
        {
            "title": r["title"],
            "name": names.get(r["source"], r["source"]),
            "when": when(r["date_ms"]),
            "page": article_page(r["source"], r["archive_id"], r["path"]),
        }
        for r in store_articles.latest_titles(conn, None, HOME_LATEST, 0, shown_only=True)
    ]
    out.write(
        INDEX,
        page(
            "index.html.j2",
            INDEX,
            title="新闻存档",
            outlets=outlets,
            latest=latest,
            feeds=feed_links("feeds/all"),
            edited=len(store_versions.edited(conn)),
            deleted=len(store_statuses.deleted(conn, shown_only=True)),
        ),
    )


def render_site(engine: Engine, config: Config, *, full: bool = False) -> SiteStats:
    """Write the pages that changed since the last render (all of them with `full`)."""
    root = site_root(config)
    out = _Out(root, config.archive)
    fingerprint = _fingerprint(config)
    with engine.begin() as conn:
        # Still there: the last render was interrupted, and may have left temporary files.
        interrupted = store_sources.get_meta(conn, WRITING_KEY) is not None
        store_sources.set_meta(conn, WRITING_KEY, "1")
        marks = store_changes.marks(conn, now_ms())
        saved = json.loads(store_sources.get_meta(conn, _MARKS_KEY) or "null")
        stored = store_sources.all_sources(conn)
        full = full or saved is None or saved.get("fingerprint") != fingerprint
        dirty = None if full else store_articles.sources_of(conn, store_changes.changed_since(conn, saved["marks"]))
    if full or interrupted:
        sweep_temporaries(root)
    names = {s["abbr"]: (config.sources[s["abbr"]].name if s["abbr"] in config.sources else s["name"]) for s in stored}
    months: dict[str, dict[str, int]] = {}
    with engine.connect() as conn, engine.connect() as look:
        for abbr, name in names.items():
            changed = None if dirty is None else dirty.get(abbr, set())
            before = {} if full else saved["months"].get(abbr, {})
            counts = _month_counts(conn, abbr, changed, None if full else saved["months"].get(abbr), saved)
            months[abbr] = dict(counts)
            edits, gone = store_versions.counts(conn, abbr), store_statuses.deletions(conn, abbr)
            touched: set[str] = set()
            if changed is None or changed:
                witnessed = store_outbox.snapshots_of(look, abbr, changed)
                for row in store_articles.shown_with_bodies(conn, abbr, changed):
                    touched.add(month_of(row["listed_ms"]))
                    _article(
                        out,
                        look,
                        config,
                        name,
                        row,
                        edits.get(row["id"]),
                        gone.get(row["id"]),
                        witnessed.get(row["id"], []),
                    )
            if full or set(counts) != set(before):
                touched = set(counts)  # the months' pagers changed too
            touched |= {m for m in counts if counts[m] != before.get(m)}
            for month in set(before) - set(counts):  # its articles moved to other months (their dates changed)
                (root / month_page(abbr, month)).unlink(missing_ok=True)  # stale_pages() tells git
            _months(out, conn, abbr, name, counts, touched, edits, gone)
            _outlet_index(out, abbr, name, counts)
            if changed is None or changed or not (root / f"feeds/{abbr}.atom").exists():
                _feeds(out, look, config, names, abbr)
        if dirty is None or dirty or not (root / "feeds/all.atom").exists():
            _feeds(out, look, config, names, None)
        totals = {abbr: sum(c.values()) for abbr, c in months.items()}
        newest = {abbr: max(c) for abbr, c in months.items() if c}
        corrected = not full and store_changes.corrected_since(saved["marks"], marks)
        moved = full or corrected or store_changes.ids_moved(saved["marks"], marks, "version", "status")
        # The deleted list dates each article by its last check, which records no status when it finds it still gone.
        rechecked = not full and store_changes.rechecked_since(conn, saved["marks"])
        all_changes = root / change_feed("edited", None, "atom")
        if moved or rechecked or not (root / EDITED).exists() or not all_changes.exists():  # their pages link the feeds
            _changes(out, conn, names)
        # The feeds of changes of the outlets with a new edit or deletion; an edit or a deletion
        # anywhere moves the marks, so the others' are left alone without a query. A body corrected
        # in place (reextract, rare) names no outlet: every outlet's feeds are made again.
        with_changes = (
            set(names)
            if full or corrected
            else store_changes.sources_with_changes(conn, saved["marks"])
            if moved
            else set()
        )
        for abbr in names:
            if abbr in with_changes or not (root / change_feed("edited", abbr, "atom")).exists():
                _change_feeds(out, look, config, names, abbr)
        if with_changes or not all_changes.exists():
            _change_feeds(out, look, config, names, None)
        _health(out, conn, names, totals)
        _index(out, conn, names, totals, newest)
    out.write(CSS, stylesheet().encode("utf-8"))
    if out.stats.written or out.stats.images:
        os.sync()  # the pages are on disk before the marks say they are written
    with engine.begin() as conn:
        store_sources.set_meta(
            conn, _MARKS_KEY, json.dumps({"fingerprint": fingerprint, "marks": marks, "months": months}, sort_keys=True)
        )
        store_sources.drop_meta(conn, WRITING_KEY)
        _keep_unplaced(conn, config, out.unplaced)
    return out.stats


def _keep_unplaced(conn: Connection, config: Config, unplaced: set[str]) -> None:
    """Images this render linked but could copy from nowhere: lost, unless a published branch holds them.

    Without `[[publish.site]]` the site folder is all there is: they are
    mirrored again now. A published site's folder may be a branch opened
    without its files (a runner): the site publish asks the branch
    (`lost_images`), so they are kept until it does.
    """
    if not unplaced:
        return
    if not config.publish.site:
        store_assets.mirror_again(conn, [_sha256(asset) for asset in unplaced])
        return
    kept = set(json.loads(store_sources.get_meta(conn, _UNPLACED_KEY) or "[]"))
    store_sources.set_meta(conn, _UNPLACED_KEY, json.dumps(sorted(kept | unplaced)))


def lost_images(conn: Connection, held: Callable[[list[str]], set[str]]) -> None:
    """Mirror again the images renders could not copy into the site that the published branch lacks.

    `held` tells which of the site paths it is given the branch holds. The
    pages keep their links; the next mirror brings the images back, and that
    run renders the pages again, places the copies and publishes them
    (docs/SITE.md, "Mirrored images").
    """
    unplaced = json.loads(store_sources.get_meta(conn, _UNPLACED_KEY) or "[]")
    if not unplaced:
        return
    store_sources.drop_meta(conn, _UNPLACED_KEY)
    present = held(unplaced)
    store_assets.mirror_again(conn, [_sha256(asset) for asset in unplaced if asset not in present])


def _sha256(asset: str) -> str:
    """The hash an image's path is named by (store.assets.asset_path)."""
    return asset.rpartition("/")[2].partition(".")[0]


def _month_counts(
    conn: Connection,
    abbr: str,
    changed: set[int] | None,
    before: dict[str, int] | None,
    saved: dict[str, Any] | None,
) -> Counter[str]:
    """The outlet's shown articles per month: the last render's counts, adjusted for what changed.

    Only the months of the articles changed since are counted again, when
    every one of them is new since the last render (it was in no month then).
    An older article that changed may have moved from any month: then, as
    for a full render, every article is counted.
    """
    if changed is None or before is None or saved is None or any(a <= saved["marks"]["article"] for a in changed):
        return Counter(month_of(ms) for ms in store_articles.shown_listed_dates(conn, abbr))
    counts = Counter(before)
    for month in {month_of(ms) for ms in store_articles.listed_dates_of(conn, changed)}:
        counts[month] = len(store_articles.shown_in_month(conn, abbr, month))
    return +counts  # months left empty go


def stale_pages(conn: Connection, present: Iterable[str]) -> list[str]:
    """Of the site paths `present` (a published branch's), the pages that must no longer exist.

    Those are the month pages of months the last render found without an
    article (every one of them moved to another month when its date changed).
    The render deletes such a page from the folder when it sees the month
    empty, but a folder opened from the branch without its files, or a full
    render (which has no earlier months to compare), cannot show the
    deletion to git: the branch's own listing against the render's months can.
    Nothing before a first render.
    """
    saved = json.loads(store_sources.get_meta(conn, _MARKS_KEY) or "null")
    if saved is None:
        return []
    months: dict[str, dict[str, int]] = saved["months"]
    stale = []
    for path in present:
        found = _MONTH_PAGE.fullmatch(path)
        if found and found[1] in months and found[2] not in months[found[1]]:
            stale.append(path)
    return stale


def saved_marks(conn: Connection) -> str | None:
    """The last render's marks as saved, for publishing to keep beside the commit that holds its pages."""
    return store_sources.get_meta(conn, _MARKS_KEY)


def restore_marks(conn: Connection, saved: str | None) -> None:
    """Make the next render start from `saved` (None: render every page), e.g. the marks of the published site.

    On a runner the site folder is the published branch, not what the last
    render wrote: the marks must say what that branch holds (docs/PUBLISH.md).
    """
    if saved is None:
        store_sources.drop_meta(conn, _MARKS_KEY)
    else:
        store_sources.set_meta(conn, _MARKS_KEY, saved)
