"""Commentary (取組状況 / 今後の対応 / 担当課室 / 担当者) beside a KPI's figures: the rules it must meet, whether
it comes in a returned request form or is typed on the measure page, and the page's write (one batch per
entry, recorded like a reply: who, when, a hash of what was written).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from pathlib import Path

import pandas as pd

from etl.errors import ShinchokuError
from etl.periods import parse_period

# heading → column of core.kpi_comments, and the longest text kept (a form cell holds 32,767 characters,
# but a 取組状況 is a paragraph for a meeting paper, not a report)
FIELDS = {"取組状況": ("progress", 1000), "今後の対応": ("next_steps", 1000), "担当課室": ("office", 100),
          "担当者": ("person", 50)}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # a line break and a tab are text; the rest are not


class CommentError(ShinchokuError):
    """Commentary that cannot be kept as it is (the reasons are in Japanese, one per field)."""


def clean(value: object) -> str | None:
    """A field as it will be kept: NFC, line breaks as \\n, surrounding spaces removed; None when empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def problems(values: dict[str, object]) -> list[tuple[str, str]]:
    """(heading, reason) for each field of one row of commentary that breaks a rule."""
    out = []
    for head, (_, longest) in FIELDS.items():
        text = clean(values.get(head))
        if text is None:
            continue
        if _CONTROL.search(text):
            out.append((head, "制御文字が含まれています(改行とタブ以外は使えません)"))
        if len(text) > longest:
            out.append((head, f"{len(text):,}文字あります(上限 {longest:,}文字)"))
    return out


def enter(kpi_id: str, period: str, values: dict[str, object], user: str, warehouse: Path | None = None,
          now: dt.datetime | None = None, allowed_ministries: list[str] | None = None) -> int:
    """Keep one row of commentary typed on the measure page, as a batch of its own; returns the batch id.

    allowed_ministries: the ministries the user answers for (None: any measure, the secretariat); the
    KPI's measure must be led by one of them. Raises CommentError with every reason; nothing is written."""
    from etl import settings
    from etl.observations import store
    from warehouse.db import connect_readonly

    target = settings.warehouse_path(warehouse)
    now = now or store.now_jst()
    reasons = [f"{head}: {why}" for head, why in problems(values)]
    if not any(clean(values.get(h)) for h in FIELDS if h in ("取組状況", "今後の対応")):
        reasons.append("取組状況か今後の対応を記入してください")
    found, why = parse_period(period)
    if found is None:
        reasons.append(f"期間: {why}")
    elif found.end > now.date() + dt.timedelta(days=31):
        reasons.append(f"期間: {period} はまだ来ていません")
    con = connect_readonly(target)
    try:
        row = con.execute("select k.measure_no, m.lead_ministries from kpis k join measures m using (measure_no) "
                          "where k.kpi_id = ?", [kpi_id]).fetchone()
    finally:
        con.close()
    if row is None:
        reasons.append(f"KPI {kpi_id} はありません")
    elif allowed_ministries is not None and not set(row[1]) & set(allowed_ministries):
        reasons.append(f"施策 {row[0]} の主担当({'、'.join(row[1])})ではないため記入できません")
    if reasons:
        raise CommentError("\n".join(reasons))
    said = {column: clean(values.get(head)) for head, (column, _) in FIELDS.items()}
    frame = pd.DataFrame([{"kpi_id": kpi_id, "area_code": "000000", "period": found.key, "sheet": None,
                           "row_number": None, **said}])
    content = json.dumps({"kpi": kpi_id, "period": found.key, **said, "by": user, "at": now.isoformat()},
                         ensure_ascii=False, sort_keys=True)
    batch = {"file_name": f"画面入力 {kpi_id}", "sha256": hashlib.sha256(content.encode()).hexdigest(),
             "loaded_at": now, "loaded_by": user, "mode": "comment", "rows_total": 0, "rows_valid": 0,
             "rows_rejected": 0, "note": f"施策詳細で入力 {kpi_id} {found.key}"}
    with store.writer_lock(target), store.swapped(target) as wcon:
        wcon.execute("begin transaction")
        batch_id = store.insert_batch(wcon, batch, pd.DataFrame(), pd.DataFrame())
        store.insert_comments(wcon, batch_id, frame)
        wcon.execute("commit")
    return batch_id
