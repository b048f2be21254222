"""Which outlet a folder or a list of an imported tree belongs to.

The original named folders by abbreviation since October 2020 (``articles/voa/``)
and by list name before (``articles/美国之音/``); both must land in one outlet so
that its countdown continues and feeds recognise its old articles. A folder that
matches nothing becomes a new outlet named after it, so nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from newsvault.config import Source


@dataclass(frozen=True)
class Outlet:
    abbr: str
    name: str
    feed: str | None


class Outlets:
    """Resolves folder and list names; remembers outlets it had to make up.

    Earlier sources win: the vault's own configuration, then the store, then the
    built-in catalogue.
    """

    def __init__(self, *sources: Iterable[Outlet]) -> None:
        self._by_abbr: dict[str, Outlet] = {}
        self._by_name: dict[str, Outlet] = {}
        for group in sources:
            for outlet in group:
                self._by_abbr.setdefault(outlet.abbr, outlet)
                self._by_name.setdefault(outlet.name, outlet)

    def for_folder(self, folder: str) -> Outlet:
        """``articles/<folder>/``: an abbreviation, else a list name, else a new outlet."""
        return self._by_abbr.get(folder) or self._by_name.get(folder) or self._new(folder)

    def for_list(self, name: str) -> Outlet:
        """``lists/<name>.md``: a list name, else an abbreviation, else a new outlet."""
        return self._by_name.get(name) or self._by_abbr.get(name) or self._new(name)

    def by_abbr(self, abbr: str) -> Outlet:
        """An outlet that ``for_folder`` or ``for_list`` gave out before."""
        return self._by_abbr[abbr]

    def _new(self, name: str) -> Outlet:
        outlet = Outlet(abbr=name, name=name, feed=None)
        self._by_abbr[name] = outlet
        self._by_name.setdefault(name, outlet)
        return outlet


def from_config(sources: Iterable[Source]) -> list[Outlet]:
    return [Outlet(s.abbr, s.name, s.feed) for s in sources]
