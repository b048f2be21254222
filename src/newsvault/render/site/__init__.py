"""The static site: outlets by month, sanitised article pages, versions with diffs, deletions,
source health and feeds out, written to `[site] path` (see docs/SITE.md).

    render_site(engine, config, full=False)   # called by render_tree after the archive
    html_bundle(engine, config, since_ms, abbrs) / epub_bundle(...)   # `newsvault bundle`
"""

from newsvault.render.site.build import SiteStats, render_site

__all__ = ["SiteStats", "render_site"]
