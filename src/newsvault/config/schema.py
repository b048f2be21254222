"""Reading a TOML table against a dataclass: the model is the schema, so a new key is one field.

A field's type says what a value may be (bool, int, float, str, `Literal[...]`,
`X | None`, a list or tuple of strings, a dataclass for a table, a list or
tuple of dataclasses for an array of tables), its default what an absent key
means, and its metadata (`spec(...)`) what messages call the expectation and
the rules a value of the right type must still pass. Rules across the keys of
a table stay with the caller, as `check`.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

TOP = "top level"

# Why a value of the right type is still refused ("expected …, got …"); None when it passes.
Rule = Callable[[Any], str | None]
# A rule across the keys of a table just read, given (file, where, the table as built); raises ConfigError.
Check = Callable[[str, str, Any], None]


class ConfigError(Exception):
    """vault.toml is unreadable or says something newsvault cannot use."""


def rule(test: Callable[[Any], object], what: str) -> Rule:
    """A rule refusing values for which `test` is false, as not `what`."""
    return lambda value: None if test(value) else f"expected {what}, got {value!r}"


POSITIVE = rule(lambda v: v > 0, "a positive number")
NOT_NEGATIVE = rule(lambda v: v >= 0, "zero or more")
FINITE = rule(math.isfinite, "a finite number of seconds")  # TOML has inf and nan


def spec(
    what: str | None = None,
    *rules: Rule,
    key: str | None = None,
    item: str | None = None,
    clean: Callable[[Any], Any] | None = None,
) -> Mapping[str, Any]:
    """A field's metadata for reading it.

    `what` replaces the type's own expectation in messages ("a path" rather
    than "a string"); `key` is the TOML key when the field's name differs;
    `item` names the n-th table of an array in messages ("{n}" is replaced);
    `clean` makes the stored value from the checked one.
    """
    return {"what": what, "rules": rules, "key": key, "item": item, "clean": clean}


_PLAIN = spec()


def must(test: Callable[[Any], object], what: str) -> Mapping[str, Any]:
    """Metadata for a value whose wrong type and failed `test` get one message: expected `what`."""
    return spec(what, rule(test, what))


def at_least(least: int) -> Mapping[str, Any]:
    return must(lambda v: v >= least, f"a whole number of at least {least}")


def table(file: str, where: str, value: object, allowed: set[str]) -> dict[str, Any]:
    """`value` as a table holding only `allowed` keys."""
    if not isinstance(value, dict):
        raise ConfigError(f"{file}: {where}: expected a table, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(
            f"{file}: {where}: unknown key '{unknown[0]}' (expected one of: {', '.join(sorted(allowed))})"
        )
    return value


def read(
    file: str,
    where: str,
    value: object,
    model: type[T],
    *,
    base: T | None = None,
    given: Mapping[str, Any] | None = None,
    missing: str = "",
    check: Check | None = None,
) -> T:
    """The table `value` as a `model`, each key checked against its field.

    Absent keys take the dataclass's defaults, or `base`'s values when there is
    one; `given` fields do not come from keys (a table's own name); `missing`
    is added to the message for a missing required key.
    """
    given = given or {}
    by_key = {_key(f): f for f in fields(model) if f.name not in given}
    hints = get_type_hints(model)
    values = {
        by_key[key].name: _value(file, where, key, item, hints[by_key[key].name], by_key[key].metadata or _PLAIN, check)
        for key, item in table(file, where, value, set(by_key)).items()
    }
    if base is not None:
        built = replace(base, **values)
    else:
        for key, f in by_key.items():
            if f.default is MISSING and f.default_factory is MISSING and f.name not in values:
                raise ConfigError(f"{file}: {where}: missing key '{key}'{missing}")
        built = model(**given, **values)
    if check is not None:
        check(file, where, built)
    return built


def _key(f: Field[Any]) -> str:
    return str((f.metadata or _PLAIN)["key"] or f.name)


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and is_dataclass(hint)


def _scalar(hint: Any) -> tuple[Callable[[object], bool], str]:
    """The test of one value of type `hint`, and what messages call such a value."""
    if hint is bool:
        return (lambda v: isinstance(v, bool)), "true or false"
    # bool is an int in Python; a user writing `per_host = true` made a mistake.
    if hint is int:
        return (lambda v: isinstance(v, int) and not isinstance(v, bool)), "a whole number"
    if hint is float:
        return (lambda v: isinstance(v, int | float) and not isinstance(v, bool)), "a number"
    if hint is str:
        return (lambda v: isinstance(v, str)), "a string"
    if get_origin(hint) is Literal:
        choices = get_args(hint)
        return (lambda v: any(type(v) is type(c) and v == c for c in choices)), "one of " + ", ".join(
            repr(c) for c in choices
        )
    raise TypeError(f"a config field of type {hint!r} cannot be read from TOML")


def _value(
    file: str, where: str, key: str, value: object, hint: Any, meta: Mapping[str, Any], check: Check | None
) -> Any:
    """`value` of `key` read as `hint` says, then put through the field's rules."""
    what: str | None = meta["what"]

    def refused(expected: str, got: object) -> ConfigError:
        return ConfigError(f"{file}: {where} key '{key}': expected {expected}, got {got!r}")

    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        # TOML has no null: an optional key is absent (its default, None) or holds the other type.
        (hint,) = (a for a in args if a is not type(None))
        origin, args = get_origin(hint), get_args(hint)
    got: Any
    if _is_model(hint):
        got = read(file, f"[{key}]" if where == TOP else f"{where} {key}", value, hint, check=check)
    elif origin in (list, tuple) and (_is_model(args[0]) or args[0] is str):
        expected = what or ("a list of strings" if args[0] is str else "a list of tables")
        if not isinstance(value, list):
            raise refused(expected, value)
        if args[0] is str:
            if bad := [v for v in value if not isinstance(v, str)]:
                raise refused(expected, bad[0])
            got = origin(value)
        else:
            at: str = meta["item"] or f"{where} {key}[{{n}}]"
            got = origin(read(file, at.format(n=n), t, args[0], check=check) for n, t in enumerate(value, 1))
    else:
        test, own = _scalar(hint)
        if not test(value):
            raise refused(what or own, value)
        got = value
    for refuse in meta["rules"]:
        if (complaint := refuse(got)) is not None:
            raise ConfigError(f"{file}: {where} key '{key}': {complaint}")
    return got if meta["clean"] is None else meta["clean"](got)
