"""What every command gets from the group: the vault folder, its config and its store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsvault.config import VAULT_FILE, Config, ConfigError, load

if TYPE_CHECKING:
    from sqlalchemy import Engine


class Context:
    def __init__(self, vault: Path) -> None:
        self.vault = vault

    def config(self) -> Config:
        try:
            return load(self.vault)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None

    def engine(self, config: Config, *, upgrade: bool = True) -> Engine:
        """The vault's store, or a one-line error saying where it is and what to do."""
        return open_checked(config.store_url, upgrade=upgrade)


def open_checked(url: str, *, upgrade: bool = True) -> Engine:
    """`open_store`, with its `StoreError` (an unreachable, wrong or unwritable store) as a one-line error."""
    from newsvault.store import open_store
    from newsvault.store.engine import StoreError

    from .terminal import visible

    try:
        return open_store(url, upgrade=upgrade)
    except StoreError as exc:
        raise click.ClickException(visible(str(exc))) from None


def since_ms(day: str, param: str = "--since") -> int:
    """A day typed on the command line, in China time as every date newsvault shows."""
    from newsvault.base.clock import china_day_start

    try:
        return china_day_start(day)
    except ValueError:
        raise click.BadParameter(f"expected a day as YYYY-MM-DD (China time), not {day!r}", param_hint=param) from None


def require_enabled(config: Config, only: tuple[str, ...] = ()) -> None:
    """A poll of nothing is an error said plainly, not a quiet success."""
    if not config.enabled(only):
        among = f" among {', '.join(only)}" if only else ""
        raise click.ClickException(
            f"no enabled source{among} in {config.vault / VAULT_FILE}: "
            "add one ([sources.<abbr>] with feed = URL) or set enabled = true"
        )


def require_known(engine: Engine, config: Config, abbrs: tuple[str, ...], param: str = "--source") -> None:
    """Each of `abbrs` is a source of this vault (configured or stored): a typo is an error, not an empty answer."""
    from newsvault.store import sources as store_sources

    with engine.connect() as conn:
        stored = {s["abbr"] for s in store_sources.all_sources(conn)}
    refuse_unknown(stored | set(config.sources), abbrs, param)


def refuse_unknown(known: set[str], abbrs: tuple[str, ...], param: str = "--source") -> None:
    """`require_known` given the sources already read (configured and stored)."""
    unknown = [a for a in abbrs if a not in known]
    if unknown:
        raise click.BadParameter(f"no source {unknown[0]!r} in this vault", param_hint=param)
