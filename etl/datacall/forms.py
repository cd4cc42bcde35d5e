"""Request forms (照会様式): one workbook per recipient, the KPIs it owes with last period's figures and
commentary filled in, input cells unlocked, everything else protected, printable on A4 landscape.

Recipients: a ministry owes the national KPIs of the measures it leads; a prefecture owes the
municipality-level KPIs, one row per municipality (forwarded to them), and the prefecture-level ones.
Each form carries a hidden block (form version, recipient, period, the row keys and their SHA-256) and is
registered in core.datacall_forms when made, so that a reply is recognised as exactly what was sent.
"""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation

from etl.datacall.commentary import FIELDS
from etl.errors import ShinchokuError
from etl.safety import FORMULA_START
from etl.text import date_to_wareki, period_label
from exports import textfit

FORM_VERSION = "1"
META_SHEET = "_form"  # very hidden: the block a reply is recognised by
SHEET = "回答"
HEADER_ROW = 6  # rows above it: title, recipient, period and deadline, how to fill in
FONT = textfit.FONT_NAME

# (heading, printed width in pt, input?) — the pre-filled columns first, then what the office fills in. Few
# and narrow enough that a row prints on A4 landscape at 8 pt or more: related facts share a cell.
COLUMNS = [
    ("KPI ID", 46, False), ("施策・指標(計画の記載)", 140, False), ("単位", 30, False), ("目標", 72, False),
    ("団体", 90, False), ("前回(時点・状況)", 92, False),
    ("今回実績", 46, True), ("時点", 46, True), ("出典", 50, True), ("取組状況", 110, True),
    ("今後の対応", 110, True), ("担当課室", 50, True), ("担当者", 36, True), ("備考", 40, True),
]
SIZE = 10  # pt, the body of the 回答 sheet
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")


class DataCallError(ShinchokuError):
    """A request that cannot be made (unknown recipient, period in the wrong form)."""


@dataclass(frozen=True)
class Recipient:
    kind: str  # 'ministry' | 'prefecture'
    code: str  # ministry name, or the two-digit prefecture code
    name: str  # as written on the form

    @property
    def form_key(self) -> str:
        return f"{self.kind}:{self.code}"


def parse_period(text: str) -> tuple[str, dt.date]:
    """'2021-03' → ('2021-03', 2021-03-31): the month the call asks about, and its last day."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DataCallError(f"期間は YYYY-MM の形で指定してください(例: 2021-03): {text!r}")
    y, mo = int(m.group(1)), int(m.group(2))
    return f"{y:04d}-{mo:02d}", dt.date(y, mo, calendar.monthrange(y, mo)[1])


def recipients(con: duckdb.DuckDBPyConnection, ministry: str | None = None, prefecture: str | None = None,
               everyone: bool = False) -> list[Recipient]:
    """The recipients asked for: one ministry (one that leads a measure), one prefecture (code or name), or
    every ministry that leads a measure and every prefecture."""
    leads = [r[0] for r in con.execute(
        """select name from ministries where lead_measures > 0 order by sort_order, name""").fetchall()]
    prefs = con.execute("select prefecture_code, name from areas where level = 'prefecture' order by 1").fetchall()
    if everyone:
        return [Recipient("ministry", m, m) for m in leads] + [Recipient("prefecture", c, n) for c, n in prefs]
    out = []
    if ministry:
        if ministry not in leads:
            raise DataCallError(f"主担当の施策がある府省庁ではありません: {ministry}(候補: {'、'.join(leads)})")
        out.append(Recipient("ministry", ministry, ministry))
    if prefecture:
        found = [(c, n) for c, n in prefs if prefecture in (c, n, c.lstrip("0"))]
        if not found:
            raise DataCallError(f"都道府県が見つかりません: {prefecture}(番号 01〜47 または名称)")
        out.append(Recipient("prefecture", *found[0]))
    if not out:
        raise DataCallError("宛先を指定してください(府省庁、都道府県、またはすべて)")
    return out


ROWS_SQL = """
    with prev as (select * from kpi_status_as_of(?::date, national_only := {national_only})),
    said as (  -- the latest commentary per KPI × area, whatever period it was written for
        select * from kpi_comments_as_of(?::date)
        qualify row_number() over (partition by kpi_id, area_code order by period desc) = 1
    ),
    asked as (
        select k.kpi_id, m.measure_no, m.title, k.source_text, k.unit, k.target_text, k.target_value, k.target_date,
               k.target_kind = 'milestone' and k.direction = 'unknown' as is_deed, k.area_level, m.lead_ministries,
               -- an area's row of a KPI that counts the areas that have done something (etl.kpi_defs.area_defaults:
               -- each area reports 1 = done): 実施済 / 未実施
               k.area_level <> 'national' and k.aggregation in ('sum', 'count') as is_flag
        from kpis k join measures m using (measure_no)
        where k.kind in ('progress', 'effect')
    ),
    rows as (
        select a.*, '000000' as area_code, '全国' as area_name, null::varchar as prefecture_code, 0 as area_order
        from asked a where a.area_level = 'national'
        union all by name
        select a.*, ar.area_code, ar.name as area_name, ar.prefecture_code, 1 as area_order
        from asked a join areas ar on ar.level = a.area_level
        where a.area_level in ('prefecture', 'municipality')
    )
    select r.*, p.latest_value as prev_value, p.latest_period as prev_period, p.status_label as prev_status,
           p.status_icon as prev_icon, s.progress as prev_progress, s.next_steps as prev_next_steps,
           s.office as prev_office, s.person as prev_person, false as is_item,
           null::integer as start_fy, null::integer as end_fy
    from rows r
    left join prev p on p.kpi_id = r.kpi_id and p.area_code = r.area_code
    left join said s on s.kpi_id = r.kpi_id and s.area_code = r.area_code
    union all by name
    -- the schedule items (工程) of each ministry concerned: how far each has got, in the form's list
    select i.item_id as kpi_id, null::integer as measure_no, i.section as title, i.title as source_text,
           null::varchar as unit, null::varchar as target_text, null::double as target_value,
           null::date as target_date, false as is_deed, 'national' as area_level, i.ministries as lead_ministries,
           false as is_flag, '000000' as area_code, '全国' as area_name, null::varchar as prefecture_code,
           2 as area_order, null::double as prev_value, r.period as prev_period, r.state as prev_status,
           '' as prev_icon, s.progress as prev_progress, s.next_steps as prev_next_steps, s.office as prev_office,
           s.person as prev_person, true as is_item, i.start_fy, i.end_fy
    from schedule_items i
    left join schedule_reports_as_of(?::date) r using (item_id)
    left join said s on s.kpi_id = i.item_id and s.area_code = '000000'
    order by area_order, kpi_id, area_code
"""
ITEM_STATES = ("完了", "実施中", "遅れ", "未着手", "中止")  # what a ministry may report for a schedule item


def all_rows(con: duckdb.DuckDBPyConnection, known_by: dt.date, national_only: bool = False) -> pd.DataFrame:
    """Every row any recipient may be asked for, with the latest figure, status and commentary known by
    the end of `known_by` (the day the form is made). national_only: only ministries are asked, so the
    previous figures of municipalities are not needed (a literal: the macro prunes that work when planned)."""
    return con.execute(ROWS_SQL.format(national_only="true" if national_only else "false"),
                       [known_by, known_by, known_by]).df()


def rows_for(rows: pd.DataFrame, who: Recipient) -> pd.DataFrame:
    """The rows one recipient owes (see the module docstring)."""
    if who.kind == "ministry":  # the national KPIs of the measures it leads, then the schedule items it is in
        mine = rows["lead_ministries"].map(lambda names: who.code in list(names))
        return rows[mine & (rows["area_level"] == "national")].reset_index(drop=True)
    return rows[(rows["prefecture_code"] == who.code) & ~rows["is_item"]].sort_values(["area_level", "kpi_id", "area_code"]).reset_index(drop=True)


def read_meta(ws) -> tuple[dict, list[tuple[str, str]]]:
    """The hidden block of a form: its key/value lines, and the rows asked (after the 'keys' line)."""
    meta, keys, in_keys = {}, [], False
    for row in ws.iter_rows(values_only=True):
        first, second = (list(row) + [None, None])[:2]
        if in_keys:
            keys.append((str(first), str(second)))
        elif first == "keys":
            in_keys = True
        elif first is not None:
            meta[str(first)] = second
    return meta, keys


def fixed_digest(cells: list[list]) -> str:
    """The SHA-256 of the protected cells of the rows as written: a reply whose protection was removed and
    whose pre-filled cells were changed no longer matches."""
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


def digest(who: Recipient, period: str, keys: list[tuple[str, str]], made_at: str) -> str:
    """The SHA-256 of what a form asks for: version, recipient, period, its rows (KPI × area) in order, and
    when it was made (two sendings of the same form are told apart)."""
    canonical = json.dumps({"version": FORM_VERSION, "recipient": who.form_key, "period": period, "rows": keys,
                            "made_at": made_at},
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(v) -> str | None:
    """A cell value from the warehouse, inert in a spreadsheet (never a formula)."""
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    s = str(v)
    return "'" + s if s.startswith(FORMULA_START) else s


def _target(r) -> str:
    if r.is_item:
        return f"計画 {period_label(f'FY{int(r.start_fy)}')}〜{period_label(f'FY{int(r.end_fy)}')}"
    text = _text(r.target_text)
    if text:
        return text
    if pd.notna(r.target_value):
        due = f"({date_to_wareki(pd.Timestamp(r.target_date).date())}まで)" if pd.notna(r.target_date) else ""
        return f"{r.target_value:,.10g}{_text(r.unit) or ''}{due}"
    return "(目標なし)"


def write_form(path: Path, who: Recipient, period: str, deadline: dt.date, contact: str, rows: pd.DataFrame,
               made_at: dt.datetime, synthetic: bool = False) -> str:
    """Write one request form; returns its digest."""
    keys = [(k, a) for k, a in zip(rows["kpi_id"], rows["area_code"])]
    sha = digest(who, period, keys, made_at.isoformat(timespec="seconds"))
    year, month = int(period[:4]), int(period[5:])
    wb = Workbook()
    textfit.use_font(wb)
    cover = wb.active
    cover.title = "表紙"
    _cover(cover, who, year, month, deadline, contact, len(rows), synthetic)
    ws = wb.create_sheet(SHEET)
    fixed = _sheet(ws, who, year, month, deadline, rows, synthetic)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"
    for k, v in (("form_version", FORM_VERSION), ("recipient", who.form_key), ("recipient_name", who.name),
                 ("period", period), ("made_at", made_at.isoformat(timespec="seconds")), ("rows", len(rows)),
                 ("digest", sha), ("first_row", HEADER_ROW + 1), ("fixed_digest", fixed_digest(fixed))):
        meta.append([k, v])
    # the rows asked, one per line under a 'keys' marker: as one JSON cell a large prefecture's list would
    # pass Excel's 32,767-character cell limit (Hokkaido: about 60,000)
    meta.append(["keys", len(keys)])
    for kpi, area in keys:
        meta.append([kpi, area])
    meta.protection.sheet = True
    wb.active = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return sha


def _cover(ws, who: Recipient, year: int, month: int, deadline: dt.date, contact: str, n: int, synthetic: bool) -> None:
    era = date_to_wareki(dt.date(year, month, 1))
    lines = [
        ("KPI実績等の照会", Font(name=FONT, size=16, bold=True)),
        (f"宛先: {who.name}" + (" 御中(管内市区町村分を含む)" if who.kind == "prefecture" else " 御中"), Font(name=FONT, size=12)),
        (f"対象: {era[:era.index('月') + 1]}末時点({year}年{month}月)の実績", Font(name=FONT, size=12)),
        (f"回答期限: {date_to_wareki(deadline)}({deadline:%Y年%m月%d日})", Font(name=FONT, size=12, bold=True)),
        (f"照会先(事務局): {contact}", Font(name=FONT, size=11)),
        ("", None),
        ("記入方法", Font(name=FONT, size=12, bold=True)),
        (f"・「回答」シートの黄色の列だけに記入してください({n}行)。その他の列と行は変更できません。", None),
        ("・今回実績: 数値(全角数字・桁区切り可)。「実施の有無」を問う指標は 実施済 / 未実施 を選んでください。", None),
        (f"・工程(府省庁の様式の末尾): 今回実績に実施状況({'・'.join(ITEM_STATES)})を選んでください(時点は不要)。", None),
        ("・時点: 実績の期間。年度なら 令和2年度・2020年度・R2、月なら 令和3年3月・2021-03。", None),
        ("・取組状況・今後の対応・担当課室: 前回の回答を記入済みです。変更があれば書き換えてください。", None),
        ("・実績がまだない場合は、今回実績を空欄のまま、取組状況に理由を書いてください。", None),
        ("・行の追加・削除、シート名の変更はしないでください(回答を自動で読み取ります)。", None),
    ]
    if synthetic:
        lines.insert(1, ("デモ(合成データ): この様式の前回値は合成データです。", Font(name=FONT, size=12, bold=True, color="C00000")))
    for i, (text, font) in enumerate(lines, start=1):
        c = ws.cell(row=i, column=1, value=text)
        c.font = font or Font(name=FONT, size=11)
    ws.column_dimensions["A"].width = textfit.column_width(700)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.protection.sheet = True


def _sheet(ws, who: Recipient, year: int, month: int, deadline: dt.date, rows: pd.DataFrame,
           synthetic: bool) -> list[list]:
    ws.cell(row=1, column=1, value=f"KPI実績等の照会 回答様式 — {who.name}").font = Font(name=FONT, size=14, bold=True)
    era = date_to_wareki(dt.date(year, month, 1))
    ws.cell(row=2, column=1, value=f"{era[:era.index('月') + 1]}末時点 ・ 回答期限 {date_to_wareki(deadline)}").font = Font(name=FONT, size=11)
    ws.cell(row=3, column=1, value="黄色の列に記入してください。前回値・前回の状況は事務局の記録です。"
            + ("(デモ:合成データ)" if synthetic else "")).font = Font(name=FONT, size=SIZE)
    wrap = Alignment(wrap_text=True, vertical="top")
    border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    # a ministry's rows are all 全国: its 団体 column needs no room for municipality names
    widths = [textfit.column_width(28 if head == "団体" and who.kind == "ministry" else width) for head, width, _ in COLUMNS]
    for c, (head, _, is_input) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=c, value=head)
        cell.font = Font(name=FONT, size=SIZE, bold=True)
        cell.fill = INPUT_FILL if is_input else HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(c)].width = widths[c - 1]
    first_input = next(i for i, (_, _, is_input) in enumerate(COLUMNS, start=1) if is_input)
    numbers = DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True,
                             error="数値を入力してください(全角数字・桁区切りも可)。", errorTitle="今回実績",
                             showErrorMessage=True)
    deeds = DataValidation(type="list", formula1='"実施済,未実施"', allow_blank=True, showErrorMessage=True,
                           error="実施済 または 未実施 を選んでください。", errorTitle="今回実績")
    items = DataValidation(type="list", formula1='"' + ",".join(ITEM_STATES) + '"', allow_blank=True,
                           showErrorMessage=True, errorTitle="今回実績",
                           error=f"工程の実施状況は {'・'.join(ITEM_STATES)} から選んでください。")
    ws.add_data_validation(numbers)
    ws.add_data_validation(deeds)
    ws.add_data_validation(items)
    # named styles: one style record for every cell of a kind (per-cell Font/Border objects cost seconds)
    fixed = NamedStyle("form_fixed", font=Font(name=FONT, size=SIZE), alignment=wrap, border=border)
    entry = NamedStyle("form_input", font=Font(name=FONT, size=SIZE), alignment=wrap, border=border, fill=INPUT_FILL,
                       protection=Protection(locked=False))
    number_cells, deed_cells, item_cells, fixed_cells = [], [], [], []
    last_kpi = None
    for i, r in enumerate(rows.itertuples(), start=HEADER_ROW + 1):
        prev = "—" if pd.isna(r.prev_value) else f"{r.prev_value:,.10g}{_text(r.unit) or ''}({period_label(r.prev_period)})"
        if r.is_item:
            prev = f"{r.prev_status}({period_label(r.prev_period)}の回答)" if isinstance(r.prev_status, str) else "—"
        elif isinstance(r.prev_status, str):
            prev += f"\n{r.prev_icon} {r.prev_status}"
        # a prefecture's form repeats a KPI for each municipality: its text once, then 〃 (a third of the pages)
        same = r.kpi_id == last_kpi
        last_kpi = r.kpi_id
        what = (f"工程 {_text(r.title)}\n{_text(r.source_text)}" if r.is_item
                else f"No {int(r.measure_no)} {_text(r.title)}\n{_text(r.source_text)}")
        unit = "実施状況" if r.is_item else "実施の有無" if r.is_flag or r.is_deed else _text(r.unit)
        values = [r.kpi_id, "〃" if same else what, unit, "〃" if same else _target(r),
                  _text(r.area_name) if r.area_code == "000000" else f"{r.area_code} {_text(r.area_name)}", prev,
                  None, None, None, _text(r.prev_progress), _text(r.prev_next_steps), _text(r.prev_office),
                  _text(r.prev_person), None]
        for c, v in enumerate(values, start=1):
            ws.cell(row=i, column=c, value=v).style = entry if c >= first_input else fixed
        fixed_cells.append(values[:first_input - 1])
        (item_cells if r.is_item else deed_cells if r.is_deed or r.is_flag else number_cells).append(
            f"{get_column_letter(first_input)}{i}")
        # LibreOffice and Excel do not grow rows for wrapped text on their own: measured with the font
        ws.row_dimensions[i].height = textfit.row_height(
            [(v, widths[c]) for c, v in enumerate(values)], SIZE)
    for validation, cells in ((numbers, number_cells), (deeds, deed_cells), (items, item_cells)):
        if cells:
            validation.sqref = MultiCellRange(" ".join(cells))
    if len(rows):  # the commentary's length limits (etl.datacall.commentary), checked again when read
        heads = [h for h, _, _ in COLUMNS]
        for head, (_, longest) in FIELDS.items():
            column = get_column_letter(heads.index(head) + 1)
            ws.add_data_validation(DataValidation(
                type="textLength", operator="lessThanOrEqual", formula1=str(longest), allow_blank=True,
                showErrorMessage=True, errorTitle=head, error=f"{longest:,}文字以内で記入してください。",
                sqref=f"{column}{HEADER_ROW + 1}:{column}{HEADER_ROW + len(rows)}"))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)
    ws.protection.sheet = True
    ws.protection.formatRows = False  # offices may make a row taller to read long text
    ws.protection.formatColumns = False
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"
    return fixed_cells


@dataclass
class MadeForm:
    recipient: Recipient
    path: Path
    keys: list[tuple[str, str]]
    digest: str
    asked: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # the rows as written (all_rows)

    @property
    def rows(self) -> int:
        return len(self.keys)


def make_forms(period: str, out_dir: Path, *, warehouse: Path | None = None, ministry: str | None = None,
               prefecture: str | None = None, everyone: bool = False, deadline: dt.date | None = None,
               contact: str = "進捗管理会議 事務局", user: str | None = None,
               now: dt.datetime | None = None) -> list[MadeForm]:
    """Write the request forms of a period and register them (core.datacall_forms) in one atomic write."""
    from etl import settings
    from etl.observations import store
    from etl.observations.load import current_user
    from warehouse.db import connect_readonly

    period, period_end = parse_period(period)
    deadline = deadline or (period_end + dt.timedelta(days=15))
    now = now or store.now_jst()
    target = settings.warehouse_path(warehouse)
    con = connect_readonly(target)
    try:
        who = recipients(con, ministry, prefecture, everyone)
        # the latest figures and commentary known when the form is made
        rows = all_rows(con, now.date(), national_only=all(r.kind == "ministry" for r in who))
        synthetic = con.execute("select count(*) > 0 from core.obs_batches where is_synthetic").fetchone()[0]
    finally:
        con.close()
    made = []
    for r in who:
        mine = rows_for(rows, r)
        name = f"照会_{period}_{r.code if r.kind == 'ministry' else r.code + r.name}.xlsx"
        path = Path(out_dir) / name
        keys = list(zip(mine["kpi_id"], mine["area_code"]))
        made.append(MadeForm(r, path, keys, write_form(path, r, period, deadline, contact, mine, now, synthetic), mine))
    with store.writer_lock(target), store.swapped(target) as wcon:
        start = wcon.execute("select coalesce(max(form_no), 0) from core.datacall_forms").fetchone()[0]
        wcon.executemany(
            """insert into core.datacall_forms (form_no, period, recipient, recipient_name, deadline, rows, digest,
                                                file_name, made_at, made_by, is_synthetic)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [[start + i, period, m.recipient.form_key, m.recipient.name, deadline, m.rows, m.digest, m.path.name, now,
              user or current_user(), bool(synthetic)] for i, m in enumerate(made, start=1)])
        asked = pd.concat([pd.DataFrame({"form_no": start + i, "row_no": range(1, len(m.keys) + 1),
                                         "kpi_id": [k for k, _ in m.keys], "area_code": [a for _, a in m.keys]})
                           for i, m in enumerate(made, start=1)], ignore_index=True)
        wcon.register("asked_rows", asked)
        wcon.execute("insert into core.datacall_form_rows by name select * from asked_rows")
        wcon.unregister("asked_rows")
    return made
