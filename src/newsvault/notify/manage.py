"""The operator's hand on the outbox: an uncertain message sent again, or given up, once the channel was checked.

A message whose send was interrupted is `uncertain` and never sent again by
itself (docs/NOTIFY.md): only a person who looked at the channel knows whether
it arrived. `resend` queues it again (the next poster sends it), `drop` gives
it up for good (a queued one too: a message the channel will never take).
Both hold the channel's posting lock, so no poster is sending meanwhile; that
also makes any message still `sending` one a killed poster left, and it is
settled as `uncertain` first, as a poster would. Ids are checked first and a
wrong one changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from newsvault.base.problems import Kind, Problem
from newsvault.config.model import TelegramSettings
from newsvault.store import outbox

from .queue import channel_key

RESENDABLE = ("uncertain",)
DROPPABLE = ("uncertain", "queued")


@dataclass
class Marked:
    channel: str
    changed: list[int] = field(default_factory=list)  # the ids queued again, or given up
    settled: list[int] = field(default_factory=list)  # left "sending" by a killed poster: uncertain now
    problems: list[Problem] = field(default_factory=list)


def resend(engine: Engine, settings: TelegramSettings, ids: Sequence[int] | None) -> Marked:
    """Queue these uncertain messages again (None: every uncertain message of the channel)."""
    return _mark(engine, settings, ids, RESENDABLE, "resent", outbox.resend)


def drop(engine: Engine, settings: TelegramSettings, ids: Sequence[int]) -> Marked:
    """Give these uncertain or queued messages up: never sent, by any poster."""
    return _mark(engine, settings, ids, DROPPABLE, "dropped", outbox.drop)


def _mark(
    engine: Engine,
    settings: TelegramSettings,
    ids: Sequence[int] | None,
    allowed: tuple[str, ...],
    action: str,
    apply: Callable[[Connection, Sequence[int]], None],
) -> Marked:
    channel = channel_key(settings)
    marked = Marked(channel)
    with outbox.posting(engine, channel) as mine:
        if not mine:
            busy = "another process is posting to the channel now; nothing changed, try again when it is done"
            marked.problems.append(Problem(Kind.NOTIFY_BUSY, busy, channel))
            return marked
        with engine.begin() as conn:
            marked.settled = outbox.settle_interrupted(conn, channel)
            wanted = [row["id"] for row in outbox.uncertain(conn, channel)] if ids is None else list(dict.fromkeys(ids))
            found = outbox.states(conn, channel, wanted)
            for i in wanted:
                if i not in found:
                    marked.problems.append(Problem(Kind.NO_MESSAGE, f"no message of {channel} has this id", f"#{i}"))
                elif found[i] not in allowed:
                    only = " or ".join(allowed)
                    said = f"is {found[i]}: only an {only} message can be {action}"
                    marked.problems.append(Problem(Kind.WRONG_STATE, said, f"#{i}"))
            if not marked.problems:
                apply(conn, wanted)
                marked.changed = wanted
    return marked
