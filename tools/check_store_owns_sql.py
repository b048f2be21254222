"""`make lint`: the store owns every query (issue 14).

Outside `src/newsvault/store/`, SQLAlchemy may be imported only to pass an
engine or a connection along, to type a row, or to catch its errors at the
edge; the tables (`newsvault.store.schema`) are not imported, and nothing
calls `.execute()`. import-linter keeps the stages' order (pyproject.toml);
this keeps the SQL in one place, which import-linter cannot tell apart from
passing a connection along.

    python tools/check_store_owns_sql.py [root]     # exit 1 and one line per finding
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ALLOWED_NAMES = {"Engine", "Connection", "RowMapping"}  # passing along and typing, never querying
ALLOWED_MODULES = {"sqlalchemy.exc"}  # errors, caught where they are told to a person
STORE = "newsvault/store/"


def findings(path: Path, source: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source, str(path))):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy" and alias.name not in ALLOWED_MODULES:
                    yield f"{where}: `import {alias.name}` outside the store: ask a function of newsvault.store"
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "newsvault.store.schema" or (
                node.module == "newsvault.store" and any(a.name == "schema" for a in node.names)
            ):
                yield f"{where}: the tables are the store's own: ask a function of newsvault.store"
            elif node.module.split(".")[0] == "sqlalchemy" and node.module not in ALLOWED_MODULES:
                extra = sorted({a.name for a in node.names} - ALLOWED_NAMES)
                if node.module != "sqlalchemy" or extra:
                    names = ", ".join(extra or [a.name for a in node.names])
                    yield f"{where}: {names} from {node.module} outside the store: queries belong in newsvault.store"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute":
            yield f"{where}: .execute() outside the store: queries belong in newsvault.store"


def check(root: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if STORE not in path.as_posix():
            found.extend(findings(path, path.read_text("utf-8")))
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    found = check(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
