"""The monthly 進捗管理会議 workbook: the paper the meeting reads, written with openpyxl from the warehouse
for a report date (and, for a ministry's edition, the measures it leads).

Sheets: 表紙 (counts and what changed since the last meeting), 施策別の状況 (each measure once, its KPIs
under it: target, last meeting's and this meeting's value with the change, status, the office's
commentary), 提出状況, 工程表, 市区町村, 付表 (IDs, codes and method details) and 注記. Printed at 100 %
on A4 (A3 for the wide sheets) in BIZ UDPゴシック 9 pt, rows as tall as their wrapped text, page breaks
between measures; the status legend and the report date on every page.

Same warehouse, report date and settings, same cell values (no clock time is written). Text that came
from input data and looks like a formula is always stored as text.
"""
from __future__ import annotations

import datetime as dt
import functools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.formatting.rule import DataBarRule
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter

from etl.text import date_label, date_to_wareki, period_label, year_to_wareki
from exports import textfit
from exports.workbook import GRID, HEAD_FILL, SYNTHETIC, THIN, Header, Table, as_day, font, put
from warehouse import meeting_queries as mq
from warehouse import queries

CONFIG = Path(__file__).with_name("meeting.yaml")
KIND_JA = {"progress": "進捗", "effect": "効果"}
# units that count things: shown as whole numbers (a count of 1,793.4 社 is not a reading anyone reports)
COUNT_UNITS = {"件", "団体", "人", "名", "社", "者", "市区町村", "自治体", "都道府県", "回", "か所", "箇所", "カ所", "機関",
               "校", "施設", "地域", "台", "本", "事業", "サービス", "団地", "館", "分野"}
SHEETS = ("表紙", "施策別の状況", "提出状況", "工程表", "市区町村", "付表(KPI詳細)", "注記")
COUNTING_RULE = ("件数はKPI単位です。共管の施策のKPIは、主担当の各府省庁に1件ずつ計上します"
                 "(府省庁別の件数の合計は、全体の件数を上回ることがあります)。")


@dataclass(frozen=True)
class Meeting:
    """The settings of the paper (exports/meeting.yaml, or the file given with --config)."""
    meeting: str = "進捗管理会議"
    document_no: str = ""
    held_on: dt.date | None = None
    footer: str = ""
    scale: str = "icons"
    marks: dict = field(default_factory=dict)  # status code → printed mark ({} for the icons)
    groupings: tuple[str, ...] = ("pillar", "direction")  # the cover's count tables after the ministries


def load_meeting(path: Path | None = None, **overrides) -> Meeting:
    """The settings from a YAML file (default exports/meeting.yaml); overrides (not None) win."""
    data = yaml.safe_load((path or CONFIG).read_text(encoding="utf-8")) or {}
    scale = overrides.get("scale") or data.get("scale", "icons")
    scales = data.get("scales", {})
    if scale != "icons" and scale not in scales:
        raise ValueError(f"scale {scale!r}: choose icons or one of {', '.join(scales)}")
    held = overrides.get("held_on") or data.get("held_on")
    groupings = tuple(data.get("groupings", Meeting.groupings))
    if unknown := set(groupings) - set(GROUPINGS):
        raise ValueError(f"groupings {sorted(unknown)}: choose from {', '.join(GROUPINGS)}")
    return Meeting(
        meeting=overrides.get("meeting") or data.get("meeting", "進捗管理会議"),
        document_no=overrides.get("document_no") if overrides.get("document_no") is not None else data.get("document_no", ""),
        held_on=dt.date.fromisoformat(str(held)) if held else None,
        footer=data.get("footer", "") or "", scale=scale, marks=dict(scales.get(scale, {})), groupings=groupings)


def _by_pillar(p, rows: pd.DataFrame) -> tuple[str, list, str]:
    pillars = mq.pillars(p.con)
    short = dict(zip(pillars["name"], pillars["short_name"]))
    order = list(pillars["name"]) + ["(柱なし)"]
    return "柱別(KPIの件数)", [(short.get(n, n), rows["pillar"] == n) for n in order if (rows["pillar"] == n).any()], ""


def _by_direction(p, rows: pd.DataFrame) -> tuple[str, list, str]:
    order = rows.drop_duplicates("direction").sort_values("direction_order")["direction"]
    return ("ICT政策の方向性(総務省)別(KPIの件数)", [(d, rows["direction"] == d) for d in order],
            "施策と方向性の対応は資料に記載がないため、施策ごとに理由を付けて対応付けたものです(主な対応で計上)。")


# The cover's count tables besides the ministries (meeting.yaml `groupings`).
GROUPINGS = {"pillar": _by_pillar, "direction": _by_direction}


def previous_month_end(d: dt.date) -> dt.date:
    return d.replace(day=1) - dt.timedelta(days=1)


def file_name(as_of: dt.date, ministry: str | None = None) -> str:
    """'進捗管理_令和3年3月.xlsx' (with the ministry when the report is for one)."""
    wareki = date_to_wareki(as_of)
    month = wareki[: wareki.index("月") + 1]
    return f"進捗管理_{month}{'_' + ministry if ministry else ''}.xlsx"


# ---------------------------------------------------------------- how values read


def amount(value, unit) -> str:
    """A value as the paper prints it: counts whole, shares to 0.1, the plan's unit after it."""
    if value is None or pd.isna(value):
        return "—"
    unit = unit if isinstance(unit, str) else ""
    if unit in COUNT_UNITS or float(value).is_integer():
        text = f"{round(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + unit


def reading(value, unit, period) -> str:
    """'1,234件\\n令和2(2020)年度' — a value and the period it is for ('—' without one)."""
    if value is None or pd.isna(value):
        return "—"
    return f"{amount(value, unit)}\n{period_label(period)}"


def change(r) -> str:
    """Last meeting's value → this meeting's: the difference and its share, 新規, or — (no data)."""
    now, before = r.latest_value, r.prev_value
    if pd.isna(now):
        return "—"
    if pd.isna(before):
        text = "新規"
    elif not r.new_data:
        return "更新なし"
    else:
        diff = now - before
        if diff == 0:
            text = "±0"
        else:
            sign = "+" if diff > 0 else "−"  # a minus sign: △ and ▲ read as negative numbers already
            text = sign + amount(abs(diff), r.unit)
            if before:
                text += f"\n({sign}{abs(diff / before):.1%})"
    return text + ("\n今月更新" if r.new_data else "")


def target(r) -> str:
    """The target as written in the plan, else its value and deadline."""
    if isinstance(r.target_text, str) and r.target_text.strip():
        return r.target_text
    if pd.notna(r.target_value):
        due = f"({year_to_wareki(int(r.target_fy))}まで)" if pd.notna(r.target_fy) else ""
        return amount(r.target_value, r.unit) + due
    return "(目標なし)"


def tint(color: str, share: float = 0.45) -> PatternFill:
    """A status colour mixed with white: the mark and black text stay legible in colour and in black and white."""
    c = color.lstrip("#")
    mixed = "".join(f"{round(int(c[i:i + 2], 16) * share + 255 * (1 - share)):02X}" for i in (0, 2, 4))
    return PatternFill("solid", fgColor=mixed)


def leads(names) -> str:
    names = list(names)
    return names[0] + (f"(共管: {'・'.join(names[1:])})" if len(names) > 1 else "")


# ---------------------------------------------------------------- the paper


@dataclass
class Paper:
    con: duckdb.DuckDBPyConnection
    as_of: dt.date
    ministry: str | None
    meeting: Meeting
    rows: pd.DataFrame
    statuses: pd.DataFrame
    header: Header

    def mark(self, code: str, icon: str) -> str:
        return self.meeting.marks.get(code, icon)

    def status_text(self, code, icon, label) -> str:
        return f"{self.mark(code, icon)} {label}"

    @property
    def whose(self) -> str:
        return f"({self.ministry})" if self.ministry else ""

    @functools.cached_property
    def call(self) -> tuple[pd.DataFrame | None, str | None]:
        """提出状況 of the latest data call made by the report date (the edition's own row for a ministry),
        and its month; (None, None) before any call. Read once: the cover and its sheet both show it."""
        from etl.datacall.status import submission_status
        from warehouse.datacall_queries import latest_call

        period = latest_call(self.con, self.as_of)
        if period is None:
            return None, None
        table = submission_status(self.con, period, self.as_of)
        if self.ministry:
            table = table[table["recipient_name"] == self.ministry]
        return table, period


def legend(statuses: pd.DataFrame, meeting: Meeting, shown: set[str]) -> tuple[str, str]:
    """The scale, for the footer of every page: each mark with the statuses it stands for; those judged
    against a target (left), the trend readings and the rest (right)."""
    parts = []
    for judged in (True, False):
        part = statuses[(statuses["judged"] == judged) & statuses["code"].isin(shown)]
        groups: dict[str, list[str]] = {}
        for s in part.itertuples():
            groups.setdefault(meeting.marks.get(s.code, s.icon), []).append(s.label)
        parts.append(" ".join(f"{m}{'・'.join(labels)}" for m, labels in groups.items()))
    return "凡例 " + parts[0], parts[1]


def write_monthly(con: duckdb.DuckDBPyConnection, as_of: dt.date, out: Path, ministry: str | None = None,
                  meeting: Meeting | None = None) -> dict:
    """Write the workbook; returns a summary (rows, sheets, synthetic)."""
    meeting = meeting or load_meeting()
    rows = mq.report_rows(con, as_of, previous_month_end(as_of), ministry)
    statuses = con.execute("select code, label, icon, color, sort_order, judged, family, description "
                           "from statuses order by sort_order").df()
    synthetic = bool(rows["includes_synthetic"].any()) or queries.has_synthetic(con)
    judged, others = legend(statuses, meeting, set(rows["status"]) | set(rows["prev_status"].dropna()))
    header = Header(report=f"基準日 {date_label(as_of)}", document_no=meeting.document_no, synthetic=synthetic,
                    legend=judged, footer="  ".join(x for x in (others, meeting.footer) if x))
    p = Paper(con, as_of, ministry, meeting, rows, statuses, header)
    wb = Workbook()
    textfit.use_font(wb)
    wb.active.title = SHEETS[0]
    for name in SHEETS[1:]:
        wb.create_sheet(name)
    _cover(wb[SHEETS[0]], p)
    _measures(wb[SHEETS[1]], p)
    _submissions(wb[SHEETS[2]], p)
    _schedule(wb[SHEETS[3]], p)
    _municipal(wb[SHEETS[4]], p)
    _appendix(wb[SHEETS[5]], p)
    _notes(wb[SHEETS[6]], p)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return {"path": out, "rows": len(rows), "sheets": wb.sheetnames, "synthetic": synthetic}


def workbook_bytes(con: duckdb.DuckDBPyConnection, as_of: dt.date, ministry: str | None = None,
                   meeting: Meeting | None = None) -> tuple[bytes, dict]:
    """The workbook as bytes, with its summary (rows, sheets, synthetic), for a download. The same warehouse
    and arguments give the same workbook, so the dashboard caches this per warehouse version: people
    preparing the same meeting share one workbook instead of each making it (3 s at national scale)."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / file_name(as_of, ministry)
        result = write_monthly(con, as_of, out, ministry, meeting)
        return out.read_bytes(), {k: v for k, v in result.items() if k != "path"}


def _banner(t: Table, p: Paper, title: str) -> None:
    t.line(f"{title}{p.whose}", size=13, bold=True)
    t.line(f"{p.header.report}(前回: {date_label(previous_month_end(p.as_of))})")
    if p.header.synthetic:
        t.line(f"【{SYNTHETIC}】この資料の数値は動作確認用の合成データです。実際の実績値ではありません。",
               size=10, bold=True, color="9C0006", fill=PatternFill("solid", fgColor="FFC7CE"))


# ---------------------------------------------------------------- 表紙


def _groups(rows: pd.DataFrame) -> pd.Series:
    from warehouse.attention import status_group

    return pd.Series([status_group(c, f) for c, f in zip(rows["status"], rows["family"])], index=rows.index)


def _cover(ws, p: Paper) -> None:
    from warehouse.attention import GROUPS

    t = Table(ws, [("", 150)] + [("", 62)] * 6, landscape=False)
    if p.meeting.document_no:
        put(ws, 1, 7, p.meeting.document_no, font=font(11, True), alignment=Alignment(horizontal="right"))
        ws.row_dimensions[1].height = textfit.row_height([(p.meeting.document_no, t.widths[6])], 11)
    t.row = 2
    t.line(p.meeting.meeting + p.whose, size=15, bold=True)
    t.line(f"開催日: {date_label(p.meeting.held_on)}" if p.meeting.held_on else "開催日: —", size=11)
    t.line(f"{p.header.report}(前回: {date_label(previous_month_end(p.as_of))})", size=11)
    data_day = mq.data_as_of(p.con, p.as_of)
    t.line(f"データの時点(最新の値が判明した日): {date_label(data_day) if data_day else '—'}")
    if p.header.synthetic:
        t.line(f"【{SYNTHETIC}】この資料の数値は動作確認用の合成データです。実際の実績値ではありません。",
               size=10, bold=True, color="9C0006", fill=PatternFill("solid", fgColor="FFC7CE"))
    rows = p.rows
    t.row += 1
    t.block()
    t.line(f"KPIの状況({len(rows)}件{'、' + p.ministry + 'が主担当の施策' if p.ministry else ''})", size=11, bold=True)
    heads = ["状況", "今回", "前回", "増減"]
    for c, h in enumerate(heads, start=1):
        put(ws, t.row, c, h, font=font(bold=True), fill=HEAD_FILL, border=GRID, alignment=Alignment(horizontal="center"))
    t.row += 1
    now, before = rows["status"].value_counts(), rows["prev_status"].value_counts()
    for s in p.statuses.itertuples():
        a, b = int(now.get(s.code, 0)), int(before.get(s.code, 0))
        if not a and not b:
            continue
        put(ws, t.row, 1, p.status_text(s.code, s.icon, s.label), border=GRID, fill=tint(s.color))
        for c, v in enumerate((a, b), start=2):
            put(ws, t.row, c, v, "#,##0", border=GRID)
        put(ws, t.row, 4, f"{a - b:+d}" if a != b else "±0", border=GRID, alignment=Alignment(horizontal="right"))
        t.row += 1
    no_prev = int(rows["prev_status"].isna().sum())
    put(ws, t.row, 1, "合計", font=font(bold=True), border=GRID)
    put(ws, t.row, 2, len(rows), "#,##0", border=GRID, font=font(bold=True))
    put(ws, t.row, 3, len(rows) - no_prev, "#,##0", border=GRID, font=font(bold=True))
    t.row += 2
    groups = _groups(rows)
    names = list(GROUPS.values())
    if not p.ministry:
        t.block()
        t.line("主担当府省庁別(KPIの件数)", size=11, bold=True)
        _count_table(t, [(m, rows["lead_ministries"].map(lambda ls, m=m: m in list(ls))) for m in mq.ministries(p.con)],
                     groups, names, total=len(rows))
        t.line(COUNTING_RULE, size=8)
        t.row += 1
    for grouping in p.meeting.groupings:
        title, parts, note = GROUPINGS[grouping](p, rows)
        t.block()
        t.line(title, size=11, bold=True)
        _count_table(t, parts, groups, names, total=len(rows))
        if note:
            t.line(note, size=8)
        t.row += 1
    changed = rows[rows["new_data"]]
    _list(t, p, "今月更新されたKPI", changed, lambda r: f"{reading(r.prev_value, r.unit, r.prev_period).replace(chr(10), ' ')}"
          f" → {reading(r.latest_value, r.unit, r.latest_period).replace(chr(10), ' ')}")
    worse = rows[rows["change"] == "worse"]
    _list(t, p, "状況が悪化したKPI", worse, lambda r: f"{p.status_text(r.prev_status, r.prev_icon, r.prev_label)} → "
          f"{p.status_text(r.status, r.status_icon, r.status_label)}")
    due = rows[rows["status"] == "awaiting_result"]
    _list(t, p, "期限到来・実績未着のKPI", due, lambda r: f"目標 {target(r)}")
    status, period = p.call
    t.block()
    t.line("照会の提出状況", size=11, bold=True)
    if status is None:
        t.line("基準日までに照会様式は作成されていません。")
    else:
        counts = status["state"].value_counts()
        from etl.datacall.status import STATES

        t.line(f"{period_label(period)}末時点の照会: " + " ・ ".join(f"{s} {counts.get(s, 0)}件" for s in STATES)
               + "(詳細は「提出状況」シート)")
    t.finish("表紙" + p.whose, p.header)


def _count_table(t: Table, groups_of: list[tuple[str, pd.Series]], groups: pd.Series, names: list[str], total: int) -> None:
    ws = t.ws
    from warehouse.attention import GROUPS

    for c, h in enumerate(["", *(n.replace("・", "・\n") for n in names), "計"], start=1):
        put(ws, t.row, c, h, font=font(bold=True), fill=HEAD_FILL, border=GRID,
            alignment=Alignment(horizontal="center", wrap_text=True, vertical="center"))
    ws.row_dimensions[t.row].height = textfit.row_height([(n.replace("・", "・\n"), textfit.stored_width(62)) for n in names])
    t.row += 1
    for name, mask in groups_of:
        put(ws, t.row, 1, name, border=GRID, alignment=Alignment(wrap_text=True, vertical="center"))
        # long names (a policy direction's title) wrap: the row grows to show them whole
        ws.row_dimensions[t.row].height = textfit.row_height([(name, ws.column_dimensions["A"].width)])
        counts = groups[mask].value_counts()
        middle = Alignment(vertical="center")
        for c, g in enumerate(GROUPS, start=2):
            put(ws, t.row, c, int(counts.get(g, 0)), "#,##0", border=GRID, alignment=middle)
        put(ws, t.row, 2 + len(GROUPS), int(mask.sum()), "#,##0", border=GRID, font=font(bold=True), alignment=middle)
        t.row += 1
    counts = groups.value_counts()
    put(ws, t.row, 1, "合計(KPIの実数)", font=font(bold=True), border=GRID)
    for c, g in enumerate(GROUPS, start=2):
        put(ws, t.row, c, int(counts.get(g, 0)), "#,##0", border=GRID, font=font(bold=True))
    put(ws, t.row, 2 + len(GROUPS), total, "#,##0", border=GRID, font=font(bold=True))
    t.row += 1


LIST_LIMIT = 25


def _list(t: Table, p: Paper, title: str, rows: pd.DataFrame, detail) -> None:
    t.block()
    t.line(f"{title}({len(rows)}件)", size=11, bold=True)
    if rows.empty:
        t.line("該当なし")
    for r in list(rows.itertuples())[:LIST_LIMIT]:
        t.line(f"・No {r.measure_no} {r.kpi_id} {r.name}: {detail(r)}", size=9)
    if len(rows) > LIST_LIMIT:
        t.line(f"ほか {len(rows) - LIST_LIMIT}件(「施策別の状況」シートを参照)")
    t.row += 1


# ---------------------------------------------------------------- 施策別の状況


MEASURE_COLUMNS = [("区分", 26), ("指標(計画の記載)", 124), ("目標", 80), ("前回", 84), ("今回", 84), ("増減", 46),
                   ("状況", 66), ("取組状況", 104), ("今後の対応", 88), ("担当課室", 66)]


def _measures(ws, p: Paper) -> None:
    t = Table(ws, MEASURE_COLUMNS)
    _banner(t, p, "施策別の状況")
    t.line("前回は前回会議(前月末)時点、今回は基準日時点の最新の実績。取組状況・今後の対応・担当課室は照会の回答"
           "(施策詳細での入力を含む)の最新のもので、回答のないKPIは空欄です。", size=8)
    t.head()
    status_col = [h for h, _ in MEASURE_COLUMNS].index("状況")
    for no, kpis in p.rows.groupby("measure_no", sort=False):
        first = kpis.iloc[0]
        t.block()
        t.merged(f"No {no} {first.title} ・ 主担当: {leads(first.lead_ministries)} ・ 柱: {first.pillar_short}")
        for r in kpis.itertuples():
            status = p.status_text(r.status, r.status_icon, r.status_label)
            if r.change == "worse":
                status += f"\n(前回 {p.status_text(r.prev_status, r.prev_icon, r.prev_label)})"
            office = r.office if isinstance(r.office, str) else None
            if isinstance(r.comment_period, str) and (office or isinstance(r.progress, str)):
                office = f"{office or ''}\n({period_label(r.comment_period)}分)".strip()
            values = [KIND_JA.get(r.kind, r.kind), r.source_text if isinstance(r.source_text, str) else r.name,
                      target(r), reading(r.prev_value, r.unit, r.prev_period),
                      reading(r.latest_value, r.unit, r.latest_period), change(r), status,
                      r.progress, r.next_steps, office]
            t.add(values, styles={status_col: {"fill": tint(r.status_color), "font": font(bold=True)}})
    if p.rows.empty:
        t.line("該当するKPIはありません。")
    t.finish("施策別の状況" + p.whose, p.header, freeze_col=1)


# ---------------------------------------------------------------- 提出状況


def _submissions(ws, p: Paper) -> None:
    """提出状況 of the latest data call made by the report date: who was asked, who replied, what is still empty."""
    table, period = p.call
    t = Table(ws, [("状態", 56), ("宛先", 80), ("送付日", 116), ("回答期限", 116), ("回答", 34), ("最終回答", 116),
                   ("記入済み", 60), ("未記入のKPI(一部未記入の宛先)", 190)])
    _banner(t, p, f"照会の提出状況({period_label(period)}末時点の照会)" if period else "照会の提出状況")
    if table is None:
        t.line("基準日までに照会様式は作成されていません。")
        t.finish("提出状況" + p.whose, p.header)
        return
    from etl.datacall.status import STATES

    counts = table["state"].value_counts()
    t.line("  ".join(f"{s} {counts.get(s, 0)}件" for s in STATES))
    t.head()
    for r in table.itertuples():
        empty = list(r.empty_kpis) if r.state == "一部未記入" else []  # no reply at all: every row, no news
        shown = "、".join(empty[:30]) + (f" ほか{len(empty) - 30}件" if len(empty) > 30 else "")
        t.add([r.state, r.recipient_name, _day(r.made_at), _day(r.deadline),
               None if pd.isna(r.replies) else f"{int(r.replies)}回", _day(r.last_reply),
               None if pd.isna(r.rows_asked) else f"{int(r.rows_filled)}/{int(r.rows_asked)}行", shown or None])
    t.finish("提出状況" + p.whose, p.header, freeze_col=3, autofilter=True)


def _day(value) -> str | None:
    d = as_day(value)
    return date_label(d) if d else None


# ---------------------------------------------------------------- 工程表


YEARS = list(range(2013, 2022))


def item_state(start_fy: int, end_fy: int, report_fy: int, reported: str | None = None) -> str:
    """Where a schedule item stands at the report date: as its ministry last reported it in the data call
    (完了 / 中止 / 遅れ), late when its plan period is over without a report of completion, else where the
    plan puts it (開始前 / 実施中 / 最終年度) with the report beside it."""
    if reported in ("完了", "中止", "遅れ"):
        return f"{reported}(報告)"
    if report_fy > end_fy:
        return "遅れ(計画期間終了・完了の報告なし)"
    plan = "開始前" if report_fy < start_fy else "最終年度" if report_fy == end_fy else "実施中"
    return plan if reported in (None, plan) else f"{plan}(報告: {reported})"


def _schedule(ws, p: Paper) -> None:
    items = queries.schedule(p.con, p.ministry)
    report_fy = p.as_of.year if p.as_of.month >= 4 else p.as_of.year - 1
    years = [(y, year_to_wareki(y).replace("年度", "") + f"\n({y})") for y in YEARS]
    t = Table(ws, [("ID", 44), ("施策群", 120), ("工程", 240), ("府省庁", 110)] + [(label, 42) for _, label in years]
              + [("基準日の状態", 90)], paper="A3")
    _banner(t, p, f"工程表(地方創生IT利活用促進プラン {year_to_wareki(YEARS[0]).replace('年度', '')}({YEARS[0]})〜"
                  f"{year_to_wareki(YEARS[-1])}({YEARS[-1]}))")
    t.line(f"■ 計画期間(濃さで短期・中期・長期を区別)。太枠の列は基準日の年度({period_label(f'FY{report_fy}')})。"
           "状態は照会で府省庁が回答した実施状況(完了・実施中・遅れ・未着手・中止)と計画期間から示します"
           "(計画期間を過ぎて完了の回答がない工程は遅れ)。")
    t.head()
    here = 4 + YEARS.index(report_fy) if report_fy in YEARS else None  # 0-based column of the report year
    frame = Side(style="medium", color="000000")
    if here is not None:
        put(ws, t.header_row, here + 1, years[here - 4][1], font=font(bold=True), fill=HEAD_FILL,
            border=Border(left=frame, right=frame, top=frame, bottom=THIN),
            alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"))
    # shades of one neutral blue, apart from every status colour
    phase_fill = {"短期": PatternFill("solid", fgColor="DDE3EC"), "中期": PatternFill("solid", fgColor="B8C4D6"),
                  "長期": PatternFill("solid", fgColor="8FA1BC")}
    centre = Alignment(horizontal="center", vertical="center")
    reports = mq.item_reports(p.con, p.as_of)
    late, done = tint("#E69F00"), tint("#009E73")
    for it in items.itertuples():
        state = item_state(it.start_fy, it.end_fy, report_fy, reports.get(it.item_id, (None,))[0])
        bars = ["■" if it.start_fy <= y <= it.end_fy else None for y in YEARS]
        styles = {4 + i: {"fill": phase_fill["短期" if y <= 2015 else "中期" if y <= 2018 else "長期"], "alignment": centre}
                  for i, y in enumerate(YEARS) if bars[i]}
        if here is not None:
            styles[here] = {**styles.get(here, {"alignment": centre}), "border": Border(left=frame, right=frame, top=THIN, bottom=THIN)}
        if state.startswith(("遅れ", "完了")):
            styles[4 + len(YEARS)] = {"fill": late if state.startswith("遅れ") else done}
        t.add([it.item_id, it.section, it.title, "、".join(it.ministries), *bars, state], styles=styles)
    if items.empty:
        t.line("該当する工程はありません。")
    t.finish("工程表" + p.whose, p.header, freeze_col=5, autofilter=True)


# ---------------------------------------------------------------- 市区町村


def _municipal(ws, p: Paper) -> None:
    adoption = mq.adoption_matrix(p.con, p.as_of, p.ministry)
    adoption = adoption[adoption["kpi_id"].isin(set(adoption.loc[adoption["rate"].notna(), "kpi_id"]))]  # reported
    kpis = list(dict.fromkeys(adoption["kpi_id"])) if not adoption.empty else []
    names = dict(zip(p.rows["kpi_id"], p.rows["name"]))
    # 47 prefectures and the nation fit one A3 page standing; many KPIs need it lying down (column A repeats)
    t = Table(ws, [("都道府県", 60)] + [(f"{k}\n{names.get(k, '')}", 72) for k in kpis], paper="A3",
              landscape=len(kpis) > 9)
    _banner(t, p, "団体単位のKPI: 都道府県別の実施率")
    if adoption.empty:
        t.line("団体単位の実績値はまだありません。")
        t.finish("市区町村" + p.whose, p.header)
        return
    t.line("実施率 = 実施と報告された団体 ÷ 報告のあった団体(基準日時点の各団体の最新の報告)。"
           "都道府県単位のKPIは、その都道府県が実施済みなら100%です。")
    t.head()
    pivot = adoption.pivot(index=["prefecture_code", "prefecture"], columns="kpi_id", values="rate").reindex(columns=kpis)
    total = adoption.groupby("kpi_id")[["adopted", "reporting"]].sum().reindex(kpis)
    national = [None if not r else a / r for a, r in zip(total["adopted"], total["reporting"])]
    t.add(["全国", *national], formats=[None] + ["0%"] * len(kpis), styles={0: {"font": font(bold=True)}})
    for (_, pref), values in zip(pivot.index, pivot.to_numpy()):
        t.add([pref, *[None if pd.isna(v) else float(v) for v in values]], formats=[None] + ["0%"] * len(kpis))
    first, last = t.header_row + 1, t.row - 1
    for c in range(2, 2 + len(kpis)):
        col = get_column_letter(c)
        ws.conditional_formatting.add(f"{col}{first}:{col}{last}",
                                      DataBarRule(start_type="num", start_value=0, end_type="num", end_value=1, color="8FA1BC"))
    ws.print_title_cols = "A:A"
    t.finish("市区町村" + p.whose, p.header, freeze_col=2)


# ---------------------------------------------------------------- 付表


APPENDIX_COLUMNS = [("KPI ID", 42), ("施策No", 26), ("主担当府省庁", 72), ("柱", 56), ("区分", 26), ("指標", 130), ("単位", 30),
                    ("基準値", 84), ("最新値", 84), ("目標", 88), ("達成率", 38), ("状況", 66), ("判定方法", 70),
                    ("判定理由", 150), ("出典", 96)]


def _appendix(ws, p: Paper) -> None:
    t = Table(ws, APPENDIX_COLUMNS, paper="A3")
    _banner(t, p, "付表 KPIの詳細(ID・判定方法・出典)")
    t.line("達成率は、目標値に対する最新値の割合で、目標に向けた伸びで判定するKPIにだけ示します"
           "(年間目標・実施目標・目標のないKPIは判定理由を参照)。")
    t.head()
    for r in p.rows.itertuples():
        ratio = r.achievement_ratio if r.status_rule == "growth" and pd.notna(r.achievement_ratio) else None
        t.add([r.kpi_id, r.measure_no, leads(r.lead_ministries), r.pillar_short, KIND_JA.get(r.kind, r.kind), r.name,
               r.unit if isinstance(r.unit, str) else None, reading(r.base_value, r.unit, r.base_period),
               reading(r.latest_value, r.unit, r.latest_period), target(r), ratio,
               p.status_text(r.status, r.status_icon, r.status_label), r.method_label, r.status_reason, r.sources],
              formats=[None] * 10 + ["0%"] + [None] * 4, styles={11: {"fill": tint(r.status_color)}})
    t.finish("付表(KPI詳細)" + p.whose, p.header, freeze_col=2, autofilter=True)


# ---------------------------------------------------------------- 注記


def _notes(ws, p: Paper) -> None:
    t = Table(ws, [("", 120), ("", 405)], landscape=False)
    _banner(t, p, "注記")
    t.line("状況の定義", size=11, bold=True)
    for s in p.statuses.itertuples():
        if s.code == "not_adopted":
            continue
        t.add([p.status_text(s.code, s.icon, s.label), s.description], styles={0: {"fill": tint(s.color)}})
    t.row += 1
    t.line("判定方法", size=11, bold=True)
    for line in (
        "目標のあるKPIは、実際の年平均成長率と、目標達成に必要な年平均成長率の比(R)で判定します"
        "(国連統計部 SDG Progress Chart、カナダ統計局の進捗測定を基にした方法。閾値は 0.95・0.5・0)。",
        "値が0以下のときは年あたり変化量の比を用います。期限を過ぎた目標は、期限以後最初の実績で達成を判定します。",
        "目標のないKPIは「目標なし・傾向」(改善傾向・横ばい・悪化傾向)として別に示し、判定の件数には含めません。",
        "施策の状況は、そのKPIのうち最も悪い判定です。前回は前月末の基準日時点の判定です。",
        COUNTING_RULE,
        "日付と期間は和暦(西暦)で示します。年度は4月から翌年3月までです。",
    ):
        t.line(line)
    t.row += 1
    t.line("データの出典", size=11, bold=True)
    for title in mq.sources(p.con):
        t.line(f"・{title}")
    t.line("・各府省庁・都道府県からの照会の回答(実績値・取組状況)")
    t.finish("注記" + p.whose, p.header)

