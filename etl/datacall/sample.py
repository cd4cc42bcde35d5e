"""Synthetic replies to a data call (デモ（合成データ）), so that the monthly loop can be tried end to end on the
demo warehouse: the request forms of a period are made for every recipient, and some of them come back
filled in as offices fill them (typing into the unlocked cells only; full-width digits, 和暦 時点, commentary
with line breaks), some incomplete, one with mistakes the reader must refuse, and the rest not at all.

Every value, source and comment written here says it is synthetic, and the forms of a warehouse holding
synthetic data are registered as synthetic, so what is collected from them is marked is_synthetic.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pandas as pd

from etl.datacall import forms
from etl.text import period_label

SOURCE = "デモ（合成データ）"
MARK = "【合成データ】"
PROGRESS = ("説明会を開催(全国{n}か所)\n参加団体の要望を整理中", "補助事業の公募を実施し{n}件を採択",
            "ガイドラインを改定\n関係団体に周知", "庁内で推進体制を整備し、先行{n}団体の事例を収集")
NEXT_STEPS = ("未導入団体への個別相談を継続", "来年度予算で支援を拡充", "効果検証の調査を実施予定", "事例集を公表し横展開")
OFFICES = ("情報政策課", "地域情報化推進室", "デジタル推進課", "行政経営課")
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


def type_into(path: Path, rows: dict[int, dict[str, object]], out: Path | None = None) -> Path:
    """Type into the unlocked cells of a form as an office would: rows = {row index under the headings:
    {heading: value}}. A locked cell is never written (openpyxl keeps the sheet's protection)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[forms.SHEET]
    heads = [c.value for c in ws[forms.HEADER_ROW]]
    for i, values in rows.items():
        for head, value in values.items():
            cell = ws.cell(forms.HEADER_ROW + 1 + i, heads.index(head) + 1)
            if cell.protection.locked:
                raise ValueError(f"{path.name}: {head} は入力欄ではありません")
            cell.value = value
    wb.save(out or path)
    return out or path


def _draw(*parts: object) -> int:
    """A stable pseudo-random number from its parts (the same sample for the same forms)."""
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _value(r, period: str, h: int) -> tuple[float, str] | None:
    """This period's figure and its 時点 for one asked row, near its previous figure; None: no figure."""
    year, month = int(period[:4]), int(period[5:])
    if r.area_level != "national":  # adoption by an area (0/1): a few more adopt each month
        return (1.0 if (r.prev_value or 0) >= 1 or h % 100 < 4 else 0.0), period_label(f"{year:04d}-{month:02d}")
    if pd.isna(r.prev_value):
        return None
    if h % 2:  # an annual national figure: only every other office has a revised (確報) value this month
        return None
    fy = year if month >= 4 else year - 1
    last = f"FY{fy - 1}" if month < 10 else f"FY{fy}"
    change = 1 + ((h % 41) - 15) / 1000  # −1.5 % … +2.5 %
    value = r.prev_value * change
    if r.is_deed or (isinstance(r.unit, str) and r.unit in ("%", "割")):
        value = min(round(value, 1), 100.0) if not r.is_deed else r.prev_value
    else:
        value = round(value)
    return value, period_label(last)


def _item_state(r, period: str, h: int) -> str:
    """A schedule item's state as its ministry would report it: mostly as planned, now and then late."""
    fy = int(period[:4]) if int(period[5:]) >= 4 else int(period[:4]) - 1
    if fy > r.end_fy:
        return "遅れ" if h % 5 == 0 else "完了"
    if fy < r.start_fy:
        return "未着手"
    return "遅れ" if h % 6 == 0 else "実施中"


def _answers(r, period: str, full: bool) -> dict[str, object]:
    h = _draw(r.kpi_id, r.area_code, period)
    out: dict[str, object] = {}
    if r.is_item:
        out["今回実績"] = _item_state(r, period, h)
        if out["今回実績"] == "遅れ":
            out["取組状況"] = MARK + "関係機関との調整に時間を要している"
            out["今後の対応"] = MARK + "次年度前半の完了を目指す"
        return out
    if full or h % 5:
        if (v := _value(r, period, h)) is not None:
            value, when = v
            text = f"{value:,.10g}"
            if r.is_flag:  # the form's list for an area's 実施の有無
                typed = "実施済" if value else "未実施"
            else:
                typed = text.translate(FULL_WIDTH) if h % 3 == 0 else value
            out.update({"今回実績": typed, "時点": when, "出典": SOURCE})
    if r.area_level == "national" or h % 10 == 0 or "今回実績" not in out:  # areas write commentary seldom
        out["取組状況"] = MARK + PROGRESS[h % len(PROGRESS)].format(n=3 + h % 20)
        out["今後の対応"] = MARK + NEXT_STEPS[(h // 7) % len(NEXT_STEPS)]
        out["担当課室"] = OFFICES[(h // 11) % len(OFFICES)] + "(合成)"
        out["担当者"] = "合成 太郎"
    return out


def fill_replies(made: list[forms.MadeForm], out_dir: Path, period: str, prefectures: int = 3) -> dict[str, list[Path]]:
    """Fill some of the forms made for a period (in out_dir): every ministry's but the last two (one left
    partly empty, one not returned), `prefectures` prefectures', and one reply with mistakes (a figure
    written as text, a 時点 without its figure) that the reader must refuse.
    Returns the paths by kind: 'complete', 'partial', 'faulty'."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ministries = [m for m in made if m.recipient.kind == "ministry"]
    prefs = [m for m in made if m.recipient.kind == "prefecture"][:prefectures + 1]
    plan = [(m, "complete") for m in ministries[:-2]] + [(m, "partial") for m in ministries[-2:-1]]
    plan += [(m, "complete") for m in prefs[:-1]] + [(m, "faulty") for m in prefs[-1:]]
    written: dict[str, list[Path]] = {"complete": [], "partial": [], "faulty": []}
    for m, kind in plan:
        answers = {i: _answers(r, period, kind != "partial") for i, r in enumerate(m.asked.itertuples(index=False))}
        answers = {i: a for i, a in answers.items() if a}
        if kind == "partial":
            answers = dict(list(answers.items())[: max(1, len(answers) // 2)])
        if kind == "faulty":
            first, second = sorted(i for i, a in answers.items() if "今回実績" in a)[:2]
            answers[first] = {**answers[first], "今回実績": "集計中"}
            answers[second] = {k: v for k, v in answers[second].items() if k != "今回実績"}
        path = out_dir / m.path.name.replace(".xlsx", "_回答_合成.xlsx")
        written[kind].append(type_into(m.path, answers, path))
    return written


def make_sample(period: str, out_dir: Path, warehouse: Path | None = None, prefectures: int = 3,
                now: dt.datetime | None = None) -> tuple[list[forms.MadeForm], dict[str, list[Path]]]:
    """Make (and register) the forms of a period for every recipient in out_dir/様式, and fill some of them
    in out_dir/回答_合成. Only on a warehouse holding synthetic data (the demo): a sample reply must never
    reach a real warehouse."""
    from etl import settings
    from warehouse.db import connect_readonly

    target = settings.warehouse_path(warehouse)
    con = connect_readonly(target)
    try:
        synthetic = con.execute("select count(*) > 0 from core.obs_batches where is_synthetic").fetchone()[0]
    finally:
        con.close()
    if not synthetic:
        raise forms.DataCallError(f"{target}: 合成データのないデータウェアハウスです。回答の見本はデモ"
                                  "(`shinchoku demo` で作るファイル)にだけ作れます")
    # on the demo's own timeline: sent the morning after the month ends, due 15 days after it, so that
    # the offices that have not replied by today show as 期限超過
    _, last_day = forms.parse_period(period)
    now = now or dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(9, 0))
    made = forms.make_forms(period, out_dir / "様式", warehouse=target, everyone=True, user="shinchoku sample",
                            deadline=last_day + dt.timedelta(days=15), now=now)
    return made, fill_replies(made, out_dir / "回答_合成", period, prefectures)
