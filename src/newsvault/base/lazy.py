"""A package's names imported from their modules when first asked for (PEP 562's module ``__getattr__``).

Packages re-export their modules' names, but importing all of them made every
command pay for every stage: `newsvault search` for SQLAlchemy, a budget worker
for the whole run. Each such package gives its names' homes to `lazy_names`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, home: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of `package`: each name of `home` from its module there (``{"run_once": "run"}``)."""

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{home[name]}", package), name)

    return __getattr__
