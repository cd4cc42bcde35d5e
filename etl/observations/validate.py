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
from etl.text import era_to_year, normalize, parse_number

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


class ObservationKeys(pa.DataFrameModel):
    """The distinct key parts of the rows that passed (checked once per distinct value, not per row)."""

    kpi_id: Series[str] = pa.Field(nullable=True, str_matches=r"^(M\d{2}-[PER]\d+|S\d{2}-K\d+)$")
    area_code: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{6}$")
    area_level: Series[str] = pa.Field(nullable=True, isin=["national", "prefecture", "municipality", "ward"])
    period: Series[str] = pa.Field(nullable=True, str_matches=r"^(FY\d{4}|\d{4}-\d{2})$")


class ObservationRows(pa.DataFrameModel):
    """The typed rows that passed every check (the contract of a loaded observation)."""

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


DONE_WORDS = {"1", "実施済", "実施済み", "済", "済み", "完了", "実施", "達成", "策定済", "策定済み", "○", "〇", "はい"}
NOT_DONE_WORDS = {"0", "未実施", "未", "未了", "未完了", "未着手", "×", "いいえ"}
_DATE = re.compile(r"^(?:(令和|平成|R|H)(元|\d{1,2})[年.]|(\d{4})[-/年.])(\d{1,2})[-/月.](\d{1,2})日?$")


def deed_value(raw: str) -> tuple[float | None, dt.date | None, str | None]:
    """(1.0 done / 0.0 not done, the day it was done, error) for a dated milestone's report:
    1 / 実施済 / 完了 / ○ / a date (2020-02-15, 2020/2/15, 令和2年2月15日, R2.2.15) → done; 0 / 未実施 / × → not done."""
    text = normalize(raw).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number in (0.0, 1.0):
        return number, None, None
    if text in DONE_WORDS:
        return 1.0, None, None
    if text in NOT_DONE_WORDS:
        return 0.0, None, None
    if m := _DATE.match(text):
        era, era_year, western, month, day = m.groups()
        year = int(western) if western else era_to_year({"R": "令和", "H": "平成"}.get(era, era), era_year)
        try:
            return 1.0, dt.date(year, int(month), int(day)), None
        except ValueError:
            return None, None, f"実施日「{raw}」は存在しない日付です"
    return None, None, (f"値「{raw}」: このKPIは実施の有無を報告する実施目標です。"
                        "実施済なら 1(「実施済」または実施日)、未実施なら 0(「未実施」)を入力してください")


def _per_unique(series: pd.Series, fn, names: tuple[str, ...]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Apply fn once per distinct value: (codes of each row, {name: result per distinct value})."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    results = [fn(u) for u in uniques]
    columns = list(zip(*results)) if results else [() for _ in names]
    return codes, {name: np.array(col, dtype=object) for name, col in zip(names, columns)}


def _numbers(s: pd.Series) -> np.ndarray:
    """Floats of a text column, NaN where the text is not a plain number (Arrow's cast first: fast)."""
    try:
        return s.astype("float64").to_numpy(dtype=float, na_value=np.nan).copy()
    except (ValueError, TypeError, ArithmeticError, Exception):  # noqa: BLE001 - pyarrow raises its own errors
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan).copy()


def _blank_to_none(s: pd.Series, rows: np.ndarray) -> pd.Categorical:
    """Stripped text of the chosen rows as a categorical, missing for empty cells (work per distinct value)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    cleaned = np.array([(u.strip() or None) if isinstance(u, str) else None for u in uniques], dtype=object)
    return _categorical(cleaned, codes[rows])


def _categorical(values: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """A categorical column from per-distinct-value results (which may repeat or be None) and row codes."""
    ids, categories = pd.factorize(pd.Series(values, dtype=object))  # None → -1, i.e. missing
    return pd.Categorical.from_codes(ids[codes], categories=pd.Index(categories, dtype=object))


def _ids(values: np.ndarray) -> np.ndarray:
    """Integer ids of (already normalised) values, equal values sharing an id; None gets -1."""
    ids, _ = pd.factorize(pd.Series(values, dtype=object))
    return ids


def validate_sheet(sheet: Sheet, kpis: pd.DataFrame, today: dt.date) -> Validated:
    """Check every row of one sheet against the KPI definitions and the area master."""
    df = sheet.rows
    n = len(df)
    reasons: list[tuple[np.ndarray, str, object, np.ndarray | None, object]] = []

    def reject(mask: np.ndarray, column: str, message, listed: np.ndarray | None = None, quiet=None) -> None:
        """message: a str, or a function of the rejected rows' positions returning one str per row.

        listed: the rows that appear in the error list (default: every rejected row); the others are
        quarantined with quiet(positions) as their reason, so that one group of duplicates is one error.
        """
        if mask.any():
            reasons.append((mask, column, message, listed, quiet))

    head = sheet.columns
    col = lambda canon, ja: head.get(canon, ja)  # noqa: E731 - the header as the user wrote it

    # KPI id: one lookup per distinct text
    meta = kpis.set_index("kpi_id")

    def _kpi(v):
        k = normalize(v).upper()
        if k in meta.index:
            m = meta.loc[k]
            return (k, True, m["area_level"], m["unit"] if isinstance(m["unit"], str) else None, m["obs_fy_min"],
                    m["obs_fy_max"], bool(m.get("is_deed", False)))
        return k, False, None, None, np.nan, np.nan, False

    kc, ku = _per_unique(df["kpi_id"], _kpi, ("id", "known", "level", "unit", "fy_min", "fy_max", "deed"))
    known = ku["known"].astype(bool)[kc]
    empty_kpi = (ku["id"] == "")[kc]
    reject(empty_kpi, col("kpi_id", "KPI ID"), "KPI IDが空です")
    reject(~known & ~empty_kpi, col("kpi_id", "KPI ID"),
           lambda i: [f"KPI ID「{v}」は登録されていません" for v in df["kpi_id"].iloc[i]])

    # area
    ac, au = _per_unique(df["area"], resolve_area, ("code", "level", "error"))
    bad_area = np.array([e is not None for e in au["error"]], dtype=bool)[ac]
    reject(bad_area, col("area", "団体コード"), lambda i: list(au["error"][ac[i]]))

    # period
    def _period(v):
        p, err = parse_period(v)
        if p is None:
            return None, np.nan, np.nan, None, None, err
        return p.key, p.fiscal_year, p.month or np.nan, p.start, np.datetime64(p.end, "D"), None

    pc, pu = _per_unique(df["period"], _period, ("key", "fy", "month", "start", "end", "error"))
    bad_period = np.array([e is not None for e in pu["error"]], dtype=bool)[pc]
    reject(bad_period, col("period", "期間"), lambda i: list(pu["error"][pc[i]]))
    period_of = lambda j: pu["key"][pc[j]]  # noqa: E731

    # value: the fast path takes plain numbers; only the rest goes through the Japanese parser. A dated
    # milestone (「…を実施」) is reported done (1) or not (0), in words or as the date it was done.
    value = _numbers(df["value"])
    deed = ku["deed"].astype(bool)[kc]
    if deed.any():
        rows = np.flatnonzero(deed)
        dc, du = _per_unique(df["value"].iloc[rows], deed_value, ("value", "date", "error"))
        value[rows] = du["value"][dc].astype(float)
        mask = np.zeros(n, dtype=bool)
        mask[rows[np.array([e is not None for e in du["error"]], dtype=bool)[dc]]] = True
        reject(mask, col("value", "値"), lambda i: list(du["error"][dc[np.searchsorted(rows, i)]]))
        dated = [(j, d) for j, d in zip(rows, du["date"][dc]) if d]
        late = np.zeros(n, dtype=bool)
        for j, d in dated:
            end = pu["end"][pc[j]]
            late[j] = end is not None and np.datetime64(d, "D") > end
        reject(late, col("value", "値"), lambda i: [
            f"実施日「{df['value'].iat[j]}」が期間 {period_of(j)} の後です。実施した日を含む期間(年度または月)で報告してください"
            for j in i])
        if dated:  # the day of the deed is kept in the note, as written, not lost
            df = df.copy()
            for j, _ in dated:
                note, day = df["note"].iat[j], f"実施日 {normalize(df['value'].iat[j]).strip()}"
                df.iat[j, df.columns.get_loc("note")] = f"{note} / {day}" if isinstance(note, str) and note.strip() else day
    # 'inf', '1e309', '-Infinity': numbers to a float parser, never a figure anyone reported
    infinite = np.isinf(value)
    value[infinite] = np.nan
    reject(infinite, col("value", "値"), lambda i: [f"値「{v}」は有限の数値ではありません" for v in df["value"].iloc[i]])
    hints: dict[int, str] = {}  # row position → unit written with the value or in the 単位 column
    slow = np.flatnonzero(np.isnan(value) & ~infinite & ~deed)
    if len(slow):
        sc, su = _per_unique(df["value"].iloc[slow], parse_value, ("value", "unit", "error"))
        value[slow] = su["value"][sc].astype(float)
        hints.update((int(j), u) for j, u in zip(slow, su["unit"][sc]) if u)
        err_rows = np.array([e is not None for e in su["error"]], dtype=bool)[sc]
        mask = np.zeros(n, dtype=bool)
        mask[slow[err_rows]] = True
        reject(mask, col("value", "値"), lambda i: list(su["error"][sc[np.searchsorted(slow, i)]]))
    bad_value = np.isnan(value)
    typed_units = df["unit"].str.strip()
    has_unit_column = bool(typed_units.ne("").any())
    if has_unit_column:
        for j in np.flatnonzero(typed_units.ne("").to_numpy()):
            hints.setdefault(int(j), typed_units.iat[j])

    # checks that need the KPI's definition: per (distinct KPI × distinct area level), not per row
    ok = known & ~bad_area & ~bad_period
    levels = ["national", "prefecture", "municipality", "ward"]
    level_u = np.array([levels.index(lv) if lv in levels else 0 for lv in au["level"]], dtype=np.int64)
    allowed_table = np.array([[lv in ALLOWED_LEVELS.get(kl, ()) for lv in levels] for kl in ku["level"]], dtype=bool)
    allowed = allowed_table[kc, level_u[ac]] if len(ku["level"]) else np.zeros(n, bool)
    reject(ok & ~allowed, col("area", "団体コード"), lambda i: [
        f"KPI {ku['id'][kc[j]]} の集計単位は{LEVEL_JA.get(ku['level'][kc[j]], '')}です。"
        f"{LEVEL_JA.get(au['level'][ac[j]], '')}の値は入力できません" for j in i])
    fy = pu["fy"].astype(float)[pc]
    fy_min, fy_max = ku["fy_min"].astype(float)[kc], ku["fy_max"].astype(float)[kc]
    with np.errstate(invalid="ignore"):
        out_of_range = ok & ((fy < fy_min) | (fy > fy_max))
    reject(out_of_range, col("period", "期間"), lambda i: [
        f"期間 {period_of(j)} はKPIの対象範囲({int(fy_min[j])}〜{int(fy_max[j])}年度)の外です" for j in i])
    future_u = np.array([s is not None and s > today for s in pu["start"]], dtype=bool)
    reject(future_u[pc], col("period", "期間"), lambda i: [f"期間 {period_of(j)} はまだ始まっていません(未来の期間)" for j in i])
    is_pct = np.array([u == "%" for u in ku["unit"]], dtype=bool)[kc]
    with np.errstate(invalid="ignore"):
        reject(~bad_value & (value < 0), col("value", "値"), "負の値は入力できません(件数・割合のKPIです)")
        reject(known & is_pct & ~bad_value & (value > 100), col("value", "値"), "割合(%)が100を超えています")
    # A unit is only checked against a KPI that has one.
    unit_bad = np.zeros(n, dtype=bool)
    for j, h in hints.items():
        unit = ku["unit"][kc[j]]
        unit_bad[j] = bool(known[j] and isinstance(unit, str) and not _same_unit(h, unit))
    reject(unit_bad, col("unit", "単位") if has_unit_column else col("value", "値"),
           lambda i: [f"単位「{hints[int(j)]}」がKPIの単位「{ku['unit'][kc[j]]}」と一致しません" for j in i])

    row_numbers = df["row"].to_numpy()

    # duplicates inside the file, on the normalised key of rows whose key could be read
    kid, aid, pid = _ids(ku["id"]), _ids(au["code"]), _ids(pu["key"])
    n_a, n_p = aid.max(initial=0) + 1, pid.max(initial=0) + 1  # mixed radix: distinct keys never collide
    key = (kid[kc].astype(np.int64) * n_a + aid[ac]) * n_p + pid[pc]
    key[~ok] = -1
    counts = np.bincount(key[ok]) if ok.any() else np.zeros(1, dtype=np.int64)
    dup = ok & (counts[np.maximum(key, 0)] > 1)
    if dup.any():
        # one error per group of identical keys, naming its size and first rows: linear in the file
        positions = np.flatnonzero(dup)
        order = positions[np.argsort(key[positions], kind="stable")]
        groups, starts = np.unique(key[order], return_index=True)
        first_of = dict(zip(groups.tolist(), order[starts].tolist()))
        size = np.diff(np.append(starts, len(order)))
        shown = {g: "、".join(str(r) for r in row_numbers[order[st:st + min(sz, 5)]])
                 for g, st, sz in zip(groups.tolist(), starts, size)}
        listed = np.zeros(n, dtype=bool)
        listed[order[starts]] = True
        reject(dup, col("kpi_id", "KPI ID"), lambda i: [
            f"同じKPI・団体・期間の行が{counts[key[j]]:,}行あります(行 {shown[key[j]]}{' ほか' if counts[key[j]] > 5 else ''})"
            for j in i], listed=listed,
            quiet=lambda i: [f"行 {row_numbers[first_of[key[j]]]} と同じKPI・団体・期間です(重複)" for j in i])

    # collect
    bad = np.zeros(n, dtype=bool)
    errors: list[dict] = []
    quiet_reasons: dict[int, list[str]] = {}  # rejected rows not in the error list (duplicates after the first)
    for mask, column, message, listed, quiet in reasons:
        bad |= mask
        idx = np.flatnonzero(mask if listed is None else listed)
        msgs = message(idx) if callable(message) else [message] * len(idx)
        errors.extend({"sheet": sheet.name, "row": int(r), "column": column, "message": str(m)}
                      for r, m in zip(row_numbers[idx], msgs))
        if listed is not None:
            rest = np.flatnonzero(mask & ~listed)
            for r, m in zip(row_numbers[rest], quiet(rest)):
                quiet_reasons.setdefault(int(r), []).append(f"{column}: {m}")
    errors.sort(key=lambda e: (e["row"], e["column"]))

    good = ~bad
    # categorical columns built from the small per-distinct-value arrays: no per-row string work
    valid = pd.DataFrame({
        "kpi_id": _categorical(ku["id"], kc[good]),
        "area_code": _categorical(au["code"], ac[good]),
        "area_level": _categorical(au["level"], ac[good]),
        "period": _categorical(pu["key"], pc[good]),
        "fiscal_year": fy[good].astype("int64"),
        "month": pd.array(pu["month"].astype(float)[pc[good]], dtype="Int64"),
        "period_end": pu["end"].astype("datetime64[D]")[pc[good]],
        "value": value[good],
        "source": _blank_to_none(df["source"], good),
        "note": _blank_to_none(df["note"], good),
        "row": row_numbers[good].astype("int64"),
    })
    if len(valid):
        used = lambda codes, values: pd.Series(  # noqa: E731
            values[np.flatnonzero(np.bincount(codes[good], minlength=len(values)))], dtype=object)
        ObservationKeys.validate(pd.DataFrame({
            "kpi_id": used(kc, ku["id"]), "area_code": used(ac, au["code"]), "area_level": used(ac, au["level"]),
            "period": used(pc, pu["key"])}), lazy=True)
        ObservationRows.validate(valid[["fiscal_year", "month", "value", "row"]], lazy=True)
    by_row: dict[int, list[str]] = quiet_reasons
    for e in errors:
        by_row.setdefault(e["row"], []).append(f"{e['column']}: {e['message']}")
    rejected = df.loc[bad, ["row", "kpi_id", "area", "period", "value", "unit", "source", "note"]].copy()
    rejected["reasons"] = rejected["row"].map(lambda r: " / ".join(by_row.get(int(r), [])))
    rejected.insert(0, "sheet", sheet.name)
    return Validated(sheet=sheet, valid=valid, rejected=rejected.reset_index(drop=True), errors=errors)
