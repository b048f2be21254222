"""Reading vault.toml: strict, with errors that name the file, the key and what was expected.

A vault.toml may say very little: every key has a default, and a source whose
folder name is in the built-in catalogue inherits the catalogue's settings.
Each table is read against its dataclass in model.py (see schema.py); what
is here are the rules across keys and tables, and the names files take.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from .model import (
    Config,
    Fallback,
    FetchSettings,
    ImageSettings,
    NotifySettings,
    PublishSettings,
    SearchSettings,
    SiteSettings,
    Source,
    TimestampSettings,
    TreeSettings,
    WitnessSettings,
)
from .schema import TOP, ConfigError, read, spec, table

VAULT_FILE = "vault.toml"


@dataclass(frozen=True)
class _Archive(TreeSettings):
    """[archive]: where the tree is written, beside how it is laid out."""

    path: str = field(default="archive", metadata=spec("a path"))


@dataclass(frozen=True)
class _Store:
    """[store]; its default, a file in the vault, depends on where the vault is."""

    url: str = field(metadata=spec("a URL"))


def catalogue() -> dict[str, Source]:
    """The built-in outlets (the nine of the original archive), in README order."""
    text = resources.files(__package__).joinpath("catalogue.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {abbr: _source("catalogue.toml", abbr, entry, None) for abbr, entry in data["sources"].items()}


# The lists of all outlets (issue 5) live beside the outlets' own: no outlet may take their names.
_RESERVED_NAMES = {"已修改", "已删除"}
_FILE_NAME_BYTES = 255  # ext4, btrfs, APFS, ...: longer names fail with "File name too long"
_ABBR_CHARS = 200  # the store's sources.abbr is VARCHAR(200), which PostgreSQL enforces
# Bidi controls make a name show as other characters than it has (Unicode's "Trojan Source").
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# An abbr is a path in every list line, "(/articles/<abbr>/<id>.md)": these would end or redirect the link.
_NOT_IN_LINK = frozenset(" ()<>#?%")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")


def _shown(value: str) -> str:
    """`value` for a one-line message: quoted and escaped as Python does, cut after 60 characters."""
    return repr(value[:60]) + ("…" if len(value) > 60 else "")


def _segment_problem(value: str, suffix: str) -> str | None:
    """Why `value` followed by `suffix` cannot be one file name in every checkout of the tree; None if it can."""
    if not value.strip():
        return "empty"
    if "/" in value or "\\" in value:
        return "contains a path separator"
    if value.startswith("."):
        return "starts with '.'"
    for c in value:
        if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS:
            return f"contains the control character U+{ord(c):04X}"
    if (size := len(f"{value}{suffix}".encode())) > _FILE_NAME_BYTES:
        return f"{size} bytes in UTF-8 with {suffix!r}, more than a file name's {_FILE_NAME_BYTES}"
    return None


def _list_name(file: str, where: str, name: str) -> None:
    """An outlet's name names files (lists/<name>.md, lists/<name>/): it must stay one path segment."""
    problem = _segment_problem(name, ".md") or ("reserved" if name in _RESERVED_NAMES else None)
    if problem:
        raise ConfigError(
            f"{file}: {where} key 'name': not usable as a list file name (lists/<name>.md): {problem}: {_shown(name)}"
        )


def _where(abbr: str) -> str:
    """The table of a source in messages, one line even when its key holds control characters."""
    return f"[sources.{abbr if _BARE_KEY.fullmatch(abbr) else _shown(abbr)}]"


def _folder_problem(abbr: str) -> str | None:
    """Why `abbr` cannot be the folder articles/<abbr>/ (and the site's feeds/<abbr>.atom); None if it can."""
    problem = _segment_problem(abbr, ".atom")
    if problem is None and len(abbr) > _ABBR_CHARS:
        problem = f"{len(abbr)} characters, more than the store's {_ABBR_CHARS}"
    if problem is None and (found := next((c for c in abbr if c in _NOT_IN_LINK), None)):
        problem = f"contains {found!r}, which a list's link to articles/<abbr>/ cannot hold"
    return problem


def _unique(file: str, sources: dict[str, Source]) -> None:
    """No two outlets may share a folder or a list: one would show the other's articles, or neither.

    Compared as one file on macOS and Windows (case-folded, Unicode NFC), where
    a checkout of the tree would otherwise merge "BBC" and "bbc".
    """
    for what in ("abbr", "name"):
        seen: dict[str, Source] = {}
        for source in sources.values():
            value = getattr(source, what)
            first = seen.setdefault(unicodedata.normalize("NFC", value).casefold(), source)
            if first is not source:
                other = getattr(first, what)
                same = (
                    f"the same {what} {_shown(value)}"
                    if other == value
                    else f"{what}s {_shown(other)} and {_shown(value)}, one file name on macOS and Windows"
                )
                raise ConfigError(
                    f"{file}: {_where(first.abbr)} and {_where(source.abbr)}: {same}; each outlet needs its own"
                )


def _page_needs_selector(file: str, where: str, feed: object) -> None:
    """Checked on each source and each fallback feed as it is read."""
    if isinstance(feed, Source | Fallback) and feed.body == "page" and not feed.selector:
        raise ConfigError(f"{file}: {where}: body = \"page\" needs a 'selector' (CSS) for the article body")


def _source(file: str, abbr: str, entry: object, base: Source | None) -> Source:
    """A source over its catalogue entry `base` when it has one; else `name` and `feed` are required."""
    where = _where(abbr)
    if problem := _folder_problem(abbr):
        raise ConfigError(f"{file}: {where}: not usable as a folder name (articles/<abbr>/): {problem}")
    source = read(
        file,
        where,
        entry,
        Source,
        base=base,
        given={"abbr": abbr},
        missing=" (not a built-in outlet)",
        check=_page_needs_selector,
    )
    _list_name(file, where, source.name)
    return source


# Folders of the Markdown tree the site must stay out of (it would change the tree).
_ARCHIVE_FOLDERS = ("articles", "lists", "versions", "assets")


def _outside_tree(file: str, where: str, key: str, path: str, vault_dir: Path, archive: Path) -> None:
    """A folder newsvault writes besides the tree (the site, the evidence) must not be the tree or inside it."""
    root = (vault_dir / path).resolve()
    tree = [archive / name for name in _ARCHIVE_FOLDERS]
    if root == archive or root in archive.parents or any(f == root or f in root.parents for f in tree):
        raise ConfigError(
            f"{file}: {where} key '{key}': expected a folder outside the archive's "
            f"{', '.join(_ARCHIVE_FOLDERS)} folders, got {path!r}"
        )


def _telegram_complete(file: str, notify: NotifySettings, sources: dict[str, Source]) -> None:
    """A channel to post to, and outlets that exist: a typo would silently post about nothing."""
    telegram = notify.telegram
    if telegram.enabled and telegram.channel is None:
        raise ConfigError(f"{file}: [notify.telegram]: enabled = true needs a 'channel' (its @name or numeric id)")
    if unknown := [abbr for abbr in telegram.outlets if abbr not in sources]:
        raise ConfigError(f"{file}: [notify.telegram] key 'outlets': no source {_shown(unknown[0])} in [sources]")


def vault_file(vault: Path | str) -> Path:
    """DIR/vault.toml, or the file itself when given one."""
    path = Path(vault)
    return path / VAULT_FILE if path.is_dir() or path.suffix != ".toml" else path


def load(vault: Path | str, text: str | None = None) -> Config:
    """Read DIR/vault.toml (or the file itself when given one).

    `text` is read as that file's content instead: an edit is checked as the
    file it would become before a byte of it is written.
    """
    path = vault_file(vault)
    vault_dir = path.parent.resolve()
    file = str(path)
    try:
        data = tomllib.loads(path.read_text("utf-8") if text is None else text)
    except FileNotFoundError:
        raise ConfigError(f"{file}: not found (create a vault with `newsvault init DIR`)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    table(
        file,
        TOP,
        data,
        {
            "archive",
            "store",
            "fetch",
            "sources",
            "publish",
            "images",
            "site",
            "search",
            "notify",
            "timestamps",
            "witness",
        },
    )

    archive = read(file, "[archive]", data.get("archive", {}), _Archive)
    archive_path = (vault_dir / archive.path).resolve()
    default_store = _Store(url=f"sqlite:///{vault_dir / 'vault.sqlite'}")
    store = read(file, "[store]", data.get("store", {}), _Store, base=default_store)

    known = catalogue()
    sources_table = data.get("sources", {})
    if not isinstance(sources_table, dict):
        raise ConfigError(f"{file}: [sources]: expected a table of sources, got {sources_table!r}")
    sources = {abbr: _source(file, abbr, entry, known.get(abbr)) for abbr, entry in sources_table.items()}
    _unique(file, sources)
    site = read(file, "[site]", data.get("site", {}), SiteSettings)
    _outside_tree(file, "[site]", "path", site.path, vault_dir, archive_path)
    publish = read(file, "[publish]", data.get("publish", {}), PublishSettings)
    _outside_tree(file, "[publish]", "evidence_path", publish.evidence_path, vault_dir, archive_path)
    if publish.site and not site.enabled:
        raise ConfigError(f"{file}: [[publish.site]] needs [site] enabled = true: there is no site to publish")
    notify = read(file, "[notify]", data.get("notify", {}), NotifySettings)
    _telegram_complete(file, notify, sources)
    witness = read(file, "[witness]", data.get("witness", {}), WitnessSettings)
    if unknown := [abbr for abbr in witness.wayback.outlets if abbr not in sources]:
        raise ConfigError(f"{file}: [witness.wayback] key 'outlets': no source {_shown(unknown[0])} in [sources]")
    return Config(
        vault=vault_dir,
        archive=archive_path,
        store_url=store.url,
        sources=sources,
        fetch=read(file, "[fetch]", data.get("fetch", {}), FetchSettings),
        publish=publish,
        images=read(file, "[images]", data.get("images", {}), ImageSettings),
        site=site,
        search=read(file, "[search]", data.get("search", {}), SearchSettings),
        tree=TreeSettings(**{f.name: getattr(archive, f.name) for f in fields(TreeSettings)}),
        notify=notify,
        timestamps=_timestamps(file, data.get("timestamps", {})),
        witness=witness,
    )


def _timestamps(file: str, data: Any) -> TimestampSettings:
    """[timestamps]: enabled needs at least one authority to ask."""
    settings = read(file, "[timestamps]", data, TimestampSettings)
    if settings.enabled and not settings.tsa_urls:
        raise ConfigError(f"{file}: [timestamps] enabled = true needs tsa_urls, the RFC 3161 authorities to ask")
    return settings


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def init_text(sources: list[Source] | None = None, archive: str = "archive", big_tree: bool = True) -> str:
    """vault.toml for a new vault: the catalogue written out so users can see and edit it.

    `big_tree` (month folders and monthly lists) suits a new archive; without it
    the tree is the original's layout, to continue an imported one byte for byte.
    """
    on = _toml_value(big_tree)
    lines = [
        "# newsvault vault. Every key has a default; see docs/CONFIG.md.",
        "",
        "[archive]",
        f"path = {_toml_value(archive):<27}# relative to the vault",
        f"shard_by_month = {on:<17}# new articles in articles/<abbr>/<yyyy>/<mm>/ (false: one flat folder)",
        f"monthly_lists = {on:<18}# lists/<name>/<yyyy-mm>.md link every article, not only the newest 300",
        "",
    ]
    for s in sources if sources is not None else catalogue().values():
        lines.append(f"[sources.{s.abbr}]")
        for key in ("name", "feed", "body", "link"):
            lines.append(f"{key} = {_toml_value(getattr(s, key))}")
        for key in ("selector", "categories"):
            if getattr(s, key):
                lines.append(f"{key} = {_toml_value(getattr(s, key))}")
        if s.fallbacks:
            lines.append("fallbacks = [")
            for f in s.fallbacks:
                keys = [
                    f"feed = {_toml_value(f.feed)}",
                    f"body = {_toml_value(f.body)}",
                    f"link = {_toml_value(f.link)}",
                ]
                if f.selector:
                    keys.append(f"selector = {_toml_value(f.selector)}")
                lines.append("    { " + ", ".join(keys) + " },")
            lines.append("]")
        lines.append(f"enabled = {_toml_value(s.enabled)}")
        lines.append("")
    return "\n".join(lines)
