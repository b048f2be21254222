"""`newsvault verify-proof FILE`: whether a published file's bytes were stamped by a timestamp authority."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import Context
from .terminal import visible


@click.command("verify-proof")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--tsa-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The CA certificate (PEM) tokens must chain to; default: [timestamps] tsa_cert of the vault.",
)
@click.pass_obj
def command(obj: Context, file: Path, tsa_cert: Path | None) -> None:
    """Check FILE (an article or version file) against the published manifests and their RFC 3161 tokens.

    Prints the stamped time; exit 1 with the reason when the file is in no manifest, the manifest is not
    what its token stamps, or the token does not verify against the certificate.
    """
    from newsvault.publish.timestamps import TimestampError, verify_file

    if tsa_cert is None:
        config = obj.config()
        if config.timestamps.tsa_cert is None:
            raise click.UsageError("give --tsa-cert (no [timestamps] tsa_cert in the vault)")
        tsa_cert = config.vault / config.timestamps.tsa_cert
    try:
        proof = verify_file(file, tsa_cert)
    except TimestampError as exc:
        click.echo(visible(f"verify-proof: {exc}"), err=True)
        sys.exit(1)
    click.echo(visible(f"{file}: in {proof.manifest}, stamped {proof.time}"))
