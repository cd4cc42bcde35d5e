"""Reading returned request forms (照会の回答): recognise the form and its recipient, check every row with
the observation rules and the form's own rules, and load each file all-or-nothing as one batch (its
figures as observations, its commentary as kpi_comments, the reply linked to the form it answers).

Form rules, each refused with file, sheet, row, column and reason: not one of our forms; its hidden block
changed; a form not in the register (core.datacall_forms); another period than asked; protection removed
or a protected cell changed; a row added, deleted or moved; a KPI that was not asked; a value without
時点 or a 時点 without value; text in a number cell (the observation rules).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl import settings
from etl.datacall import commentary, forms
from etl.observations import store
from etl.observations.read import COLUMNS as OBS_COLUMNS
from etl.observations.read import ObservationFileError, Sheet, _cell_text, check_xlsx_archive
from etl.observations.validate import validate_sheet
from etl.text import normalize

ITEM_ID = re.compile(r"S\d+-I\d+")  # a schedule item's row (工程), after a ministry's KPI rows
MAX_REPLY_BYTES = 20 * 2**20  # the upload limit: a filled form of the largest prefecture is about 1 MB
INPUT = {"今回実績": "value", "時点": "period", "出典": "source", "備考": "note"}


@dataclass
class ReplyReport:
    file: str
    sha256: str
    status: str = "pending"  # loaded | revised | already_loaded | refused | unreadable | checked
    message: str = ""
    recipient: str | None = None
    recipient_name: str | None = None
    period: str | None = None
    form_no: int | None = None
    synthetic: bool = False  # a reply to a form made on a warehouse with synthetic data (the demo)
    rows_asked: int = 0
    rows_filled: int = 0
    comments: int = 0
    items: int = 0  # schedule items (工程) whose state was reported
    batch_id: int | None = None
    errors: list[dict] = field(default_factory=list)
    observations: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    said: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    item_states: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def error(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in ("file", "status", "message", "recipient", "recipient_name", "period",
                                               "form_no", "rows_asked", "rows_filled", "comments", "items", "batch_id", "errors")}


def _open(data: bytes, name: str):
    import openpyxl  # defusedxml, when installed, makes openpyxl parse untrusted XML safely

    if len(data) > MAX_REPLY_BYTES:
        raise ObservationFileError(f"{name}: ファイルが大きすぎます(上限 {MAX_REPLY_BYTES // 2**20} MB)")
    check_xlsx_archive(data, name)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure is a file the office must send again
        raise ObservationFileError(f"{name}: Excelファイルとして開けません(壊れているか、XLSX形式ではありません)") from None


def read_reply(path: Path, con: duckdb.DuckDBPyConnection, kpis: pd.DataFrame, today: dt.date,
               period: str | None = None, data: bytes | None = None) -> ReplyReport:
    """Check one returned form against the register and the observation rules; nothing is written."""
    data = path.read_bytes() if data is None else data
    report = ReplyReport(file=path.name, sha256=hashlib.sha256(data).hexdigest())
    try:
        wb = _open(data, path.name)
    except ObservationFileError as e:
        report.status, report.message = "unreadable", str(e)
        report.error(str(e))
        return report
    if forms.META_SHEET not in wb.sheetnames or forms.SHEET not in wb.sheetnames:
        report.status = "refused"
        report.message = "照会様式ではありません。事務局が送った様式(「回答」シート)に記入して返送してください。"
        report.error(report.message)
        return report
    meta, keys = forms.read_meta(wb[forms.META_SHEET])
    try:
        kind, code = str(meta["recipient"]).split(":", 1)
        who = forms.Recipient(kind, code, str(meta.get("recipient_name")))
        report.recipient, report.recipient_name, report.period = who.form_key, who.name, str(meta["period"])
    except (KeyError, ValueError, TypeError):
        keys, who = [], None
    if who is None or forms.digest(who, report.period, keys, str(meta.get("made_at"))) != meta.get("digest"):
        report.status = "refused"
        report.message = "様式の管理情報が改変されているため、どの照会への回答か確認できません。送付した様式に記入し直してください。"
        report.error(report.message, forms.META_SHEET)
        return report
    sent = con.execute("select form_no, is_synthetic from core.datacall_forms where digest = ? order by form_no desc",
                       [meta["digest"]]).fetchall()
    if not sent:
        report.status = "refused"
        report.message = "この様式は送付記録にありません(別の環境で作成された様式です)。"
        report.error(report.message, forms.META_SHEET)
        return report
    (report.form_no, report.synthetic), report.rows_asked = sent[0], len(keys)
    if period and report.period != period:
        report.error(f"期間が違います: この様式は {report.period} 分です({period} 分を読み込み中)", forms.SHEET)
    ws = wb[forms.SHEET]
    _check_sheet(ws, keys, meta, report)
    if report.errors:
        report.status, report.message = "refused", f"{len(report.errors)}件の問題があるため、このファイルは読み込みませんでした"
        return report
    _read_rows(ws, keys, kpis, today, report)
    if not report.errors and not report.rows_filled and not report.comments and not report.items:
        report.error("記入された行がありません(今回実績・取組状況などを記入して返送してください)", forms.SHEET)
    report.errors.sort(key=lambda e: e["row"] or 0)  # the form rules and the observation rules, in row order
    report.status = "refused" if report.errors else "checked"
    report.message = (f"{len(report.errors)}件の問題があるため、このファイルは読み込みませんでした" if report.errors
                      else f"{report.recipient_name} の回答: 実績 {report.rows_filled}件、取組状況等 {report.comments}件"
                      + (f"、工程 {report.items}件" if report.items else ""))
    return report


def _check_sheet(ws, keys: list[tuple[str, str]], meta: dict, report: ReplyReport) -> None:
    """The form's shape: protection, headings, the rows as sent (none added, deleted or moved), the
    protected cells unchanged."""
    sheet = forms.SHEET
    if not ws.protection.sheet:
        report.error("シートの保護が解除されています。送付した様式(保護されたまま)に記入してください。", sheet)
    heads = [c.value for c in ws[forms.HEADER_ROW]][:len(forms.COLUMNS)]
    if heads != [h for h, _, _ in forms.COLUMNS]:
        report.error("見出しの行が変更されています(列の追加・削除・移動はできません)。", sheet, forms.HEADER_ROW)
        return
    first_input = next(i for i, (_, _, is_input) in enumerate(forms.COLUMNS) if is_input)
    asked = {k for k, _ in keys}
    rows = [list(r[:len(forms.COLUMNS)]) for r in ws.iter_rows(min_row=forms.HEADER_ROW + 1, values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    for i, cells in enumerate(rows):
        at = forms.HEADER_ROW + 1 + i
        kpi = cells[0]
        if i >= len(keys):
            report.error("行が追加されています(照会した行の下に記入はできません)。", sheet, at, "KPI ID")
        elif kpi != keys[i][0] or not _same_area(cells[4], keys[i][1]):
            reason = "照会していないKPIです" if kpi not in asked else "行が追加・削除・並べ替えされています"
            report.error(f"{reason}(送付時この行は {keys[i][0]} / {_area_text(keys[i][1])})", sheet, at, "KPI ID")
    if len(rows) < len(keys):
        missing = keys[len(rows):]
        report.error(f"行が削除されています(送付時 {len(keys)}行、回答 {len(rows)}行。最後の行は {missing[-1][0]})", sheet)
    if not report.errors and forms.fixed_digest([r[:first_input] for r in rows]) != meta.get("fixed_digest"):
        report.error("保護された列(KPI ID〜前回)の内容が変更されています。", sheet)


def _same_area(shown, area_code: str) -> bool:
    return (str(shown or "").split() or [""])[0] in (area_code, "全国" if area_code == "000000" else area_code)


def _area_text(area_code: str) -> str:
    return "全国" if area_code == "000000" else area_code


def _read_rows(ws, keys: list[tuple[str, str]], kpis: pd.DataFrame, today: dt.date, report: ReplyReport) -> None:
    """The figures through the observation rules (as a sheet of KPI ID / 団体コード / 期間 / 値), and the
    commentary (for the form's period). An area's 実施済 / 未実施 (the form's list for a KPI that counts the
    areas that have done something) is the 1 / 0 the loader expects."""
    from etl.observations.validate import deed_value

    flags = set(kpis.loc[kpis["is_flag"], "kpi_id"]) if "is_flag" in kpis else set()
    heads = [h for h, _, _ in forms.COLUMNS]
    at = {h: heads.index(h) for h in heads}
    figures, said, states = [], [], []
    items = {k for k, _ in keys if ITEM_ID.fullmatch(k)}
    for i, cells in enumerate(ws.iter_rows(min_row=forms.HEADER_ROW + 1, max_row=forms.HEADER_ROW + len(keys),
                                           values_only=True)):
        row = forms.HEADER_ROW + 1 + i
        text = {h: _cell_text(cells[at[h]]).strip() for h in (*INPUT, *commentary.FIELDS)}
        kpi, area = keys[i]
        if kpi in items:  # a schedule item: its state from the form's list, no figure
            state = normalize(text["今回実績"])
            if state and state not in forms.ITEM_STATES:
                report.error(f"工程の実施状況「{text['今回実績']}」は選べません({'・'.join(forms.ITEM_STATES)} から選択)",
                             forms.SHEET, row, "今回実績")
            elif state:
                states.append({"item_id": kpi, "period": report.period, "state": state, "note": text["備考"] or None,
                               "sheet": forms.SHEET, "row_number": row})
        elif text["時点"] and not text["今回実績"]:
            report.error("時点だけが記入されています(今回実績がありません)", forms.SHEET, row, "今回実績")
        elif text["今回実績"]:
            if kpi in flags and (done := deed_value(text["今回実績"]))[2] is None and done[1] is None:
                text["今回実績"] = str(int(done[0]))
            figures.append({"kpi_id": kpi, "area": area, "period": text["時点"], "value": text["今回実績"],
                            "source": text["出典"], "note": text["備考"], "unit": "", "row": row})
        if any(text[h] for h in commentary.FIELDS):
            for head, why in commentary.problems(text):
                report.error(why, forms.SHEET, row, head)
            said.append({"kpi_id": kpi, "area_code": area, "period": report.period, "sheet": forms.SHEET,
                         "row_number": row, **{c: commentary.clean(text[h]) for h, (c, _) in commentary.FIELDS.items()}})
    report.rows_filled, report.comments, report.items = len(figures), len(said), len(states)
    report.said, report.item_states = pd.DataFrame(said), pd.DataFrame(states)
    if not figures:
        return
    columns = {"kpi_id": "KPI ID", "area": "団体", "period": "時点", "value": "今回実績", "source": "出典", "note": "備考",
               "unit": "単位"}
    frame = pd.DataFrame(figures).reindex(columns=[*OBS_COLUMNS, "row"]).fillna("")
    frame["area"] = frame["area"].replace({"000000": ""})  # the national row: 団体コード blank
    v = validate_sheet(Sheet(report.file, forms.SHEET, forms.HEADER_ROW, columns, frame), kpis, today)
    report.errors.extend(v.errors)
    report.observations = v.valid


def collect(paths: list[Path], warehouse: Path | None = None, *, period: str | None = None, dry_run: bool = False,
            user: str | None = None, now: dt.datetime | None = None) -> list[ReplyReport]:
    """Check every reply, then load those without a problem in one atomic write, each as its own batch."""
    from etl.observations.load import KPI_META_SQL, current_user
    from warehouse.db import connect_readonly

    target = settings.warehouse_path(warehouse)
    now = now or store.now_jst()
    con = connect_readonly(target)
    try:
        kpis = con.execute(KPI_META_SQL).df()
        reports = [read_reply(Path(p), con, kpis, now.date(), period) for p in paths]
    finally:
        con.close()
    ready = [r for r in reports if r.status == "checked"]
    if dry_run or not ready:
        return reports
    with store.writer_lock(target), store.swapped(target) as wcon:
        wcon.execute("begin transaction")
        for r in ready:
            if store.skip_if_loaded(wcon, r):
                continue
            before = wcon.execute("select max(batch_id) from core.datacall_replies where form_no = ?", [r.form_no]).fetchone()[0]
            batch = {"file_name": r.file, "sha256": r.sha256, "loaded_at": now, "loaded_by": user or current_user(),
                     "mode": "datacall", "rows_total": r.rows_filled, "rows_valid": len(r.observations),
                     "rows_rejected": 0, "is_synthetic": r.synthetic,
                     "note": f"照会 {r.period} {r.recipient_name}(様式 {r.form_no})" + ("(デモ・合成データ)" if r.synthetic else "")}
            r.batch_id = store.insert_batch(wcon, batch, r.observations, pd.DataFrame())
            store.insert_comments(wcon, r.batch_id, r.said, is_synthetic=r.synthetic)
            store.insert_schedule_reports(wcon, r.batch_id, r.item_states, is_synthetic=r.synthetic)
            wcon.execute("insert into core.datacall_replies values (?, ?, ?, ?, ?)",
                         [r.batch_id, r.form_no, now, r.rows_filled, r.comments])
            r.status = "revised" if before is not None else "loaded"
            r.message = (f"読込番号 {r.batch_id} として読み込みました: 実績 {r.rows_filled}件、取組状況等 {r.comments}件"
                         + (f"、工程 {r.items}件" if r.items else "")
                         + (f"(読込番号 {before} の回答の再提出。新しい値を改訂として記録)" if before is not None else ""))
        wcon.execute("commit")
    return reports


def _in_child(paths: list[str], warehouse: str, **options) -> list[ReplyReport]:
    """Runs in the child: collect, the reports without their frames (only counts and errors cross the pipe)."""
    out = collect([Path(p) for p in paths], Path(warehouse), **options)
    for r in out:
        r.observations, r.said, r.item_states = pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    return out


def collect_isolated(paths: list[Path], user: str, dry_run: bool = False, period: str | None = None,
                     warehouse: Path | None = None) -> list[ReplyReport]:
    """collect() of uploaded replies in a child process under the upload limits (a killed run writes nothing)."""
    from etl import isolation
    from etl.observations.load import CHECK_LIMITS, LOAD_LIMITS

    return isolation.run(_in_child, [str(p) for p in paths], str(settings.warehouse_path(warehouse)), user=user,
                         dry_run=dry_run, period=period, limits=CHECK_LIMITS if dry_run else LOAD_LIMITS)
