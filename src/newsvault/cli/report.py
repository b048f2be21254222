"""What a run tells the person who started it: progress, then a per-source summary."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from newsvault.schedule import RunReport, SourceResult


def status_text(r: SourceResult) -> str:
    if r.error:
        return f"ERROR: {r.error}"
    if r.problems:
        return f"{len(r.problems)} problem(s)"
    return "not modified" if r.not_modified else "ok"


def print_summary(report: RunReport, console: Console) -> None:
    if console.is_terminal:
        table = Table(title="newsvault run")
        for column in ("source", "new", "updated", "unchanged", "status"):
            table.add_column(column, justify="right" if column in ("new", "updated", "unchanged") else "left")
        for r in report.sources:
            style = "red" if r.failed else None
            table.add_row(
                f"{r.abbr} {r.name}", str(r.new), str(r.updated), str(r.unchanged), status_text(r), style=style
            )
        console.print(table)
    else:
        for r in report.sources:
            console.print(
                f"{r.abbr}: new {r.new}, updated {r.updated}, unchanged {r.unchanged}: {status_text(r)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    for r in report.sources:
        for line in (*r.problems, *r.notes):
            console.print(f"{r.abbr}: {line}", markup=False, highlight=False, soft_wrap=True)
        if r.rechecks and r.rechecks.checked:
            c = r.rechecks
            console.print(
                f"{r.abbr}: re-checked {c.checked}: {c.changed} changed, {c.gone} gone, "
                f"{c.censored} censored, {c.unreachable} unreachable",
                markup=False,
                highlight=False,
            )
            for note in c.notes:
                console.print(f"{r.abbr}: {note}", markup=False, highlight=False, soft_wrap=True)
    for error in report.errors:
        console.print(f"ERROR: {error}", markup=False, highlight=False, soft_wrap=True)
    if report.images is not None:
        i = report.images
        console.print(
            f"images: {i.stored} mirrored, {i.duplicates} duplicate(s), {len(i.failed)} to retry, "
            f"{len(i.refused)} refused",
            markup=False,
            highlight=False,
        )
        for line in i.failed + i.refused:
            console.print(f"image {line}", markup=False, highlight=False, soft_wrap=True)
    if report.render is not None:
        console.print(f"render: {report.render.written} file(s) written", markup=False, highlight=False)


def progress_line(console: Console):  # type: ignore[no-untyped-def]
    """A callback printing each source as it finishes (plain lines when not a TTY)."""

    def show(r: SourceResult) -> None:
        mark = "✗" if r.failed else "✓"
        console.print(f"{mark} {r.abbr} ({r.name}): {status_text(r)}", markup=False, highlight=False, soft_wrap=True)

    return show


def stderr_console() -> Console:
    return Console(file=sys.stderr)
