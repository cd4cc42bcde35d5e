"""Imported once by the forkserver of etl.isolation (never by the server itself): the libraries make their
one-time reservations here, so that every task child inherits them instead of paying for them.

Arrow's default pool (jemalloc/mimalloc) reserves about 1 GiB of address space on first use, which would
count against a task's cap although nothing uses it: the system allocator is used instead. DuckDB's first
connection reserves its own arenas (about 0.6 GiB of address space, 70 MiB of data).
"""
import duckdb
import pyarrow as pa

pa.set_memory_pool(pa.system_memory_pool())
_con = duckdb.connect(":memory:", config={"threads": 1})
_con.sql("select 1 as x").df()
_con.close()
del _con
