"""Automatic extraction on real Chinese pages: how much of the text it finds, and what it costs.

Quality: for every fixture page with a known main text (../shared/fixtures/pages),
recall and precision of character bigrams of the extracted text against it.
Time: extraction per page as a ratio to a bare lxml parse of the same bytes,
so the number means the same on a slow or a fast machine.

    .venv/bin/python bench/bench_extract.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import lxml.html

from newsvault.extract.auto import auto_body

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.extract_gold import PAGES, gold_pages, overlap


def quality() -> None:
    print(f"{'page':58} {'recall':>7} {'precision':>9}")
    recalls, precisions = [], []
    for page, gold in gold_pages():
        got = auto_body(page.read_bytes(), url="http://example.com/article.html").text
        recall, precision = overlap(gold, got)
        recalls.append(recall)
        precisions.append(precision)
        print(f"{page.name[:58]:58} {recall:7.3f} {precision:9.3f}")
    print(
        f"{'mean of ' + str(len(recalls)) + ' pages':58} {sum(recalls) / len(recalls):7.3f} "
        f"{sum(precisions) / len(precisions):9.3f}"
    )


def timing(rounds: int) -> None:
    pages = sorted(p for p in PAGES.rglob("*.html") if ".expected" not in p.name)
    ratios: list[float] = []
    parse_total = extract_total = 0.0
    for page in pages:
        data = page.read_bytes()
        parse = extract = 0.0
        for _ in range(rounds):
            started = time.perf_counter()
            lxml.html.document_fromstring(data)
            parse += time.perf_counter() - started
            started = time.perf_counter()
            auto_body(data)
            extract += time.perf_counter() - started
        ratios.append(extract / parse)
        parse_total += parse
        extract_total += extract
    ratios.sort()
    n = rounds * len(pages)
    print(
        f"\n{len(pages)} pages x {rounds}: lxml parse {parse_total / n * 1000:.1f} ms/page, "
        f"extraction {extract_total / n * 1000:.1f} ms/page"
    )
    print(
        f"extraction / lxml parse: median {ratios[len(ratios) // 2]:.1f}x, "
        f"slowest {ratios[-1]:.1f}x, all pages together {extract_total / parse_total:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    quality()
    timing(args.rounds)


if __name__ == "__main__":
    main()
