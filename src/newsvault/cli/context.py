"""What every command gets from the group: the vault folder, its config and its store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsvault.config import Config, ConfigError, load

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

    def engine(self, config: Config) -> Engine:
        from sqlalchemy.exc import SQLAlchemyError

        from newsvault.store import open_store
        from newsvault.store.engine import shown_url

        from .terminal import visible

        try:
            return open_store(config.store_url)
        except SQLAlchemyError as exc:  # a full or unreadable disk, a database that is down: one line
            where = shown_url(config.store_url)
            reason = getattr(exc, "orig", None) or exc  # the database's words, not SQLAlchemy's traceback hint
            raise click.ClickException(visible(f"cannot open the store {where}: {reason}")) from None
