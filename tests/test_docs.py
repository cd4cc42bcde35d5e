"""docs/schema.md documents every view, column and type, and its example queries run."""
import re
from pathlib import Path

import pytest

from warehouse import schema_doc

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def documented() -> dict[str, list[tuple[str, str]]]:
    return {v.name: [(c, t) for c, t, _ in v.columns] for v in schema_doc.views(DOC).values()}


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
    return schema_doc.examples(DOC)


def test_the_warehouse_describes_itself_with_the_documents_words(con):
    """BI tools show COMMENT ON: every documented column carries its meaning, every view its description."""
    docs = schema_doc.views(DOC)
    comments = {(v, c): m for v, c, m in con.execute(
        "select table_name, column_name, comment from duckdb_columns() where schema_name = 'main'").fetchall()}
    for view in docs.values():
        for column, _, meaning in view.columns:
            assert comments[(view.name, column)] == meaning.replace("`", ""), (view.name, column)
    described = dict(con.execute("select view_name, comment from duckdb_views() where schema_name = 'main'").fetchall())
    assert described["document_figures"].startswith("Every quantitative figure")
    assert all(described[v.name] for v in docs.values() if v.description)


@pytest.mark.parametrize("sql", examples())
def test_example_queries_run(con, sql):
    con.execute(sql).fetchall()


def test_every_example_opens_with_a_japanese_title():
    """The SQL page lists the examples by their first line: a Japanese comment, not code or English."""
    for sql in examples():
        first = sql.splitlines()[0]
        assert first.startswith("-- ") and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", first), first
        assert not re.search(r"\b[A-Za-z]{4,}\b", re.sub(r"\([A-Za-z_]+\)|[A-Z]\d+-[A-Z]\d+", "", first[3:])), first


def test_the_readme_names_every_documented_view():
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Querying the warehouse", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(\w+)`", section))
    assert set(documented()) <= listed
    assert f"All {len(documented())} views" in section


def test_every_quality_issue_kind_is_documented_and_has_a_japanese_name(con):
    from ui.labels import ISSUE_KINDS_JA

    row = next(line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `kind` | VARCHAR | category."))
    kinds = set(re.findall(r"`([a-z_]+)`", row.split("|")[3]))
    assert kinds == set(ISSUE_KINDS_JA)
    built = {k for (k,) in con.execute("select distinct kind from quality_issues").fetchall()}
    assert built <= kinds


def test_the_changelog_names_the_current_layout_version(con):
    from etl import settings

    first = re.search(r"^## (\d+)", (DOC.parent / "CHANGELOG.md").read_text(encoding="utf-8"), flags=re.M).group(1)
    assert first == settings.SCHEMA_VERSION == con.execute("select schema_version from schema_info").fetchone()[0]
