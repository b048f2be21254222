"""Posting queued notifications through a local Bot API server with the rate limit on (issue 18).

N notifications (default 1,000; --messages) are queued by a real pass (new
articles of a local feed, `events = ["new"]`), then posted through aiogram to
tests/support/botapi.py with `per_minute` raised (default 1,200, so 1,000 take
about a minute). Printed: messages a minute achieved (intervals between the
first and the last arrival at the server) ÷ the limit, target ≥ 0.95 and never
above 1, and the most messages any 60-second window held.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from newsvault.config import load
from newsvault.notify import post_queued
from newsvault.schedule import run_once
from newsvault.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.botapi import BotAPI
from tests.support.server import LocalServer
from tests.vaults import rss, rss_item, write_vault

TOKEN = "123456789:bench-token"


def _feed(server: LocalServer, n: int) -> bytes:
    return rss(
        *(rss_item(f"标题 {i}", server.url(f"/a/{i}.html"), None, f"<p>正文 {i}。</p>", guid=f"g{i}") for i in range(n))
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--per-minute", type=int, default=1200)
    args = parser.parse_args()
    os.environ["NEWSVAULT_TELEGRAM_TOKEN"] = TOKEN
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server, BotAPI(TOKEN) as bot:
        server.set("/f.xml", _feed(server, 1))
        vault = write_vault(Path(tmp), {"voa": {"feed": server.url("/f.xml")}}, fetch={"items_per_run": 100_000})
        with (vault / "vault.toml").open("a", encoding="utf-8") as f:
            f.write(
                "\n[search]\nupdate = false\n\n[site]\nenabled = false\n\n[notify.telegram]\nenabled = true\n"
                f'channel = "@bench"\nevents = ["new"]\napi_url = "{bot.url("")}"\nper_minute = {args.per_minute}\n'
            )
        config = load(vault)
        engine = open_store(config.store_url)
        run_once(config, engine)  # the first scan sets the marks
        server.set("/f.xml", _feed(server, args.messages + 1))
        queued = run_once(config, engine, render=False).queued
        report = post_queued(config, engine)
        engine.dispose()
    assert report is not None and report.posted == queued == args.messages, (report, queued)
    times = [p.at for p in bot.posted]
    span = times[-1] - times[0]
    achieved = (len(times) - 1) / span * 60
    busiest = max(sum(1 for t in times[i:] if t < start + 60) for i, start in enumerate(times))
    print(
        f"posted {len(times)} notifications in {span:.1f} s with the limit at {args.per_minute}/min: "
        f"{achieved:.1f} messages/min, ratio {achieved / args.per_minute:.3f} of the limit "
        "(target >= 0.95, never above 1)"
    )
    print(f"busiest 60 s window: {busiest} messages (limit {args.per_minute})")
    return 0 if achieved <= args.per_minute and busiest <= args.per_minute else 1


if __name__ == "__main__":
    sys.exit(main())
