"""Adding sources to vault.toml as a person would: their comments, order and spelling left as they were.

vault.toml is the user's file, often annotated by hand; `add` and `import-opml`
append `[sources.<abbr>]` tables through tomlkit, which keeps everything else
byte for byte. Each addition is checked by reading the file it would make with
`load` (the same rules as every run), so a refused source leaves no trace, and
the file is written once, atomically, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import tomlkit
from tomlkit.items import InlineTable

from newsvault.base.files import write_atomic

from .load import load, vault_file
from .model import Config
from .schema import ConfigError


class VaultEditor:
    """vault.toml being added to; nothing reaches the disk before `save`."""

    def __init__(self, vault: Path | str) -> None:
        self.path = vault_file(vault)
        try:
            self._original = self.path.read_text("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{self.path}: not found (create a vault with `newsvault init DIR`)") from None
        self._text = self._original
        self.config = load(self.path)

    def add(self, abbr: str, keys: Mapping[str, str | bool]) -> Config:
        """Append `[sources.<abbr>]` with `keys`; raises ConfigError, changing nothing, if the result is refused."""
        doc = tomlkit.parse(self._text)
        sources = doc.get("sources")
        if sources is None:
            sources = tomlkit.table(is_super_table=True)
            doc.append("sources", sources)
        if isinstance(sources, InlineTable):  # `sources = { … }` stays one inline table
            sources[abbr] = tomlkit.inline_table()
            sources[abbr].update(keys)
        else:  # [sources.*] tables: the new one follows them (the first run of them, if they are split)
            entry = tomlkit.table()
            for key, value in keys.items():
                entry.add(key, value)
            entry.add(tomlkit.nl())  # a blank line before whatever follows, as people write it
            sources[abbr] = entry
        text = tomlkit.dumps(doc)
        config = load(self.path, text=text)
        self._text, self.config = text, config
        return config

    @property
    def changed(self) -> bool:
        return self._text != self._original

    def save(self) -> None:
        """Write the file if something was added, unless someone changed it meanwhile (their edit wins)."""
        if not self.changed:
            return
        if self.path.read_text("utf-8") != self._original:
            raise ConfigError(f"{self.path}: changed by someone else while sources were added; nothing written")
        write_atomic(self.path, self._text.encode("utf-8"))
