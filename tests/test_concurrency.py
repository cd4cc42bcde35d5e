"""Loads while another process keeps reading: the reader never errors and never sees a half-loaded batch."""
import datetime as dt
import json
import shutil
import subprocess
import sys
import time

from etl.observations.load import load_files

READER = r"""
import json, sys, time
from pathlib import Path
from warehouse.db import connect_readonly, version

path, stop = Path(sys.argv[1]), Path(sys.argv[2])
seen, queries, reopen = set(), 0, 0
con, ver = None, None
deadline = time.time() + 120
while not stop.exists() and time.time() < deadline:
    v = version(path)
    if v != ver:  # the file was swapped: attach the new one, as the dashboard does
        if con is not None:
            con.close()
        con, ver = connect_readonly(path), v
        reopen += 1
    rows = con.execute(
        "select b.batch_id, b.rows_loaded, count(o.batch_id) from core.obs_batches b "
        "left join core.observations o using (batch_id) group by all").fetchall()
    for batch_id, loaded, present in rows:
        if loaded != present:
            print(json.dumps({"error": f"batch {batch_id}: {present} of {loaded} rows visible"}))
            sys.exit(1)
    con.execute("select count(*) from observations where origin = 'load'").fetchone()
    seen.add(len(rows))
    queries += 1
print(json.dumps({"queries": queries, "batch_counts_seen": sorted(seen), "reopened": reopen}))
"""


def test_reader_never_sees_a_half_loaded_batch(built, tmp_path):
    wh = tmp_path / "w.duckdb"
    shutil.copy(built, wh)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(wh), str(stop)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the reader is up and holding the file
        for i in range(6):
            path = tmp_path / f"load{i}.csv"
            months = [f"{y}-{m:02d}" for y in range(2013, 2021) for m in range(1, 13)]
            lines = ["KPI ID,団体コード,期間,値,出典,備考"]
            lines += [f"M36-E1,{code},{mo},1,batch{i}," for code in ("011002", "131016", "271004") for mo in months]
            lines += [f"M37-E1,,{2013 + i},{10000 + i},batch{i},"]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            (r,) = load_files([path], wh, now=dt.datetime(2021, 4, 1 + i, 9, 0), accept_valid=True)
            assert (r.status, r.rows_loaded) == ("loaded", len(lines) - 1)
            time.sleep(0.3)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, out + err
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats["queries"] > 10
    assert stats["reopened"] >= 3  # it saw several versions of the file
    assert max(stats["batch_counts_seen"]) == 6
