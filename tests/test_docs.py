"""docs/schema.md documents every view, column and type, and its example queries run."""
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def documented() -> dict[str, list[tuple[str, str]]]:
    views: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^## `(\w+)`", line):
            current = views.setdefault(m.group(1), [])
        elif current is not None and (m := re.match(r"^\| `(\w+)` \| ([A-Z\[\]]+) \|", line)):
            current.append((m.group(1), m.group(2)))
    return views


def actual(con) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        """select table_name, column_name, data_type from duckdb_columns()
           where schema_name = 'main' and table_name in (select view_name from duckdb_views() where not internal)
           order by table_name, column_index"""
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def test_every_view_and_column_is_documented_with_its_type(con):
    assert documented() == actual(con)


def examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("sql", examples())
def test_example_queries_run(con, sql):
    con.execute(sql).fetchall()


def test_every_example_opens_with_a_japanese_title():
    """The SQL page lists the examples by their first line: a Japanese comment, not code or English."""
    for sql in examples():
        first = sql.splitlines()[0]
        assert first.startswith("-- ") and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", first), first
        assert not re.search(r"\b[A-Za-z]{4,}\b", re.sub(r"\([A-Za-z_]+\)|[A-Z]\d+-[A-Z]\d+", "", first[3:])), first
