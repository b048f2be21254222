"""What a run tells the person who started it: progress, a per-source summary, what publishing did."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from .terminal import plain, visible

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from newsvault.config import Config
    from newsvault.publish import PublishReport
    from newsvault.schedule import RunReport, SourceResult, StepError


def status_text(r: SourceResult) -> str:
    if r.error:
        return f"ERROR: {r.error}"
    if r.problems:
        return f"{len(r.problems)} problem(s)"
    return "not modified" if r.not_modified else "ok"


_AFTER_SPACE = {  # what finishes a step's work once there is room again
    "render": "the next `newsvault run` (or `newsvault render`) writes the rest",
    "image mirroring": "the next `newsvault run` mirrors the rest",
    "search index": "the next `newsvault run` (or `newsvault reindex`) indexes the rest",
}


def step_error_text(e: StepError) -> str:
    """One line for a run-level step that failed; a full disk says so and what to do."""
    if e.disk_full:
        if not isinstance(e.error, OSError):  # the database said so
            where = " under the store"
        else:
            where = f" at {e.place}" if e.place is not None else ""
        then = _AFTER_SPACE.get(e.step, "the next `newsvault run` does the rest")
        return f"ERROR: {e.step}: disk full{where}: nothing stored is lost; free some space, then {then}"
    return f"ERROR: {e.step}: {type(e.error).__name__}: {e.error}"


def print_summary(report: RunReport, console: Console) -> None:
    """The per-source summary, then every problem, note and run-level error: one line each, escaped."""
    if console.is_terminal:
        table = Table(title="newsvault run")
        for column in ("source", "new", "updated", "unchanged", "status"):
            table.add_column(column, justify="right" if column in ("new", "updated", "unchanged") else "left")
        for r in report.sources:
            style = "red" if r.failed else None
            table.add_row(
                plain(f"{r.abbr} {r.name}"),
                str(r.new),
                str(r.updated),
                str(r.unchanged),
                plain(status_text(r)),
                style=style,
            )
        console.print(table)
    else:
        for r in report.sources:
            say(console, f"{r.abbr}: new {r.new}, updated {r.updated}, unchanged {r.unchanged}: {status_text(r)}")
    for r in report.sources:
        for problem in (*r.problems, *r.notes):
            say(console, f"{r.abbr}: {problem}")
        if r.rechecks and r.rechecks.checked:
            c = r.rechecks
            say(
                console,
                f"{r.abbr}: re-checked {c.checked}: {c.changed} changed, {c.gone} gone, "
                f"{c.censored} censored, {c.unreachable} unreachable",
            )
            for note in c.notes:
                say(console, f"{r.abbr}: {note}")
    for error in report.errors:
        say(console, step_error_text(error))
    if report.images is not None:
        i = report.images
        say(
            console,
            f"images: {i.stored} mirrored, {i.duplicates} duplicate(s), {len(i.failed)} to retry, "
            f"{len(i.refused)} refused",
        )
        for line in i.failed + i.refused:
            say(console, f"image {line}")
    if report.render is not None:
        say(console, f"render: {report.render.written} file(s) written")
    if report.queued:
        say(console, f"notify: {report.queued} message(s) queued")


def say(console: Console, line: str) -> None:
    """Print one line that may hold untrusted text: escaped, no markup, no wrapping into a second line."""
    console.print(plain(line), soft_wrap=True)


def progress_line(console: Console) -> Callable[[SourceResult], None]:
    """A callback printing each source as it finishes (plain lines when not a TTY)."""

    def show(r: SourceResult) -> None:
        mark = "✗" if r.failed else "✓"
        say(console, f"{mark} {r.abbr} ({r.name}): {status_text(r)}")

    return show


def publish_and_report(config: Config, engine: Engine) -> bool:
    """Publish the archive (and the site, the evidence) per vault.toml, one line per remote; True if anything failed."""
    from newsvault.publish import publish_with

    report = publish_with(config.archive, config.publish)
    failed = _print_publish("publish", report)
    if not config.publish.remotes and report.error is None:
        click.echo("publish: no [[publish.remote]] in vault.toml; committed locally only")
    if config.publish.site:
        from newsvault.publish.site import publish_site

        failed = _print_publish("site", publish_site(engine, config)) or failed
    if config.publish.evidence:
        from newsvault.publish.evidence import publish_evidence
        from newsvault.publish.warc import WarcCounts

        console = Console()
        folder = config.vault / config.publish.evidence_path
        if console.is_terminal:  # a first publish of a big store writes every capture it ever kept
            with console.status("writing evidence…") as status:

                def show(c: WarcCounts) -> None:
                    status.update(f"writing evidence… {c.captures} capture(s), {c.payload_bytes / 1e6:.1f} MB")

                evidence = publish_evidence(engine, folder, config.publish, progress=show)
        else:
            evidence = publish_evidence(engine, folder, config.publish)
        c = evidence.counts
        if evidence.publish is None or evidence.publish.error is None or evidence.files:
            click.echo(
                f"evidence: {c.captures} new capture(s)"
                + (f", {c.revisits} revisit(s)" if c.revisits else "")
                + f" in {len(evidence.files)} WARC file(s), "
                f"{c.payload_bytes / 1e6:.1f} MB of payload"
            )
        if evidence.publish is not None:
            failed = _print_publish("evidence", evidence.publish) or failed
    return failed


def _print_publish(what: str, report: PublishReport) -> bool:
    if report.error:
        click.echo(visible(f"{what}: FAILED: {report.error}"))
        return True
    if report.commit is None:
        click.echo(f"{what}: nothing changed, no commit")
    else:
        click.echo(visible(f"{what}: committed {report.commit.sha[:7]}: {report.commit.message}"))
    for r in report.remotes:
        tries = f" after {r.attempts} attempts" if r.attempts > 1 else ""
        status = r.detail if r.ok else f"FAILED{tries}: {r.detail}"
        click.echo(visible(f"{what}: {r.label} ({r.branch}): {status}"))  # git's and the remote's words
    return report.failed


def notify_and_report(config: Config, engine: Engine, console: Console) -> bool:
    """Post the queued notifications and print one line, then each problem; True if the channel refused them."""
    from newsvault.notify import post_queued

    report = post_queued(config, engine)
    if report is None:
        return False
    say(console, f"{report.channel}: {report.posted} posted, {report.waiting} waiting")
    for problem in report.problems:
        say(console, f"{report.channel}: {problem}")
    return report.failed


def witness_and_report(config: Config, engine: Engine, console: Console) -> bool:
    """Submit the queued URLs to the Wayback Machine and print one line, then each problem; True if refused."""
    from newsvault.notify import witness_queued

    report = witness_queued(config, engine)
    if report is None:
        return False
    say(
        console,
        f"wayback: {report.submitted} submitted, {report.captured} captured, {report.pending} pending, "
        f"{report.waiting} waiting, {report.failed} given up",
    )
    for problem in report.problems:
        say(console, f"wayback: {problem}")
    return report.failed_step


def stamp_days_or_error(config: Config, engine: Engine) -> list[str] | StepError:
    """Stamp the days not stamped yet, after a render (the manifests list the files as rendered).

    `run` and `render` both end with it, so a vault whose sources are polled by
    workers is stamped by the `render` its tree's machine runs. A failure is the
    run's step error, not a stop: the articles are stored, and the next one stamps.
    Returns the days stamped now.
    """
    if not config.timestamps.enabled:
        return []
    from sqlalchemy.exc import SQLAlchemyError

    from newsvault.publish.timestamps import TimestampError, stamp_days
    from newsvault.schedule import StepError

    try:
        return stamp_days(engine, config.archive, config.timestamps, config.vault).stamped
    except (TimestampError, OSError, SQLAlchemyError) as exc:
        return StepError("trusted timestamps", exc, config.archive)


def stamped_line(days: list[str]) -> str:
    """One line naming the days a run or render stamped."""
    return f"trusted timestamps: {', '.join(days)} stamped"
