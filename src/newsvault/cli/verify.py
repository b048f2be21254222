"""`newsvault verify`: whether the store and the published tree agree."""

from __future__ import annotations

import sys

import click

from newsvault.render.verify import verify as verify_tree

from .context import Context
from .terminal import visible


@click.command("verify")
@click.pass_obj
def command(obj: Context) -> None:
    """Check that the store and the published tree agree, and the evidence WARCs too; exit 1 on any problem.

    The evidence check reads every WARC file in the evidence folder (docs/EVIDENCE.md says what that costs).
    """
    config = obj.config()
    engine = obj.engine(config)
    problems = 0
    for problem in verify_tree(engine, config):
        problems += 1
        click.echo(visible(str(problem)))
    click.echo(f"verify: {problems} problem(s) in {config.archive}")
    evidence = config.vault / config.publish.evidence_path
    if evidence.is_dir():
        from newsvault.publish.evidence import verify_evidence

        found = 0
        for problem in verify_evidence(engine, evidence):
            found += 1
            click.echo(visible(str(problem)))
        click.echo(f"verify: {found} problem(s) in the evidence at {evidence}")
        problems += found
    sys.exit(1 if problems else 0)
