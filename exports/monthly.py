"""The monthly 進捗管理会議 workbook, written with openpyxl from the warehouse for a report date.

Same warehouse and report date, same cell values (no clock time is written). Text that came from
input data and looks like a formula is always stored as text.
"""
from __future__ import annotations

import calendar
import copy
import datetime as dt
import weakref
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import DataBarRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from etl.reference import ink
from etl.safety import FORMULA_START
from etl.text import date_to_wareki, fy_label
from warehouse import queries

FONT_NAME = "Yu Gothic"  # 游ゴシック: on every Windows Excel; LibreOffice falls back to its CJK font
KIND_JA = {"progress": "進捗", "effect": "効果"}
SYNTHETIC = "デモ（合成データ）"
THIN = Side(style="thin", color="999999")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# 施策一覧 layout: (header, width, number format or None)
COLUMNS = [
    ("No", 5, "0"), ("施策名", 30, None), ("主担当府省庁", 14, None), ("柱", 18, None), ("KPI", 8, None),
    ("種別", 5, None), ("指標", 34, None), ("単位", 6, None), ("基準値", 10, "#,##0.0"), ("基準時点", 9, None),
    ("最新値", 10, "#,##0.0"), ("最新時点", 9, None), ("最新値の時点(日付)", 11, "yyyy/mm/dd"), ("目標値", 10, "#,##0.0"),
    ("目標年度", 14, None), ("達成率", 8, "0%"), ("状況", 12, None), ("前月の状況", 12, None), ("変化", 7, None),
    ("判定理由", 36, None), ("出典", 20, None),
]


def previous_month_end(d: dt.date) -> dt.date:
    first = d.replace(day=1)
    return first - dt.timedelta(days=1)


def file_name(as_of: dt.date, ministry: str | None = None) -> str:
    """'進捗管理_令和3年3月.xlsx' (with the ministry when the report is for one)."""
    wareki = date_to_wareki(as_of)
    month = wareki[: wareki.index("月") + 1]
    return f"進捗管理_{month}{'_' + ministry if ministry else ''}.xlsx"


BODY_FONT = Font(name=FONT_NAME, size=10)
# Per workbook: style combination → the cell style openpyxl derived for it. Assigning font, fill and
# border to every cell costs a registry lookup each; copying the finished style array does not, which
# matters with thousands of cells in the national-scale workbook.
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _set(ws: Worksheet, row: int, col: int, value, fmt: str | None = None, **style):
    """Write a value; text that looks like a formula stays text (never evaluated by Excel)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        value = None
    elif isinstance(value, pd.Timestamp):
        value = value.to_pydatetime().date()
    cell = ws.cell(row=row, column=col, value=value)
    style.setdefault("font", BODY_FONT)
    known = _STYLES.setdefault(ws.parent, {})
    # keyed by identity (hashing openpyxl style objects is what is slow); the entry keeps the objects
    # alive, so an id is never reused for another object while it is a key
    key = (fmt, *((k, id(v)) for k, v in style.items()))
    if key in known:
        cell._style = copy.copy(known[key][0])
    else:
        if fmt:
            cell.number_format = fmt
        for k, v in style.items():
            setattr(cell, k, v)
        known[key] = (copy.copy(cell._style), tuple(style.values()))
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _print_setup(ws: Worksheet, title: str, report: str, synthetic: bool, landscape=True, paper="A4", title_rows: str | None = None):
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    left = f"{title}" + (f" 【{SYNTHETIC}】" if synthetic else "")
    ws.oddHeader.left.text = left
    ws.oddHeader.right.text = f"基準日 {report}"
    ws.oddFooter.center.text = "&P / &N ページ"
    ws.oddFooter.right.text = "Shinchoku 進捗"
    for part in (ws.oddHeader.left, ws.oddHeader.right, ws.oddFooter.center, ws.oddFooter.right):
        part.font = FONT_NAME
        part.size = 9


def _banner(ws: Worksheet, title: str, report: str, synthetic: bool, width: int) -> int:
    """Title rows at the top of a sheet; returns the next free row."""
    _set(ws, 1, 1, title, font=Font(name=FONT_NAME, size=14, bold=True))
    _set(ws, 2, 1, f"基準日: {report}")
    row = 3
    if synthetic:
        _set(ws, 3, 1, f"【{SYNTHETIC}】この資料には合成データが含まれています。実際の実績値ではありません。",
             font=Font(name=FONT_NAME, size=11, bold=True, color="9C0006"), fill=PatternFill("solid", fgColor="FFC7CE"))
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=width)
        row = 4
    return row + 1


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text needs in a column of this width (a full-width character is 2 units)."""
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, -(-units // max(int(width * 1.1), 1)))


def _change(row) -> str:
    return {"new": "新規", "same": "→", "better": "↑改善", "worse": "↓悪化", "changed": "変更"}[row.change]


def _kpi_sheet(ws: Worksheet, rows: pd.DataFrame, title: str, report: str, synthetic: bool) -> None:
    start = _banner(ws, title, report, synthetic, len(COLUMNS))
    for c, (header, width, _) in enumerate(COLUMNS, start=1):
        _set(ws, start, c, header, font=Font(name=FONT_NAME, size=10, bold=True), fill=HEADER_FILL,
             alignment=Alignment(wrap_text=True, vertical="center", horizontal="center"),
             border=Border(top=THIN, bottom=THIN, left=THIN, right=THIN))
        ws.column_dimensions[get_column_letter(c)].width = width
    wrap, rule = Alignment(wrap_text=True, vertical="top"), Border(bottom=THIN)
    for i, r in enumerate(rows.itertuples(), start=start + 1):
        values = [
            r.measure_no, r.title, r.lead_ministry, r.pillar_short, r.kpi_id, KIND_JA.get(r.kind, r.kind), r.name, r.unit,
            r.base_value, r.base_period, r.latest_value, r.latest_period, r.latest_date, r.target_value,
            fy_label(int(r.target_fy)) if not pd.isna(r.target_fy) else None,
            r.achievement_ratio, f"{r.status_icon} {r.status_label}",
            None if pd.isna(r.prev_order) else f"{r.prev_icon} {r.prev_label}", _change(r), r.status_reason, r.sources,
        ]
        for c, (value, (_, _, fmt)) in enumerate(zip(values, COLUMNS), start=1):
            cell = _set(ws, i, c, value, fmt, alignment=wrap, border=rule)
            if c == 17:
                cell.fill = PatternFill("solid", fgColor=r.status_color.lstrip("#"))
                cell.font = Font(name=FONT_NAME, size=10, bold=True, color=ink(r.status_color))
        # spreadsheet programs do not grow rows for wrapped text on their own: set the height from the text
        lines = max(_lines(v, COLUMNS[c][1]) for c, v in enumerate(values) if isinstance(v, str))
        ws.row_dimensions[i].height = 14 * min(lines, 5)
    ws.freeze_panes = ws.cell(row=start + 1, column=3)
    last = start + max(len(rows), 1)
    ws.auto_filter.ref = f"A{start}:{get_column_letter(len(COLUMNS))}{last}"
    _print_setup(ws, title, report, synthetic, paper="A3", title_rows=f"{start}:{start}")


def _counts(ws: Worksheet, row: int, rows: pd.DataFrame, by: str, statuses: pd.DataFrame, heading: str) -> int:
    _set(ws, row, 1, heading, font=Font(name=FONT_NAME, size=12, bold=True))
    row += 1
    codes = statuses[statuses["code"] != "not_adopted"]
    headers = [by == "lead_ministry" and "主担当府省庁" or "柱", "種別", *[f"{i} {l}" for i, l in zip(codes["icon"], codes["label"])], "計"]
    for c, h in enumerate(headers, start=1):
        cell = _set(ws, row, c, h, font=Font(name=FONT_NAME, size=10, bold=True), fill=HEADER_FILL,
                    alignment=Alignment(horizontal="center", wrap_text=True))
        if c > 2 and c <= 2 + len(codes):
            color = codes.iloc[c - 3]["color"]
            cell.fill = PatternFill("solid", fgColor=color.lstrip("#"))
            cell.font = Font(name=FONT_NAME, size=10, bold=True, color=ink(color))
    pivot = rows.groupby([by, "kind", "status"]).size().unstack("status", fill_value=0)
    for (group, kind), counts in pivot.iterrows():
        row += 1
        _set(ws, row, 1, group)
        _set(ws, row, 2, KIND_JA.get(kind, kind))
        for c, code in enumerate(codes["code"], start=3):
            _set(ws, row, c, int(counts.get(code, 0)), "0")
        _set(ws, row, 3 + len(codes), int(counts.sum()), "0")
    return row + 2


def _summary(ws: Worksheet, rows: pd.DataFrame, statuses: pd.DataFrame, as_of: dt.date, data_date, report: str,
             synthetic: bool) -> None:
    row = _banner(ws, "進捗管理会議資料", report, synthetic, 12)
    _set(ws, row, 1, f"報告基準日: {date_to_wareki(as_of)}({as_of.isoformat()})")
    _set(ws, row + 1, 1, "データの時点(最新の値が判明した日):")
    _set(ws, row + 1, 4, data_date, "yyyy/mm/dd")
    _set(ws, row + 2, 1, f"比較: 前月末 {previous_month_end(as_of).isoformat()} 時点の判定")
    row += 4
    new_data = int(rows["new_data"].sum())
    up = int((rows["change"] == "better").sum())
    down = int((rows["change"] == "worse").sum())
    for label, value in (("新たに実績が入ったKPI", new_data), ("状況が改善したKPI", up), ("状況が悪化したKPI", down)):
        _set(ws, row, 1, label)
        _set(ws, row, 4, value, "0", font=Font(name=FONT_NAME, size=11, bold=True))
        row += 1
    row += 1
    row = _counts(ws, row, rows, "lead_ministry", statuses, "主担当府省庁別のKPIの状況")
    row = _counts(ws, row, rows, "pillar", statuses, "柱別のKPIの状況")
    _set(ws, row, 1, "状況が悪化した施策", font=Font(name=FONT_NAME, size=12, bold=True))
    row += 1
    worse = rows[rows["change"] == "worse"]
    if worse.empty:
        _set(ws, row, 1, "前月から状況が悪化したKPIはありません。")
    for r in worse.itertuples():
        _set(ws, row, 1, r.measure_no, "0")
        _set(ws, row, 2, r.title)
        _set(ws, row, 6, f"{r.kpi_id} {r.name}")
        _set(ws, row, 10, f"{r.prev_label} → {r.status_label}")
        row += 1
    ws.column_dimensions["A"].width = 16
    for col in "BCDEFGHIJKL":
        ws.column_dimensions[col].width = 11
    _print_setup(ws, "進捗管理会議資料 表紙・サマリ", report, synthetic, landscape=False)


def _schedule(ws: Worksheet, items: pd.DataFrame, as_of: dt.date, report: str, synthetic: bool) -> None:
    start = _banner(ws, "工程表(地方創生IT利活用促進プラン 2013〜2021年度)", report, synthetic, 13)
    years = list(range(2013, 2022))
    headers = ["ID", "施策群", "工程", "府省庁", *[f"{y}" for y in years]]
    report_fy = as_of.year if as_of.month >= 4 else as_of.year - 1
    for c, h in enumerate(headers, start=1):
        cell = _set(ws, start, c, h, font=Font(name=FONT_NAME, size=10, bold=True), fill=HEADER_FILL,
                    alignment=Alignment(horizontal="center"))
        if c > 4 and years[c - 5] == report_fy:
            cell.fill = PatternFill("solid", fgColor="D55E00")
            cell.font = Font(name=FONT_NAME, size=10, bold=True, color="FFFFFF")
    phase_fill = {"短期": "56B4E9", "中期": "009E73", "長期": "E69F00"}
    wrap, centre = Alignment(wrap_text=True, vertical="top"), Alignment(horizontal="center")
    for i, it in enumerate(items.itertuples(), start=start + 1):
        _set(ws, i, 1, it.item_id)
        _set(ws, i, 2, it.section, alignment=wrap)
        _set(ws, i, 3, it.title, alignment=wrap)
        _set(ws, i, 4, "、".join(it.ministries), alignment=wrap)
        for c, y in enumerate(years, start=5):
            cell = _set(ws, i, c, "■" if it.start_fy <= y <= it.end_fy else None, alignment=centre)
            if it.start_fy <= y <= it.end_fy:
                phase = "短期" if y <= 2015 else "中期" if y <= 2018 else "長期"
                cell.fill = PatternFill("solid", fgColor=phase_fill[phase])
            if y == report_fy:
                cell.border = Border(left=Side(style="medium", color="D55E00"), right=Side(style="medium", color="D55E00"))
    for col, width in zip("ABCD", (9, 24, 46, 18)):
        ws.column_dimensions[col].width = width
    for c in range(5, 5 + len(years)):
        ws.column_dimensions[get_column_letter(c)].width = 6
    ws.freeze_panes = ws.cell(row=start + 1, column=5)
    note = start + len(items) + 2
    _set(ws, note, 1, f"■ 短期(2013〜2015) 中期(2016〜2018) 長期(2019〜2021)。橙の枠は基準日の年度({fy_label(report_fy)})。")
    _print_setup(ws, "工程表", report, synthetic, paper="A3", title_rows=f"{start}:{start}")


def _municipal(ws: Worksheet, adoption: pd.DataFrame, kpi_names: dict, report: str, synthetic: bool) -> None:
    start = _banner(ws, "市区町村単位のKPI: 都道府県別の実施率", report, synthetic, 8)
    if adoption.empty:
        _set(ws, start, 1, "市区町村単位の実績値はまだありません。")
        _print_setup(ws, "市区町村", report, synthetic)
        return
    kpis = list(dict.fromkeys(adoption["kpi_id"]))
    _set(ws, start, 1, "都道府県", font=Font(name=FONT_NAME, bold=True), fill=HEADER_FILL)
    for c, k in enumerate(kpis, start=2):
        _set(ws, start, c, f"{k} {kpi_names.get(k, '')}", font=Font(name=FONT_NAME, size=9, bold=True), fill=HEADER_FILL,
             alignment=Alignment(wrap_text=True, vertical="top"))
        ws.column_dimensions[get_column_letter(c)].width = 16
    ws.column_dimensions["A"].width = 12
    pivot = adoption.pivot_table(index=["prefecture_code", "prefecture"], columns="kpi_id", values="rate", sort=True)
    for i, ((_, pref), values) in enumerate(pivot.iterrows(), start=start + 1):
        _set(ws, i, 1, pref)
        for c, k in enumerate(kpis, start=2):
            _set(ws, i, c, None if pd.isna(values.get(k)) else float(values.get(k)), "0.0%")
    last = start + len(pivot)
    for c in range(2, 2 + len(kpis)):
        col = get_column_letter(c)
        ws.conditional_formatting.add(f"{col}{start + 1}:{col}{last}",
                                      DataBarRule(start_type="num", start_value=0, end_type="num", end_value=1, color="0072B2"))
    ws.freeze_panes = ws.cell(row=start + 1, column=2)
    _print_setup(ws, "市区町村", report, synthetic, title_rows=f"{start}:{start}")


def _submissions(ws: Worksheet, con: duckdb.DuckDBPyConnection, as_of: dt.date, report: str, synthetic: bool,
                 ministry: str | None) -> None:
    """提出状況 of the latest data call made by the report date: who was asked, who replied, what is still empty."""
    from etl.datacall.status import STATES, submission_status
    from warehouse.datacall_queries import latest_call

    period = latest_call(con, as_of)
    month = f"{date_to_wareki(dt.date(int(period[:4]), int(period[5:]), 1))[:-2]}末時点" if period else ""
    start = _banner(ws, f"照会の提出状況({month}の照会)" if period else "照会の提出状況", report, synthetic, 8)
    if period is None:
        _set(ws, start, 1, "基準日までに照会様式は作成されていません(照会ページまたは `shinchoku datacall make`)。")
        _print_setup(ws, "提出状況", report, synthetic)
        return
    table = submission_status(con, period, as_of)
    if ministry:
        table = table[table["recipient_name"] == ministry]
    counts = table["state"].value_counts()
    _set(ws, start, 1, "  ".join(f"{s} {counts.get(s, 0)}件" for s in STATES))
    start += 2
    heads = [("状態", 10), ("宛先", 14), ("送付日", 16), ("回答期限", 16), ("回答", 6), ("最終回答", 16), ("記入済み", 12),
             ("未記入のKPI", 48)]
    for c, (h, width) in enumerate(heads, start=1):
        _set(ws, start, c, h, font=Font(name=FONT_NAME, bold=True), fill=HEADER_FILL)
        ws.column_dimensions[get_column_letter(c)].width = width
    day = lambda v: None if v is None or pd.isna(v) else date_to_wareki(pd.Timestamp(v).date())  # noqa: E731
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, r in enumerate(table.itertuples(), start=start + 1):
        empty = list(r.empty_kpis)
        shown = "、".join(empty[:30]) + (f" ほか{len(empty) - 30}件" if len(empty) > 30 else "")
        values = [r.state, r.recipient_name, day(r.made_at), day(r.deadline),
                  None if pd.isna(r.replies) else f"{int(r.replies)}回", day(r.last_reply),
                  None if pd.isna(r.rows_asked) else f"{int(r.rows_filled)}/{int(r.rows_asked)}行", shown or None]
        for c, v in enumerate(values, start=1):
            _set(ws, i, c, v, alignment=wrap)
        ws.row_dimensions[i].height = 14 * _lines(shown, heads[-1][1]) + 2
    ws.freeze_panes = ws.cell(row=start + 1, column=3)
    _print_setup(ws, "提出状況", report, synthetic, title_rows=f"{start}:{start}")


def _notes(ws: Worksheet, statuses: pd.DataFrame, sources: pd.DataFrame, report: str, synthetic: bool) -> None:
    row = _banner(ws, "注記", report, synthetic, 6)
    if synthetic:
        _set(ws, row, 1, f"【{SYNTHETIC}】この資料には `shinchoku demo` が生成した合成データが含まれています。"
                         "数値・判定は機能の説明のためのもので、実際の実績ではありません。",
             font=Font(name=FONT_NAME, size=11, bold=True, color="9C0006"))
        row += 2
    _set(ws, row, 1, "状況の定義", font=Font(name=FONT_NAME, size=12, bold=True))
    row += 1
    for s in statuses.itertuples():
        _set(ws, row, 1, f"{s.icon} {s.label}", fill=PatternFill("solid", fgColor=s.color.lstrip("#")),
             font=Font(name=FONT_NAME, size=10, color=ink(s.color)))
        _set(ws, row, 2, s.description)
        row += 1
    row += 1
    _set(ws, row, 1, "判定方法", font=Font(name=FONT_NAME, size=12, bold=True))
    for line in (
        "実際の年平均成長率 CAGR_a と、目標達成に必要な年平均成長率 CAGR_r の比 R = d・CAGR_a / |CAGR_r|(d: 増加+1・減少−1)。",
        "国連統計部 SDG Progress Chart、カナダ統計局/Open SDG の進捗測定(progress measure)を基に、閾値は本ツールの標準(0.95 / 0.5 / 0)。",
        "値が0以下のときは年あたり変化量の比。期限を過ぎた目標は、期限以後最初の実績で達成を判定します。",
        "目標のないKPIは「目標なし・傾向」(改善傾向・横ばい・悪化傾向)として別に示し、判定の件数には含めません。",
        "施策の状況は、そのKPIのうち最も悪い判定。詳細は docs/methodology.md。",
    ):
        row += 1
        _set(ws, row, 1, line)
    row += 2
    _set(ws, row, 1, "データの出典", font=Font(name=FONT_NAME, size=12, bold=True))
    for src in sources.itertuples():
        row += 1
        _set(ws, row, 1, src.file)
        _set(ws, row, 3, src.title)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 60
    _print_setup(ws, "注記", report, synthetic, landscape=False)


def write_monthly(con: duckdb.DuckDBPyConnection, as_of: dt.date, out: Path, ministry: str | None = None) -> dict:
    """Write the workbook; returns a summary (rows, sheets, synthetic)."""
    previous = previous_month_end(as_of)
    rows = queries.report_rows(con, as_of, previous, ministry)
    statuses = queries.statuses(con)
    synthetic = bool(rows["includes_synthetic"].any()) or queries.has_synthetic(con)
    report = f"{date_to_wareki(as_of)}({as_of.isoformat()})"
    wb = Workbook()
    _summary(wb.active, rows, statuses, as_of, queries.data_as_of(con, as_of), report, synthetic)
    wb.active.title = "表紙・サマリ"
    _kpi_sheet(wb.create_sheet("施策一覧"), rows, "施策一覧(施策×KPI)", report, synthetic)
    ministry_order = con.execute("select name from ministries where not is_group order by sort_order").df()["name"]
    for name in ministry_order:
        own = rows[rows["lead_ministries"].map(lambda leads, n=name: n in list(leads))]
        if len(own):
            _kpi_sheet(wb.create_sheet(name[:31]), own, f"{name} の施策", report, synthetic)
    _schedule(wb.create_sheet("工程表"), queries.schedule(con, None), as_of, report, synthetic)
    names = dict(con.execute("select kpi_id, name from kpis").fetchall())
    _municipal(wb.create_sheet("市区町村"), queries.adoption_matrix(con, as_of), names, report, synthetic)
    _submissions(wb.create_sheet("提出状況"), con, as_of, report, synthetic, ministry)
    _notes(wb.create_sheet("注記"), statuses, con.execute("select file, title from sources order by file").df(), report, synthetic)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return {"path": out, "rows": len(rows), "sheets": wb.sheetnames, "synthetic": synthetic}
