"""The layering checks `make lint` runs: they hold on src/, and each catches what it is for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from check_store_owns_sql import check  # noqa: E402


def test_src_keeps_its_queries_in_the_store() -> None:
    assert check(ROOT / "src") == []


def test_a_query_outside_the_store_is_found(tmp_path: Path) -> None:
    outside = tmp_path / "newsvault" / "render" / "rows.py"
    outside.parent.mkdir(parents=True)
    outside.write_text(
        "from sqlalchemy import Connection, Engine, RowMapping, select\n"
        "from sqlalchemy.exc import SQLAlchemyError\n"
        "from newsvault.store.schema import articles\n"
        "import sqlalchemy\n"
        "def rows(conn: Connection):\n"
        "    return conn.execute(select(articles))\n",
        "utf-8",
    )
    inside = tmp_path / "newsvault" / "store" / "articles.py"
    inside.parent.mkdir(parents=True)
    inside.write_text("from sqlalchemy import select\nfrom .schema import articles\n", "utf-8")
    found = check(tmp_path)
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in found] == ["1", "3", "4", "6"]
    assert "select from sqlalchemy" in found[0]  # the allowed names are not named
    assert all("store/articles.py" not in line for line in found)


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None, reason="dev tools")
def test_import_contracts_hold_and_catch_an_upward_import(tmp_path: Path) -> None:
    lint = str(Path(sys.executable).parent / "lint-imports")
    kept = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stdout[-2000:]
    # A copy of the package where the archive format reads the store: the contracts must say so.
    shutil.copytree(ROOT / "src" / "newsvault", tmp_path / "newsvault")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "newsvault" / "archive" / "upward.py").write_text("from newsvault.store import articles\n", "utf-8")
    broken = subprocess.run(
        [lint, "--no-cache"], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)}
    )
    assert broken.returncode == 1
    assert "newsvault.archive is not allowed to import newsvault.store" in broken.stdout
