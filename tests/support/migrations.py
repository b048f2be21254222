"""A store taken back to an earlier migration, to test what a later one does to it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine

from newsvault.store.engine import _alembic_config


def downgrade(engine: Engine, revision: str) -> None:
    """The store back at `revision` through the migrations' own downgrades, its rows kept."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
