"""Reading vault.toml: strict, with errors that name the file, the key and what was expected.

A vault.toml may say very little: every key has a default, and a source whose
folder name is in the built-in catalogue inherits the catalogue's settings.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import (
    IMAGE_MODES,
    Config,
    Fallback,
    FetchSettings,
    ImageSettings,
    PublishRemote,
    PublishSettings,
    SiteSettings,
    Source,
    TreeSettings,
)

VAULT_FILE = "vault.toml"

BODY_CHOICES = ("description", "content:encoded", "page", "auto")
LINK_CHOICES = ("link", "guid")
CATEGORY_CHOICES = ("emoji",)
# A branch name git accepts and that cannot be read as an option or a refspec.
_BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<![./])")
_AUTHOR = re.compile(r"[^<>]*\S[^<>]* <[^<>\s]+>")


class ConfigError(Exception):
    """vault.toml is unreadable or says something newsvault cannot use."""


def _expect(file: str, where: str, key: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    # bool is an int in Python; a user writing `per_host = true` made a mistake.
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
    if not ok:
        raise ConfigError(f"{file}: {where} key '{key}': expected {what}, got {value!r}")
    return value


def _check_keys(file: str, where: str, table: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {where}: expected a table, got {table!r}")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{file}: {where}: unknown key '{unknown[0]}' (expected one of: {', '.join(sorted(allowed))})"
        )
    return table


def _choice(file: str, where: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    what = "one of " + ", ".join(repr(c) for c in choices)
    _expect(file, where, key, value, str, what)
    if value not in choices:
        raise ConfigError(f"{file}: {where} key '{key}': expected {what}, got {value!r}")
    chosen: str = value
    return chosen


def _count(file: str, where: str, key: str, value: Any, least: int) -> int:
    what = f"a whole number of at least {least}"
    _expect(file, where, key, value, int, what)
    if value < least:
        raise ConfigError(f"{file}: {where} key '{key}': expected {what}, got {value!r}")
    count: int = value
    return count


def _fallbacks(file: str, where: str, value: Any) -> tuple[Fallback, ...]:
    """`fallbacks = [{ feed = "...", body = "auto" }, ...]`: the outlet's other feeds, in order."""
    _expect(file, where, "fallbacks", value, list, 'a list of tables such as [{ feed = "https://…" }]')
    found: list[Fallback] = []
    for number, table in enumerate(value, 1):
        at = f"{where} fallbacks[{number}]"
        table = _check_keys(file, at, table, {f.name for f in fields(Fallback)})
        if "feed" not in table:
            raise ConfigError(f"{file}: {at}: missing key 'feed'")
        values: dict[str, Any] = {}
        for key, item in table.items():
            if key == "body":
                values[key] = _choice(file, at, key, item, BODY_CHOICES)
            elif key == "link":
                values[key] = _choice(file, at, key, item, LINK_CHOICES)
            else:
                values[key] = _expect(file, at, key, item, str, "a string")
        fallback = Fallback(**values)
        if fallback.body == "page" and not fallback.selector:
            raise ConfigError(f"{file}: {at}: body = \"page\" needs a 'selector' (CSS) for the article body")
        found.append(fallback)
    return tuple(found)


def catalogue() -> dict[str, Source]:
    """The built-in outlets (the nine of the original archive), in README order."""
    text = resources.files(__package__).joinpath("catalogue.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {abbr: _source("catalogue.toml", abbr, table, None) for abbr, table in data["sources"].items()}


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


def _list_name(file: str, where: str, name: str) -> str:
    """An outlet's name names files (lists/<name>.md, lists/<name>/): it must stay one path segment."""
    problem = _segment_problem(name, ".md") or ("reserved" if name in _RESERVED_NAMES else None)
    if problem:
        raise ConfigError(
            f"{file}: {where} key 'name': not usable as a list file name (lists/<name>.md): {problem}: {_shown(name)}"
        )
    return name


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


def _source(file: str, abbr: str, table: Any, base: Source | None) -> Source:
    where = _where(abbr)
    allowed = {f.name for f in fields(Source)} - {"abbr"}
    table = _check_keys(file, where, table, allowed)
    if problem := _folder_problem(abbr):
        raise ConfigError(f"{file}: {where}: not usable as a folder name (articles/<abbr>/): {problem}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("enabled", "recheck"):
            values[key] = _expect(file, where, key, value, bool, "true or false")
        elif key == "deleted_patterns":
            _expect(file, where, key, value, list, "a list of strings")
            for pattern in value:
                _expect(file, where, key, pattern, str, "a list of strings")
            values[key] = tuple(value)
        elif key == "body":
            values[key] = _choice(file, where, key, value, BODY_CHOICES)
        elif key == "link":
            values[key] = _choice(file, where, key, value, LINK_CHOICES)
        elif key == "categories":
            values[key] = _choice(file, where, key, value, CATEGORY_CHOICES)
        elif key == "images":
            values[key] = _choice(file, where, key, value, IMAGE_MODES)
        elif key == "min_length":
            values[key] = _count(file, where, key, value, 0)
        elif key in ("fallback_after", "idle_after"):
            values[key] = _count(file, where, key, value, 1)
        elif key == "fallbacks":
            values[key] = _fallbacks(file, where, value)
        elif key == "timezone":
            _expect(file, where, key, value, str, "an IANA time zone name such as 'Asia/Shanghai'")
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(
                    f"{file}: {where} key 'timezone': expected an IANA time zone name such as "
                    f"'Asia/Shanghai', got {value!r}"
                ) from None
            values[key] = value
        elif key == "name":
            values[key] = _list_name(file, where, _expect(file, where, key, value, str, "a string"))
        else:
            values[key] = _expect(file, where, key, value, str, "a string")
    if base is not None:
        source = replace(base, **values)
    else:
        for required in ("name", "feed"):
            if required not in values:
                raise ConfigError(f"{file}: {where}: missing key '{required}' (not a built-in outlet)")
        source = Source(abbr=abbr, **values)
    if source.body == "page" and not source.selector:
        raise ConfigError(f"{file}: {where}: body = \"page\" needs a 'selector' (CSS) for the article body")
    return source


Kinds = dict[str, tuple[type | tuple[type, ...], str]]


def _typed(
    file: str, where: str, table: Any, settings: type, kinds: Kinds, positive: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A settings table's values, each checked against its expected kind; `positive` ones must be > 0."""
    table = _check_keys(file, where, table, {f.name for f in fields(settings)})
    values = {k: _expect(file, where, k, v, *kinds[k]) for k, v in table.items() if k in kinds}
    for k in positive:
        if k in values and values[k] <= 0:
            raise ConfigError(f"{file}: {where} key '{k}': expected a positive number, got {values[k]!r}")
    return values


def _fetch(file: str, table: Any) -> FetchSettings:
    kinds: Kinds = {
        "per_host": (int, "a whole number"),
        "timeout": ((int, float), "a number of seconds"),
        "max_bytes": (int, "a whole number of bytes"),
        "retries": (int, "a whole number"),
        "allow_private": (bool, "true or false"),
        "proxy": (str, "a proxy URL"),
        "pages_per_run": (int, "a whole number"),
        "items_per_run": (int, "a whole number"),
        "parse_budget": ((int, float), "a number of seconds"),
    }
    positive = ("per_host", "max_bytes", "timeout", "items_per_run", "parse_budget")
    values = _typed(file, "[fetch]", table, FetchSettings, kinds, positive)
    if not math.isfinite(values.get("parse_budget", 0)):  # TOML has inf and nan
        raise ConfigError(
            f"{file}: [fetch] key 'parse_budget': expected a finite number of seconds, got {values['parse_budget']!r}"
        )
    return FetchSettings(**values)


def _images(file: str, table: Any) -> ImageSettings:
    where = "[images]"
    kinds: Kinds = {
        "proxy": (str, "a URL template with {url} or {url_without_scheme}"),
        "max_bytes": (int, "a whole number of bytes"),
        "attempts": (int, "a whole number"),
        "per_run": (int, "a whole number"),
    }
    values = _typed(file, where, table, ImageSettings, kinds, ("max_bytes", "attempts", "per_run"))
    if "mode" in table:
        values["mode"] = _choice(file, where, "mode", table["mode"], IMAGE_MODES)
    proxy = values.get("proxy")
    if proxy is not None and (
        ("{url}" not in proxy and "{url_without_scheme}" not in proxy) or not proxy.startswith(("http://", "https://"))
    ):
        raise ConfigError(
            f"{file}: {where} key 'proxy': expected an http(s) URL template with "
            f"{{url}} or {{url_without_scheme}}, got {proxy!r}"
        )
    return ImageSettings(**values)


_TREE_KINDS: Kinds = {"shard_by_month": (bool, "true or false"), "monthly_lists": (bool, "true or false")}

# Folders of the Markdown tree the site must stay out of (it would change the tree).
_ARCHIVE_FOLDERS = ("articles", "lists", "versions", "assets")


def _site(file: str, table: Any, vault_dir: Path, archive: Path) -> SiteSettings:
    where = "[site]"
    kinds: Kinds = {
        "enabled": (bool, "true or false"),
        "path": (str, "a path"),
        "base_url": (str, "an http(s) URL"),
        "feed_items": (int, "a whole number"),
    }
    values = _typed(file, where, table, SiteSettings, kinds)
    if "feed_items" in values:
        _count(file, where, "feed_items", values["feed_items"], 1)
    if "base_url" in values and not values["base_url"].startswith(("http://", "https://")):
        raise ConfigError(f"{file}: {where} key 'base_url': expected an http(s) URL, got {values['base_url']!r}")
    root = (vault_dir / values.get("path", "site")).resolve()
    tree = [archive / name for name in _ARCHIVE_FOLDERS]
    if root == archive or root in archive.parents or any(f == root or f in root.parents for f in tree):
        raise ConfigError(
            f"{file}: {where} key 'path': expected a folder outside the archive's "
            f"{', '.join(_ARCHIVE_FOLDERS)} folders, got {values.get('path', 'site')!r}"
        )
    return SiteSettings(**values)


def _remote(file: str, number: int, table: Any) -> PublishRemote:
    where = f"[[publish.remote]] number {number}"
    table = _check_keys(file, where, table, {f.name for f in fields(PublishRemote)})
    if "url" not in table:
        raise ConfigError(f"{file}: {where}: missing key 'url'")
    values = {k: _expect(file, where, k, v, str, "a string") for k, v in table.items()}
    url = values["url"].strip()
    if not url or url.startswith("-"):
        raise ConfigError(f"{file}: {where} key 'url': expected a git URL or path, got {values['url']!r}")
    if "branch" in values and not _BRANCH.fullmatch(values["branch"]):
        raise ConfigError(
            f"{file}: {where} key 'branch': expected a branch name such as 'main', got {values['branch']!r}"
        )
    return PublishRemote(**{**values, "url": url})


def _publish(file: str, table: Any) -> PublishSettings:
    where = "[publish]"
    table = _check_keys(file, where, table, {"remote", "retries", "backoff", "timeout", "author"})
    remotes = table.get("remote", [])
    if not isinstance(remotes, list):
        raise ConfigError(f"{file}: {where} key 'remote': expected [[publish.remote]] tables, got {remotes!r}")
    values: dict[str, Any] = {"remotes": tuple(_remote(file, n, t) for n, t in enumerate(remotes, 1))}
    kinds: dict[str, tuple[type | tuple[type, ...], str]] = {
        "retries": (int, "a whole number"),
        "backoff": ((int, float), "a number of seconds"),
        "timeout": ((int, float), "a number of seconds"),
        "author": (str, "'Name <email>'"),
    }
    for key, value in table.items():
        if key != "remote":
            values[key] = _expect(file, where, key, value, *kinds[key])
    for key in ("retries", "backoff"):
        if values.get(key, 0) < 0:
            raise ConfigError(f"{file}: {where} key '{key}': expected zero or more, got {values[key]!r}")
    if values.get("timeout", 1) <= 0:
        raise ConfigError(f"{file}: {where} key 'timeout': expected a positive number, got {values['timeout']!r}")
    if "author" in values and not _AUTHOR.fullmatch(values["author"]):
        raise ConfigError(f"{file}: {where} key 'author': expected 'Name <email>', got {values['author']!r}")
    return PublishSettings(**values)


def load(vault: Path | str) -> Config:
    """Read DIR/vault.toml (or the file itself when given one)."""
    path = Path(vault)
    if path.is_dir() or path.suffix != ".toml":
        path = path / VAULT_FILE
    vault_dir = path.parent.resolve()
    file = str(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: not found (create a vault with `newsvault init DIR`)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    _check_keys(file, "top level", data, {"archive", "store", "fetch", "sources", "publish", "images", "site"})

    archive = _check_keys(file, "[archive]", data.get("archive", {}), {"path", *_TREE_KINDS})
    archive_path = _expect(file, "[archive]", "path", archive.get("path", "archive"), str, "a path")
    tree = TreeSettings(
        **_typed(file, "[archive]", {k: v for k, v in archive.items() if k != "path"}, TreeSettings, _TREE_KINDS)
    )
    store = _check_keys(file, "[store]", data.get("store", {}), {"url"})
    store_url = _expect(
        file, "[store]", "url", store.get("url", f"sqlite:///{vault_dir / 'vault.sqlite'}"), str, "a URL"
    )

    known = catalogue()
    sources_table = data.get("sources", {})
    if not isinstance(sources_table, dict):
        raise ConfigError(f"{file}: [sources]: expected a table of sources, got {sources_table!r}")
    sources = {abbr: _source(file, abbr, table, known.get(abbr)) for abbr, table in sources_table.items()}
    _unique(file, sources)
    return Config(
        vault=vault_dir,
        archive=(vault_dir / archive_path).resolve(),
        store_url=store_url,
        sources=sources,
        fetch=_fetch(file, data.get("fetch", {})),
        publish=_publish(file, data.get("publish", {})),
        images=_images(file, data.get("images", {})),
        site=_site(file, data.get("site", {}), vault_dir, (vault_dir / archive_path).resolve()),
        tree=tree,
    )


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
