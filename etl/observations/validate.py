"""Normalise and validate observation rows, vectorised so that national-scale files stay fast.

Each check yields (row, column, reason) for the rows it rejects; reasons are
Japanese and name the value the user typed. Parsing of codes, periods and odd
values runs once per distinct text, not once per row.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from etl.areas import resolve_area
from etl.observations.read import Sheet
from etl.periods import parse_period
from etl.text import normalize, parse_number

LEVEL_JA = {"national": "全国", "prefecture": "都道府県", "municipality": "市区町村", "ward": "行政区"}
# Which area levels a KPI of a given level accepts: its own level, and the national total.
ALLOWED_LEVELS = {
    "national": {"national"},
    "prefecture": {"prefecture", "national"},
    "municipality": {"municipality", "national"},
}
UNIT_EQUIVALENTS = [
    {"箇所", "か所", "ヶ所", "カ所", "ケ所", "個所"},
    {"団体", "市区町村", "市町村", "自治体"},
    {"件", "件数"},
    {"%", "％", "パーセント"},
]
_VALUE_RE = re.compile(r"^([-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:[万千億](?:\d[\d,]*)?)*)\s*([^\d\s].*)?$")


class ObservationRows(pa.DataFrameModel):
    """The typed rows that passed every check (the contract of a loaded observation)."""

    kpi_id: Series[str] = pa.Field(str_matches=r"^(M\d{2}-[PER]\d+|S\d{2}-K\d+)$")
    area_code: Series[str] = pa.Field(str_matches=r"^\d{6}$")
    area_level: Series[str] = pa.Field(isin=["national", "prefecture", "municipality", "ward"])
    period: Series[str] = pa.Field(str_matches=r"^(FY\d{4}|\d{4}-\d{2})$")
    fiscal_year: Series[int] = pa.Field(ge=1900, le=2100)
    month: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=12)
    value: Series[float] = pa.Field(nullable=False)
    row: Series[int] = pa.Field(ge=1)

    @pa.check("value", name="finite")
    def _finite(cls, s: pd.Series) -> Series[bool]:
        return np.isfinite(s)


@dataclass
class Validated:
    sheet: Sheet
    valid: pd.DataFrame  # typed rows, ready to store
    rejected: pd.DataFrame  # the rows as typed, with their reasons
    errors: list[dict] = field(default_factory=list)  # {"sheet", "row", "column", "message"}

    @property
    def rows_total(self) -> int:
        return len(self.valid) + len(self.rejected)


def _same_unit(a: str, b: str) -> bool:
    a, b = normalize(a), normalize(b)
    return a == b or any(a in g and b in g for g in UNIT_EQUIVALENTS)


def parse_value(raw: str) -> tuple[float | None, str | None, str | None]:
    """(value, unit written with it, error) for '1,234', '１２３', '約3万', '45.6%', '△12', '30件'."""
    text = normalize(raw)
    if not text:
        return None, None, "値が空です"
    text = re.sub(r"^(約|概ね|およそ)", "", text).strip()
    text = re.sub(r"^[△▲−－‐]", "-", text)
    m = _VALUE_RE.match(text)
    if not m:
        return None, None, f"値「{raw}」が数値ではありません"
    try:
        value = parse_number(m.group(1).lstrip("+")) if not m.group(1).startswith("-") else -parse_number(m.group(1)[1:])
    except (ValueError, TypeError, KeyError):
        return None, None, f"値「{raw}」が数値ではありません"
    unit = m.group(2).strip() if m.group(2) else None
    return float(value), unit, None


def _map_unique(series: pd.Series, fn) -> pd.DataFrame:
    """Apply fn to each distinct value once; returns a frame aligned with series."""
    uniques = series.unique()
    table = pd.DataFrame([fn(u) for u in uniques], index=uniques)
    return table.reindex(series.to_numpy()).set_axis(series.index)


def validate_sheet(sheet: Sheet, kpis: pd.DataFrame, today: dt.date) -> Validated:
    """Check every row of one sheet against the KPI definitions and the area master."""
    df = sheet.rows
    n = len(df)
    reasons: list[tuple[np.ndarray, str, pd.Series | str]] = []

    def reject(mask, column: str, message) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            reasons.append((mask, column, message))

    head = sheet.columns
    col = lambda canon, ja: head.get(canon, ja)  # noqa: E731 - the header as the user wrote it

    # KPI id
    kpi_raw = df["kpi_id"]
    kpi = _map_unique(kpi_raw, lambda v: (normalize(v).upper(),))[0]
    meta = kpis.set_index("kpi_id")
    known = kpi.isin(meta.index).to_numpy()
    reject(kpi.eq("").to_numpy(), col("kpi_id", "KPI ID"), "KPI IDが空です")
    reject(~known & kpi.ne("").to_numpy(), col("kpi_id", "KPI ID"), "KPI ID「" + kpi_raw + "」は登録されていません")

    # area
    area = _map_unique(df["area"], resolve_area).set_axis(["area_code", "area_level", "error"], axis=1)
    bad_area = area["error"].notna().to_numpy()
    reject(bad_area, col("area", "団体コード"), area["error"].fillna(""))

    # period
    def _period(v):
        p, err = parse_period(v)
        return (p.key, p.fiscal_year, p.month, p.start, p.end, err) if p else (None, None, None, None, None, err)

    per = _map_unique(df["period"], _period).set_axis(
        ["period", "fiscal_year", "month", "period_start", "period_end", "error"], axis=1)
    bad_period = per["error"].notna().to_numpy()
    reject(bad_period, col("period", "期間"), per["error"].fillna(""))

    # value: the fast path takes plain numbers; only the rest goes through the Japanese parser
    value = pd.to_numeric(df["value"], errors="coerce")
    unit_hint = pd.Series(None, index=df.index, dtype=object)
    slow = value.isna().to_numpy()
    if slow.any():
        parsed = _map_unique(df.loc[slow, "value"], parse_value).set_axis(["value", "unit", "error"], axis=1)
        value = value.copy()
        value[slow] = parsed["value"].astype(float)
        unit_hint[slow] = parsed["unit"]
        err = pd.Series("", index=df.index)
        err[slow] = parsed["error"].fillna("")
        reject(err.ne("").to_numpy(), col("value", "値"), err)
    bad_value = value.isna().to_numpy()
    unit_col = df["unit"].str.strip()
    unit_hint = unit_hint.where(unit_hint.notna(), unit_col.where(unit_col != "", None))

    # checks that need the KPI's definition
    kl = kpi.map(meta["area_level"]).fillna("")
    kunit = kpi.map(meta["unit"])
    fy_min = kpi.map(meta["obs_fy_min"])
    fy_max = kpi.map(meta["obs_fy_max"])
    ok = known & ~bad_area & ~bad_period
    allowed = np.array([lvl in ALLOWED_LEVELS.get(k, ()) for k, lvl in zip(kl, area["area_level"])], dtype=bool)
    mask = ok & ~allowed
    if mask.any():
        msg = ("KPI " + kpi + " の集計単位は" + kl.map(LEVEL_JA).fillna("") + "です。"
               + area["area_level"].map(LEVEL_JA).fillna("") + "の値は入力できません")
        reject(mask, col("area", "団体コード"), msg)
    fy = per["fiscal_year"].astype("Float64")
    out_of_range = ok & ((fy < fy_min) | (fy > fy_max)).fillna(False).to_numpy()
    reject(out_of_range, col("period", "期間"),
           "期間 " + per["period"].fillna("") + " はKPIの対象範囲(" + fy_min.astype("Int64").astype(str) + "〜"
           + fy_max.astype("Int64").astype(str) + "年度)の外です")
    future = ~bad_period & (per["period_start"] > today).fillna(False).to_numpy(dtype=bool)
    reject(future, col("period", "期間"), "期間 " + per["period"].fillna("") + " はまだ始まっていません(未来の期間)")
    is_pct = kunit.eq("%").fillna(False).to_numpy()
    vals = value.to_numpy(dtype=float, na_value=np.nan)
    reject(~bad_value & (vals < 0), col("value", "値"), "負の値は入力できません(件数・割合のKPIです)")
    reject(known & is_pct & ~bad_value & (vals > 100), col("value", "値"), "割合(%)が100を超えています")
    hint = unit_hint.fillna("")
    # A unit is only checked against a KPI that has one.
    unit_bad = known & np.array([bool(h) and isinstance(u, str) and not _same_unit(h, u) for h, u in zip(hint, kunit)], dtype=bool)
    reject(unit_bad, col("unit", "単位") if "unit" in head and df["unit"].str.strip().ne("").any() else col("value", "値"),
           "単位「" + hint + "」がKPIの単位「" + kunit.fillna("(単位なし)") + "」と一致しません")

    # duplicates inside the file (on rows whose key could be read)
    key_ok = known & ~bad_area & ~bad_period
    keys = pd.DataFrame({"k": kpi, "a": area["area_code"], "p": per["period"]})[key_ok]
    dup = keys.duplicated(keep=False)
    if dup.any():
        rows_of = df.loc[dup[dup].index].groupby([keys.loc[dup, "k"], keys.loc[dup, "a"], keys.loc[dup, "p"]])["row"].agg(
            lambda r: "、".join(str(x) for x in r))
        msg = pd.Series("", index=df.index)
        for idx in dup[dup].index:
            msg[idx] = f"同じKPI・団体・期間の行が重複しています(行 {rows_of[(keys.at[idx, 'k'], keys.at[idx, 'a'], keys.at[idx, 'p'])]})"
        mask = np.zeros(n, dtype=bool)
        mask[df.index.get_indexer(dup[dup].index)] = True
        reject(mask, col("kpi_id", "KPI ID"), msg)

    # collect
    bad = np.zeros(n, dtype=bool)
    errors: list[dict] = []
    for mask, column, message in reasons:
        bad |= mask
        idx = np.flatnonzero(mask)
        msgs = message.to_numpy()[idx] if isinstance(message, pd.Series) else [message] * len(idx)
        rows = df["row"].to_numpy()[idx]
        errors.extend({"sheet": sheet.name, "row": int(r), "column": column, "message": str(m)} for r, m in zip(rows, msgs))
    errors.sort(key=lambda e: (e["row"], e["column"]))

    good = ~bad
    valid = pd.DataFrame({
        "kpi_id": kpi[good].astype(str),
        "area_code": area.loc[good, "area_code"].astype(str),
        "area_level": area.loc[good, "area_level"].astype(str),
        "period": per.loc[good, "period"].astype(str),
        "fiscal_year": per.loc[good, "fiscal_year"].astype("int64"),
        "month": per.loc[good, "month"].astype("Int64"),
        "period_end": per.loc[good, "period_end"],
        "value": value[good].astype(float),
        "source": df.loc[good, "source"].str.strip().replace("", None),
        "note": df.loc[good, "note"].str.strip().replace("", None),
        "row": df.loc[good, "row"].astype("int64"),
    }).reset_index(drop=True)
    if len(valid):
        ObservationRows.validate(valid, lazy=True)
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e["row"], []).append(f"{e['column']}: {e['message']}")
    rejected = df.loc[bad, ["row", "kpi_id", "area", "period", "value", "unit", "source", "note"]].copy()
    rejected["reasons"] = rejected["row"].map(lambda r: " / ".join(by_row.get(int(r), [])))
    rejected.insert(0, "sheet", sheet.name)
    return Validated(sheet=sheet, valid=valid, rejected=rejected.reset_index(drop=True), errors=errors)
