"""The SQL page's connection reads the warehouse and nothing else."""
import pytest

from warehouse.sandbox import QueryRefused, run_query, sandbox_connection


@pytest.fixture
def sb(built):
    con = sandbox_connection(built)
    yield con
    con.close()


def test_reads_the_documented_views(sb):
    assert run_query(sb, "select count(*) as n from measures").frame["n"].tolist() == [82]


@pytest.mark.parametrize("sql", [
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/hostname')",
    "select * from glob('/etc/*')",
    "copy (select 1) to '/tmp/x.csv'",
    "attach '/tmp/other.duckdb' as other",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "set memory_limit = '20GB'",
    "create table t as select 1",
    "pragma enable_profiling",
])
def test_everything_else_is_refused(sb, sql):
    with pytest.raises(QueryRefused):
        run_query(sb, sql)


def test_row_and_time_limits(sb):
    r = run_query(sb, "select * from range(50)", max_rows=10)
    assert len(r.frame) == 10 and r.truncated
    with pytest.raises(QueryRefused, match="中断"):
        run_query(sb, "select count(*) from range(100000000000) a", timeout_s=0.5)
