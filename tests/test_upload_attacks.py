"""Uploaded files are refused with bounded work, checked under a memory ceiling, and kept private.

The crafted files are generated here (tests/hostile.py): the ones found against the server, and variants.
"""
import datetime as dt
import hashlib
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from etl import isolation
from etl.observations import load
from etl.observations.load import check_isolated, load_isolated, private_upload, validate_file
from etl.observations.read import MAX_CELL_CHARS, ObservationFileError, read_file
from tests import hostile
from ui.labels import plain

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def kpis(built):
    return load.kpi_meta(built)


@pytest.fixture
def wh(built, tmp_path):
    path = tmp_path / "wh.duckdb"
    shutil.copy(built, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    yield path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, "the warehouse changed"


def refused(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(ObservationFileError) as info:
        read_file(path, data)
    assert time.perf_counter() - start < 2.0, "refusing took unbounded work"
    return str(info.value)


def test_giant_shared_string_is_refused_before_parsing(tmp_path):
    # the 1.5 MB file that held one 1.5 GB string drove the server to 7.4 GB
    text = refused(tmp_path, "giant.xlsx", hostile.giant_shared_string(1536))
    assert "giant.xlsx" in text and "上限" in text


def test_incompressible_overlong_string_is_refused(tmp_path):
    text = refused(tmp_path, "long.xlsx", hostile.long_random_string(MAX_CELL_CHARS * 7))
    assert "sharedStrings.xml" in text and "32,767" in text


def test_zip_bomb_is_refused_in_milliseconds(tmp_path):
    # a 322 KB bomb took 85 s to check and blocked other users' pages
    text = refused(tmp_path, "bomb.xlsx", hostile.zip_bomb(1_500_000))
    assert "圧縮率" in text or "上限" in text


def test_not_a_zip_at_all(tmp_path):
    assert "ZIP" in refused(tmp_path, "fake.xlsx", b"PK\x03\x04 not really a zip")


def test_too_many_archive_entries(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(1_500):
            z.writestr(f"x/{i}.xml", "")
    assert "多すぎます" in refused(tmp_path, "many.xlsx", buf.getvalue())


def test_a_genuine_xlsx_still_reads(tmp_path):
    data = hostile.xlsx([hostile.HEADER, ["M37-E1", "", "2020", "5"]])
    path = tmp_path / "ok.xlsx"
    path.write_bytes(data)
    sheets = read_file(path, data)
    assert sheets[0].rows["value"].tolist() == ["5"]


def test_overlong_csv_cell_names_row_and_column(tmp_path):
    data = ("KPI ID,団体コード,期間,値\nM37-E1,,2020,1\nM37-E1,,2019," + "1" * 140_000 + "\n").encode()
    text = refused(tmp_path, "long.csv", data)
    assert "long.csv" in text and "3行目" in text and "長すぎます" in text


def test_overlong_cell_beyond_the_head_names_row_and_column(tmp_path):
    rows = "".join(f"M37-E1,,{2000 + i % 20},1\n" for i in range(1_200))
    data = ("KPI ID,団体コード,期間,値,備考\n" + rows.replace("\n", ",\n") + "M37-E1,,2020,1," + "x" * 40_000 + "\n").encode()
    text = refused(tmp_path, "long2.csv", data)
    assert "1202行目「備考」列" in text


def test_cr_only_line_endings_read_as_lines(tmp_path, kpis):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"KPI ID,\xe5\x80\xa4,\xe6\x9c\x9f\xe9\x96\x93\rM37-E1,33333,2020\rM37-E1,31000,2019\r")
    report = validate_file(path, kpis, TODAY)
    assert report.rows_valid == 2 and not report.errors


def test_duplicate_keys_are_one_error_per_group(tmp_path, kpis):
    # 12,000 identical rows (175 KB) took the server to 6 GB: the message listed every row on every row
    path = tmp_path / "dups.csv"
    path.write_bytes(hostile.duplicate_rows_csv(12_000))
    report = validate_file(path, kpis, TODAY)
    assert report.rows_rejected == 12_000 and report.rows_valid == 0
    assert len(report.errors) == 1
    message = report.errors[0]["message"]
    assert "12,000行" in message and "行 2、3、4、5、6 ほか" in message and report.errors[0]["row"] == 2
    reasons = report.validated[0].rejected["reasons"]
    assert reasons.str.len().max() < 120  # each quarantined row names its group's first row, not every row
    assert reasons.iloc[-1].endswith("行 2 と同じKPI・団体・期間です(重複)")


def test_each_duplicate_group_lists_only_its_own_rows(tmp_path, kpis):
    # two groups of two: a group's message must not run on into the rows of the next group
    path = tmp_path / "two.csv"
    path.write_text("KPI ID,団体コード,期間,値\nM27-P1,,2018,1\nM27-P1,,2019,1\nM27-P1,,2018,2\nM27-P1,,2019,2\n",
                    encoding="utf-8")
    report = validate_file(path, kpis, TODAY)
    assert sorted(e["message"] for e in report.errors) == ["同じKPI・団体・期間の行が2行あります(行 2、4)",
                                                           "同じKPI・団体・期間の行が2行あります(行 3、5)"]


def test_a_million_duplicates_stay_linear(tmp_path, kpis):
    path = tmp_path / "dups.csv"
    path.write_bytes(hostile.duplicate_rows_csv(1_000_000))
    report = validate_file(path, kpis, TODAY)
    assert report.rows_rejected == 1_000_000 and len(report.errors) == 1


def test_checking_runs_under_a_memory_ceiling(tmp_path, wh):
    # a legitimate-looking file that needs more memory than the (deliberately small) budget
    path = tmp_path / "big.csv"
    path.write_bytes(hostile.duplicate_rows_csv(2_000_000))
    small = isolation.Limits(memory_bytes=150 * isolation.MiB, seconds=60)
    with pytest.raises(isolation.LimitExceeded) as info:
        isolation.run(load._one_file, str(path), str(wh), dry_run=True, limits=small)
    assert info.value.kind in ("memory", "crashed")


def test_isolated_check_and_load(tmp_path, built):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(built, warehouse)
    path = tmp_path / "ok.csv"
    path.write_text("KPI ID,団体コード,期間,値\nM37-E1,,2020,33333\n", encoding="utf-8")
    report = check_isolated(path, warehouse)
    assert report.status == "dry_run" and report.rows_valid == 1 and report.validated == []
    done = load_isolated(path, "tester", warehouse=warehouse)
    assert done.status == "loaded" and done.batch_id == 1


def test_uploads_go_to_a_private_folder_that_is_removed(tmp_path):
    with private_upload("../../etc/passwd", b"x") as path:
        folder = path.parent
        assert path.name == "passwd" and path.read_bytes() == b"x"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert folder.name.startswith("shinchoku-upload-")
    assert not folder.exists()


def test_uploads_never_follow_a_planted_symlink(tmp_path, monkeypatch):
    # the old shared /tmp/shinchoku-uploads/<name> followed a symlink another local user planted
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    shared = Path("/tmp") / "shinchoku-uploads"
    shared.mkdir(exist_ok=True)
    link = shared / "report.csv"
    link.unlink(missing_ok=True)
    os.symlink(victim, link)
    try:
        with private_upload("report.csv", b"attack") as path:
            assert path.parent != shared
        assert victim.read_text() == "keep"
    finally:
        link.unlink(missing_ok=True)


@pytest.mark.parametrize("text", [
    "![x](http://127.0.0.1:9/a.png)", "[再ログイン](http://evil.example/)", "<img src=x onerror=alert(1)>",
    ":red[警告] :material/warning:", "$x^2$", "**太字** `code` # 見出し", "http://evil.example/",
])
def test_file_text_is_made_inert_for_markdown(text):
    escaped = plain(text)
    for ch in "[]()<>*`#$:!":
        assert all(escaped[i - 1] == "\\" for i, c in enumerate(escaped) if c == ch and i > 0), escaped


def test_infinite_values_are_row_errors(tmp_path, kpis):
    # '1e309' reached pandera's finite check in the server and crashed the page
    path = tmp_path / "inf.csv"
    path.write_text("KPI ID,団体コード,期間,値\nM37-E1,,2020,1e309\nM37-E1,,2019,-inf\nM37-E1,,2018,5\n", encoding="utf-8")
    report = validate_file(path, kpis, TODAY)
    assert report.rows_valid == 1 and [e["row"] for e in report.errors] == [2, 3]
    assert all("有限の数値ではありません" in e["message"] for e in report.errors)


def test_one_far_away_cell_does_not_blow_up_an_xlsx(tmp_path):
    # a 5 KB file with one cell at XFD1048576 made the check use 2 GB
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    data = hostile.xlsx([hostile.HEADER, ["M37-E1", "", "2020", "5"]], sheet_rows=[far])
    path = tmp_path / "far.xlsx"
    path.write_bytes(data)
    sheets = read_file(path, data)
    assert sheets[0].rows["row"].tolist() == [2]


def test_xlsx_rows_keep_their_numbers_across_empty_rows(tmp_path):
    rows = '<row r="7"><c t="inlineStr"><is><t>M37-E1</t></is></c><c/><c t="inlineStr"><is><t>2019</t></is></c>' \
           '<c t="inlineStr"><is><t>4</t></is></c></row>'
    data = hostile.xlsx([hostile.HEADER, ["M37-E1", "", "2020", "5"]], sheet_rows=[rows])
    path = tmp_path / "gaps.xlsx"
    path.write_bytes(data)
    assert read_file(path, data)[0].rows["row"].tolist() == [2, 7]


def test_mixed_line_endings_and_broken_quotes_read_in_japanese(tmp_path, kpis):
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("KPI ID,期間,値\r\nM37-E1,2020,5\rM37-E1,2019,4\n".encode())
    assert validate_file(mixed, kpis, TODAY).rows_valid == 2
    quote = tmp_path / "quote.csv"
    quote.write_bytes('KPI ID,期間,値\nM37-E1,2020,"5\n'.encode())
    text = refused(tmp_path, "quote.csv", quote.read_bytes())
    assert "引用符" in text and "Error" not in text
    text = refused(tmp_path, "latin.csv", "KPI ID,期間,値\nM37-E1,2020,5\n".encode("cp932") + b"\x85\xff\n")
    assert "文字コード" in text and "codec" not in text


def test_bidi_controls_are_neutralised():
    assert "\u202e" not in plain("報告\u202etxt.exe")
