"""The site in headless Chromium from file://: clicks through, no console errors, screenshots kept."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsvault.render.site.paths import site_root
from tests.site_vault import build, page_of

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@contextmanager
def chromium() -> Iterator:  # type: ignore[type-arg]
    """Started after the vault is built: Playwright's sync API keeps an event loop running in the thread."""
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _watch(page) -> list[str]:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}") if r.url.startswith("file:") else None)
    return problems


def _follow(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Click a link and wait for the page it opens to load: its stylesheet and images, not a length of time.

    Without it a check of computed styles could run before the stylesheet
    applied (line-height "normal" on a loaded machine).
    """
    with page.expect_navigation(wait_until="load"):
        page.click(f"text={text}")


def test_click_through_from_file_url_without_console_errors(tmp_path, server):
    config, _engine = build(tmp_path, server)
    site = site_root(config)
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        for scheme in ("light", "dark"):
            _click_through(browser, site, scheme)


def _click_through(browser, site: Path, scheme: str, size: tuple[int, int] = (390, 844)) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, color_scheme=scheme, device_scale_factor=2
    )
    page = context.new_page()
    problems = _watch(page)
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto((site / "index.html").as_uri())
    assert page.title() == "新闻存档 · newsvault"
    _follow(page, "香港報導")
    assert page.url.endswith("/hk/index.html")
    _follow(page, "2024-05")
    assert page.url.endswith("/hk/2024-05.html")
    _follow(page, "自由亞洲電台報導：這是繁體")
    assert page.locator("article").get_attribute("lang") == "zh-Hant"
    image = page.locator("article img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1  # the mirrored copy, from file://
    page.screenshot(path=str(ARTIFACTS / f"article-hk-{scheme}.png"), full_page=True)
    page.goto((site / "voa/index.html").as_uri())
    _follow(page, "2024-05")
    _follow(page, "习近平会见外宾（更新）")
    line_height = page.evaluate("getComputedStyle(document.querySelector('article .body p')).lineHeight")
    font_size = page.evaluate("getComputedStyle(document.querySelector('article .body p')).fontSize")
    assert float(line_height.removesuffix("px")) >= 1.7 * float(font_size.removesuffix("px"))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(23, 24, 26)") == (scheme == "dark")
    page.screenshot(path=str(ARTIFACTS / f"article-voa-{scheme}.png"), full_page=True)
    _follow(page, "2 个版本")
    assert page.locator("del").count() >= 1 and page.locator("ins").count() >= 1
    page.screenshot(path=str(ARTIFACTS / f"versions-{scheme}.png"), full_page=True)
    for extra in ("deleted.html", "edited.html", "health.html"):
        page.goto((site / extra).as_uri())
    page.screenshot(path=str(ARTIFACTS / f"health-{scheme}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= size[0]  # nothing wider than a phone
    assert problems == []
    assert external == []  # proxied images are the only external requests, and this vault has none
    context.close()


def test_the_site_folder_alone_shows_its_mirrored_images(tmp_path, server):
    config, _engine = build(tmp_path / "vault", server)
    alone = tmp_path / "elsewhere" / "news"
    shutil.copytree(site_root(config), alone)  # as published: no archive beside it
    shutil.rmtree(tmp_path / "vault")  # nor anywhere else the old links could reach
    target = page_of(alone, "自由亞洲電台報導：這是繁體")
    with chromium() as browser:
        page = browser.new_page()
        problems = _watch(page)
        page.goto(target.as_uri())
        image = page.locator("article img")
        assert image.evaluate("img => img.complete && img.naturalWidth") == 1
        assert image.evaluate("img => img.src").startswith((alone / "assets").as_uri() + "/")
        assert problems == []


def test_hostile_article_runs_nothing(tmp_path, server):
    from tests.site_vault import XSS_TITLE, page_of

    config, _engine = build(tmp_path, server)
    with chromium() as browser:
        _open_hostile(browser, page_of(site_root(config), XSS_TITLE))


def _open_hostile(browser, target: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.site_vault import XSS_TITLE

    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    problems = _watch(page)
    page.goto(target.as_uri())
    page.click("text=链接")  # the javascript: link lost its href
    assert dialogs == [] and problems == []
    assert page.locator("h1").inner_text() == XSS_TITLE
