"""Observation templates: the long format with its header, the KPI list, and dropdowns in Excel."""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

HEADER = ["KPI ID", "団体コード", "期間", "値", "出典", "備考"]
HELP = [
    ("KPI ID", "「KPI一覧」シートのID(例: M36-E1)。"),
    ("団体コード", "6桁(検査数字付き)または5桁の全国地方公共団体コード。都道府県は番号(例: 13)。全国の値は空欄または「全国」。"),
    ("期間", "年度: 2020、2020年度、令和2年度、R2、FY2020。月: 2020-04、令和2年4月。年度は4月〜翌年3月。"),
    ("値", "数値。全角数字・桁区切りのカンマ・%・「約」は読み取ります。単位はKPIの単位に合わせてください。"
           "「KPI一覧」の入力方法が「実施の有無」のKPI(「…を策定」「…を実施」など期限つきの実施目標)は、"
           "実施済なら 1(または「実施済」「完了」、実施日 2020-02-15・令和2年2月15日)、未実施なら 0(または「未実施」)。"),
    ("出典", "数値の出典(調査名・公表資料など)。"),
    ("備考", "補足。"),
]
KPI_SQL = """
    select kpi_id, name, coalesce(unit, '') as unit, area_level, kind,
           coalesce(target_value::varchar, '') as target_value, coalesce(target_fy::varchar, '') as target_fy,
           case when target_kind = 'milestone' and direction = 'unknown' then '実施の有無(1 / 0)' else '数値' end as entry
    from kpis where (? is null or list_contains(?, kpi_id)) order by kpi_id
"""
LEVEL_JA = {"national": "全国", "prefecture": "都道府県", "municipality": "市区町村"}


def kpi_list(con: duckdb.DuckDBPyConnection, kpi_ids: list[str] | None) -> pd.DataFrame:
    ids = list(kpi_ids) if kpi_ids else None
    df = con.execute(KPI_SQL, [ids, ids]).df()
    if ids:
        missing = sorted(set(ids) - set(df["kpi_id"]))
        if missing:
            raise ValueError(f"unknown KPI id(s): {', '.join(missing)}")
    return df


def write_csv(path: Path, kpis: pd.DataFrame) -> Path:
    """The header only (UTF-8 with BOM, so that Excel opens it right), and the KPI list in a second file."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(HEADER)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    listing = path.with_name(path.stem + "_KPI一覧.csv")
    kpis.assign(area_level=kpis["area_level"].map(LEVEL_JA)).rename(columns={
        "kpi_id": "KPI ID", "name": "指標名", "unit": "単位", "area_level": "集計単位", "kind": "種別",
        "target_value": "目標値", "target_fy": "目標年度", "entry": "入力方法"}).to_csv(listing, index=False, encoding="utf-8-sig")
    return listing


def write_xlsx(path: Path, kpis: pd.DataFrame, areas: pd.DataFrame) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "実績入力"
    bold = Font(bold=True, name="Yu Gothic")
    fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append(HEADER)
    for c in ws[1]:
        c.font, c.fill = bold, fill
    for i, width in enumerate([12, 14, 14, 14, 30, 30], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    rows = 2000

    ref = wb.create_sheet("KPI一覧")
    ref.append(["KPI ID", "指標名", "単位", "集計単位", "種別", "目標値", "目標年度", "入力方法"])
    for k in kpis.itertuples():
        ref.append([k.kpi_id, k.name, k.unit, LEVEL_JA.get(k.area_level, k.area_level),
                    {"progress": "進捗", "effect": "効果", "reference": "参考"}.get(k.kind, "工程表"), k.target_value, k.target_fy,
                    k.entry])
    for c in ref[1]:
        c.font, c.fill = bold, fill
    ref.column_dimensions["B"].width = 60

    codes = wb.create_sheet("団体一覧")
    codes.append(["団体コード", "団体名", "都道府県", "区分"])
    for a in areas.itertuples():
        codes.append([a.area_code, a.name, a.prefecture or "", a.kind])
    for c in codes[1]:
        c.font, c.fill = bold, fill

    help_ws = wb.create_sheet("記入方法")
    help_ws.append(["列", "記入方法"])
    for row in HELP:
        help_ws.append(list(row))
    help_ws.column_dimensions["B"].width = 100
    for row in help_ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True)

    # Dropdowns: KPI ids and area codes from the reference sheets; codes are kept as text.
    dv_kpi = DataValidation(type="list", formula1=f"='KPI一覧'!$A$2:$A${len(kpis) + 1}", allow_blank=False,
                            showErrorMessage=True, errorTitle="KPI ID", error="「KPI一覧」シートのIDを選んでください")
    dv_area = DataValidation(type="list", formula1=f"='団体一覧'!$A$2:$A${len(areas) + 1}", allow_blank=True,
                             showErrorMessage=True, errorTitle="団体コード", error="「団体一覧」シートのコードを選ぶか、全国は空欄にしてください")
    ws.add_data_validation(dv_kpi)
    ws.add_data_validation(dv_area)
    dv_kpi.add(f"A2:A{rows}")
    dv_area.add(f"B2:B{rows}")
    for r in range(2, rows + 1):
        ws.cell(r, 2).number_format = "@"
        ws.cell(r, 3).number_format = "@"
    wb.save(path)


def write_template(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, kpi_ids: list[str] | None = None) -> int:
    """Write a template; returns the number of KPIs listed."""
    kpis = kpi_list(con, kpi_ids)
    if fmt == "csv":
        write_csv(path, kpis)
    else:
        areas = con.execute("select area_code, name, prefecture, kind from areas order by area_code").df()
        write_xlsx(path, kpis, areas)
    return len(kpis)


def template_bytes(con: duckdb.DuckDBPyConnection, fmt: str = "xlsx") -> bytes:
    """The template of every KPI ('xlsx' or 'csv'), as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"template.{fmt}"
        write_template(con, path, fmt)
        return path.read_bytes()
