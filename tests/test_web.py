"""The web reader: routes with Starlette's TestClient, then end to end in headless Chromium."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import text
from starlette.testclient import TestClient

from newsvault.search import update_index
from newsvault.store import statuses, versions
from newsvault.store.schema import articles
from newsvault.web import create_app
from tests.vaults import open_vault, write_vault

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DAY = 86_400_000
NOW = 1_720_000_000_000
XSS_TITLE = '<script>window.__xss = "title"</script>朱镕基<img src=x onerror="window.__xss=1">'
XSS_BODY = (
    '<p>经济发展的报道。</p><script>window.__xss = "script"</script>'
    '<svg onload="window.__xss=2"></svg><a href="javascript:window.__xss=3">点我</a>'
    '<iframe srcdoc="<script>parent.__xss=4</script>"></iframe><p onclick="window.__xss=5">正文</p>'
)


def _article(conn, source: str, archive_id: int, title: str, body: str, date_ms: int) -> int:
    return conn.execute(
        articles.insert().values(
            source=source,
            archive_id=archive_id,
            link=f"http://127.0.0.1:9/{archive_id}",
            title=title,
            body=body,
            date_ms=date_ms,
            first_seen_ms=date_ms,
            last_seen_ms=date_ms,
        )
    ).inserted_primary_key[0]


@pytest.fixture
def reader(tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "vault.toml").write_text('[images]\nmode = "keep"\n', "utf-8")
    config, engine = open_vault(vault)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (abbr, name, last_success_ms) VALUES ('voa', '美国之音', :n), ('rfi', '法广', :n)"
            ),
            {"n": NOW},
        )
        first = _article(conn, "voa", 1048574, "朱镕基回忆录出版", "<p>前总理朱镕基的回忆录今天出版。</p>", NOW - DAY)
        versions.add(conn, first, NOW - DAY, "朱镕基回忆录出版", NOW - DAY, "<p>前总理朱镕基的回忆录今天出版。</p>")
        versions.add(conn, first, NOW, "朱镕基回忆录出版", NOW - DAY, "<p>前总理朱镕基的回忆录昨天出版。</p>")
        _article(conn, "rfi", 1048574, "经济发展放缓", "<p>今年经济发展放缓，台湾也受影响。</p>", NOW - 2 * DAY)
        gone = _article(conn, "rfi", 1048573, "已被删除的文章", "<p>这篇文章被审查了。</p>", NOW - 3 * DAY)
        statuses.record(conn, gone, "censored", NOW, "redirect to home page")
        conn.execute(
            text(
                "INSERT INTO checks (article_id, next_ms, last_ms, count, status) VALUES (:a, NULL, :n, 1, 'censored')"
            ),
            {"a": gone, "n": NOW},
        )
        _article(conn, "voa", 1048573, XSS_TITLE, XSS_BODY, NOW - 4 * DAY)
    update_index(engine)
    return create_app(config, engine)


def test_routes_answer_and_are_read_only(reader):
    client = TestClient(reader)
    for path in (
        "/",
        "/new",
        "/new?source=rfi",
        "/a/voa/1048574",
        "/a/voa/1048574/versions",
        "/edited",
        "/deleted",
        "/health",
        "/search?q=镕基",
        "/static/site.css",
        "/static/reader.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert client.get("/a/voa/1").status_code == 404
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/").status_code == 405
    home = client.get("/")
    assert "美国之音" in home.text and "法广" in home.text
    assert "script-src" not in home.headers["content-security-policy"]  # default-src 'none': no script at all


def test_home_counts_follow_new_articles_and_health_is_always_current(tmp_path):
    """The outlet counts are kept between requests: a new article must still show, a failure at once."""
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "vault.toml").write_text("", "utf-8")
    config, engine = open_vault(vault)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (abbr, name) VALUES ('voa', '美国之音')"))
        _article(conn, "voa", 1048574, "第一篇", "<p>一</p>", NOW - DAY)
    client = TestClient(create_app(config, engine))
    assert "voa · 1 篇" in client.get("/").text
    with engine.begin() as conn:
        _article(conn, "voa", 1048573, "第二篇", "<p>二</p>", NOW)
    assert "voa · 2 篇" in client.get("/").text
    assert "<dt>连续失败</dt><dd>0</dd>" in client.get("/health").text
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET failures = 3 WHERE abbr = 'voa'"))
    assert "连续失败 3 次" in client.get("/").text  # no article changed: the counts are kept, the health is not
    assert "<dt>连续失败</dt><dd>3</dd>" in client.get("/health").text  # the health page's report is made again


def test_search_page_filters_and_highlights(reader):
    client = TestClient(reader)
    page = client.get("/search", params={"q": "鎔基"}).text  # Traditional query, Simplified text
    assert "<mark>镕基</mark>" in page and "/a/voa/1048574" in page
    assert "/a/rfi/" not in client.get("/search", params={"q": "镕基", "source": "rfi"}).text
    assert "/a/rfi/1048574" in client.get("/search", params={"q": "经济发展", "source": "rfi"}).text
    later = client.get("/search", params={"q": "经济发展", "since": "2030-01-01"}).text
    assert "/a/rfi/1048574" not in later


def test_versions_edited_deleted_and_health(reader):
    client = TestClient(reader)
    assert "<del>今</del><ins>昨</ins>" in client.get("/a/voa/1048574/versions").text
    assert "/a/voa/1048574/versions" in client.get("/edited").text
    assert "已被删除的文章" in client.get("/deleted").text
    health = client.get("/health").text
    assert "<svg" in health and "美国之音" in health


def test_article_bodies_and_titles_are_sanitised(reader):
    client = TestClient(reader)
    page = client.get("/a/voa/1048573").text
    for bad in ("<script", "<img src=x", "<svg", "javascript:", "<iframe", "onclick="):
        assert bad not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=" in page  # the title is shown as text


@pytest.fixture
def served(reader):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(reader, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.sync_playwright()


def test_end_to_end_in_chromium(served):
    with _browser() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(served + "/")
        assert "美国之音" in page.inner_text("main")

        page.fill("header input[name=q]", "镕基")  # two characters inside a three-character name
        page.click("header button")
        page.wait_for_url("**/search?q=*")
        assert page.locator("ol.hits li").count() == 2  # the hostile title holds 朱镕基 too
        assert page.locator("ol.hits mark").all_inner_texts() == ["镕基", "镕基", "镕基"]
        page.click("ol.hits a.title >> text=回忆录")
        assert page.url.endswith("/a/voa/1048574")
        assert "回忆录" in page.inner_text("article h1")
        page.click("text=2 个版本")
        assert page.locator("ins").first.inner_text() == "昨"

        page.fill("header input[name=q]", "經濟發展")  # four characters, Traditional
        page.press("header input[name=q]", "Enter")
        page.wait_for_url("**/search?q=*")
        page.select_option("select[name=source]", "rfi")  # the filters of the search page
        page.click("form.filters button")
        page.wait_for_url("**/search?q=*")
        titles = page.locator("ol.hits a.title").all_inner_texts()
        assert "经济发展放缓" in titles
        ARTIFACTS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.screenshot(path=str(ARTIFACTS / "search-phone.png"), full_page=True)
        for path in ("/new", "/edited", "/deleted", "/health"):
            page.goto(served + path)
        assert errors == []

        # Hostile title and body: nothing runs (the sanitiser removes it; the CSP would block it).
        page.goto(served + "/a/voa/1048573")
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert "朱镕基" in page.inner_text("article h1")
        for link in page.locator("article .body a").all():
            link.click(no_wait_after=True)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert not [e for e in errors if "Content Security Policy" in e]
        browser.close()


def test_the_reader_shows_china_time_and_says_so(reader):
    """One clock (issue 16): NOW - DAY is 2024-07-02 09:46 UTC, 17:46 in China, as in the archive's lists."""
    client = TestClient(reader)
    page = client.get("/a/voa/1048574").text
    assert "2024-07-02 17:46" in page and "09:46" not in page
    assert "北京时间（UTC+8）" in page


def test_reader_speaks_chinese_and_says_what_happened_first(reader):
    """Issue 16's reader: a banner on a censored article, Chinese status words and 404, outlet names as titles,
    the newest articles on the home page, the number of hits, flagged sources summed up first."""
    client = TestClient(reader)
    censored = client.get("/a/rfi/1048573").text
    assert censored.index('class="notice"') < censored.index('<div class="body">')
    assert "原网站已撤下或屏蔽此文（检查于 <time>2024-07-03 17:46</time>）" in censored  # one unbreakable date
    assert "被审查" in censored and ">censored " not in censored
    deleted = client.get("/deleted").text
    assert "被审查" in deleted and " censored " not in deleted
    missing = client.get("/a/voa/1")
    assert missing.status_code == 404 and "找不到此页" in missing.text and "Not Found" not in missing.text
    outlet = client.get("/new", params={"source": "rfi"}).text
    assert "<h1>法广</h1>" in outlet and "最新 · rfi" not in outlet
    home = client.get("/").text
    assert "最新文章" in home and home.index("法广") < home.index("经济发展放缓")
    found = client.get("/search", params={"q": "经济"}).text
    assert "找到 2 篇" in found  # the XSS article says 经济 too
    health = client.get("/health").text
    assert "2 个来源，都正常。" in health and "<text" in health


def test_search_counts_its_hits_up_to_a_cap_and_says_more_past_it(reader, monkeypatch):
    """Above the first page of hits the reader says how many there are: exactly up to COUNTED, "超过" past it."""
    from newsvault.web import app

    client = TestClient(reader)
    monkeypatch.setattr(app, "PAGE", 1)
    said = {}
    for counted in (2, 3):
        monkeypatch.setattr(app, "COUNTED", counted)
        for page in (0, 2):
            found = client.get("/search", params={"q": "的", "page": page}).text
            said[counted, page] = re.search(r'<p class="meta count">([^<]*)</p>', found).group(1)
    assert said == {  # three articles hold 的
        (2, 0): "找到超过 2 篇，第 1–1 篇",
        (2, 2): "找到超过 2 篇，第 3–3 篇",
        (3, 0): "找到 3 篇，第 1–1 篇",
        (3, 2): "找到 3 篇，第 3–3 篇",
    }


def test_reader_on_a_phone_reads_whole_words_and_says_what_happened(served):
    """At 390 px, as a reader sees it (visible text, boxes), with a screenshot of each page kept as an artifact."""
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        ARTIFACTS.mkdir(exist_ok=True)
        for path, name in (
            ("/", "home"),
            ("/a/rfi/1048573", "censored"),
            ("/search?q=经济", "search"),
            ("/health", "health"),
        ):
            page.goto(served + path)
            page.screenshot(path=str(ARTIFACTS / f"reader-phone-{name}.png"), full_page=True)
            for link in page.locator("header nav a").all():  # 最新, 已修改…: never split across lines
                box = link.bounding_box()
                assert box is not None and box["height"] < 40, (path, link.inner_text(), box)
            for stamp in page.locator("time").all():  # 2020-07-20 12:00: one piece
                box = stamp.bounding_box()
                assert box is not None and box["height"] < 40, (path, stamp.inner_text(), box)
        page.goto(served + "/a/rfi/1048573")
        notice = page.locator(".notice")
        assert notice.is_visible() and "原网站已撤下或屏蔽此文" in notice.inner_text()
        notice_box, body_box = notice.bounding_box(), page.locator(".body").bounding_box()
        assert notice_box is not None and body_box is not None and notice_box["y"] < body_box["y"]
        page.goto(served + "/search?q=经济")
        assert "找到 2 篇" in page.inner_text("main")
        page.goto(served + "/")
        assert "最新文章" in page.inner_text("main")
        browser.close()


def test_every_version_is_readable_whole_in_the_reader(reader):
    page = TestClient(reader).get("/a/voa/1048574/versions").text
    assert "各版本全文" in page
    assert "前总理朱镕基的回忆录今天出版。" in page and "前总理朱镕基的回忆录昨天出版。" in page


def test_pages_are_rendered_in_turn() -> None:
    """A page asked while another renders waits for it, then runs alone (the reader's p95 under 8 clients)."""
    import anyio
    from starlette.responses import Response

    from newsvault.web.app import in_turn

    began, release, entered = threading.Event(), threading.Event(), []

    def first(request):
        entered.append("first")
        began.set()
        release.wait()
        return Response("first")

    def second(request):
        entered.append("second")
        return Response("second")

    async def main() -> None:
        limiter = anyio.CapacityLimiter(1)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(in_turn(limiter, first), None)
            await anyio.to_thread.run_sync(began.wait)
            tasks.start_soon(in_turn(limiter, second), None)
            try:
                for _ in range(10_000):  # checkpoints, not time: until the second page is queued
                    if limiter.statistics().tasks_waiting:
                        break
                    await anyio.lowlevel.checkpoint()
                assert limiter.statistics().tasks_waiting == 1 and entered == ["first"]
            finally:
                release.set()
        assert entered == ["first", "second"]

    anyio.run(main)


def test_the_serve_command_answers_pages_and_stops_on_interrupt(tmp_path):
    """`newsvault serve` itself, as a user starts it: the index caught up, the app, the frozen start, uvicorn."""
    import signal
    import subprocess
    import sys
    import urllib.request

    vault = write_vault(tmp_path, {})  # on PostgreSQL too: the server reads vault.toml
    _, engine = open_vault(vault)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (abbr, name) VALUES ('voa', '美国之音')"))
        _article(conn, "voa", 1048574, "经济发展放缓", "<p>今年经济发展放缓。</p>", NOW)
    engine.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    newsvault = Path(sys.executable).parent / "newsvault"
    server = subprocess.Popen(
        [str(newsvault), "--vault", str(vault), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        while True:  # until it listens: it builds the index first; a server that exits fails the test
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/search?q=%E7%BB%8F%E6%B5%8E") as response:  # 经济
            assert response.status == 200 and "<mark>经济</mark>发展放缓" in response.read().decode()
        with urllib.request.urlopen(f"{base}/a/voa/1048574") as response:
            assert "今年经济发展放缓。" in response.read().decode()
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(30) == 0
