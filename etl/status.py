"""Worked examples of the progress-status method, evaluated by the SQL macros the warehouse uses.

The method lives in warehouse/sql/views/status_method.sql. This module runs those
same macros on hand-made cases, for the tests and for the table of worked
examples in docs/methodology.md (`python -m etl.status` rewrites that table, and
a test fails when the document and the code disagree).
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl import settings
from etl.reference import status_tables

METHOD_SQL = settings.WAREHOUSE_SQL_DIR / "sql" / "views" / "status_method.sql"
DOC = settings.ROOT / "docs" / "methodology.md"
BEGIN, END = "<!-- worked-cases:begin -->", "<!-- worked-cases:end -->"

D0, D4, D8 = dt.date(2016, 3, 31), dt.date(2020, 3, 31), dt.date(2024, 3, 31)  # 4 and 8 years of 365.25 days
AS_OF = dt.date(2020, 6, 30)


@dataclass(frozen=True)
class Case:
    label: str
    y0: float | None
    yt: float | None
    target: float | None
    direction: str = "increase"
    t0: dt.date = D0
    t: dt.date = D4
    tt: dt.date | None = D8
    comparator: str = "eq"
    target_kind: str = "absolute"
    timing: str = "fy"
    n: int = 2
    base_missing: bool = False
    as_of: dt.date = AS_OF


CASES = [
    Case("順調: 2倍目標に複利で先行", 100, 150, 200),
    Case("要加速: 伸びが必要ペースの半分強", 100, 120, 200),
    Case("遅れ: わずかな伸び", 100, 105, 200),
    Case("悪化: 目標と逆方向", 100, 90, 200),
    Case("達成: 目標値に到達", 100, 210, 200),
    Case("減少目標: 半減目標に対し2割減", 100, 80, 50, "decrease"),
    Case("減少目標: 到達", 100, 45, 50, "decrease"),
    Case("減少目標: 増加している", 100, 110, 50, "decrease"),
    Case("相対目標: 3割削減(基準1000→目標700)", 1000, 900, 700, "decrease", target_kind="relative"),
    Case("相対目標: 基準年度の実績なし", None, 900, None, "decrease", target_kind="relative", base_missing=True),
    Case("基準値0: 線形の伸びで判定", 0, 300, 800),
    Case("負の値を含む: 線形の伸びで判定", -10, 10, 30),
    Case("1時点のみ", 100, 100, 200, t=D0, n=1),
    Case("データなし", None, None, 200, n=0),
    Case("期限超過・未達成(伸びは続く)", 100, 190, 200, t=D8, as_of=dt.date(2024, 6, 30)),
    Case("期限超過・未達成(減少)", 100, 95, 200, t=D8, as_of=dt.date(2024, 6, 30)),
    Case("目標なし: 年2%の伸び", 100, 108.243216, None, target_kind="none"),
    Case("目標なし: 年1%の伸び", 100, 104.060401, None, target_kind="none"),
    Case("目標なし: 年0.2%の伸び", 100, 100.802401, None, target_kind="none"),
    Case("目標なし: 減少", 100, 96, None, target_kind="none"),
    Case("年間目標(年1回以上): 達成", 0, 1, 1, comparator="at_least", timing="annual", tt=None),
    Case("年間目標(年1回以上): 未達", 1, 0, 1, comparator="at_least", timing="annual", tt=None),
    Case("割合: 40%→70%、目標100%", 40, 70, 100),
    Case("二つの読み方が食い違う", 100, 145, 200),
    Case("約3万: 95%以上で到達", 20000, 28600, 30000, comparator="approx"),
    Case("目標年なし・未達成", 10, 12, 16, tt=None),
]

_SQL = """
select
    label,
    kpi_judgement(n, y0, t0, yt, t, target, tt, d, comparator, target_kind, timing, base_missing, as_of) as status,
    growth_ratio(y0, yt, years_between(t0, t), target, years_between(t0, tt), d) as growth_ratio,
    d * cagr(y0, yt, years_between(t0, t)) as cagr_actual,
    d * cagr(y0, target, years_between(t0, tt)) as cagr_required,
    trend_class(signed_trend(y0, yt, years_between(t0, t), d)) as trend,
    case when target <> y0 then (yt - y0) / (target - y0) end as achievement,
    case when years_between(t0, tt) > 0 then least(greatest(years_between(t0, t) / years_between(t0, tt), 0), 1) end as elapsed,
    linear_class(case when target <> y0 then (yt - y0) / (target - y0) end,
                 case when years_between(t0, tt) > 0 then least(greatest(years_between(t0, t) / years_between(t0, tt), 0), 1) end)
        as linear_status
from cases
"""


def method_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the status macros of the warehouse."""
    con = duckdb.connect(":memory:")
    con.execute(METHOD_SQL.read_text(encoding="utf-8"))
    return con


def evaluate(cases: list[Case], con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Status, growth ratio, CAGRs, trend and the linear reading of each case."""
    con = con or method_connection()
    frame = pd.DataFrame([asdict(c) for c in cases])
    frame["d"] = frame["direction"].map({"increase": 1, "decrease": -1})
    for col in ("y0", "yt", "target"):
        frame[col] = frame[col].astype("float64")
    con.register("cases", frame)
    try:
        out = con.execute(_SQL).df()
    finally:
        con.unregister("cases")
    return frame.drop(columns=["d"]).merge(out, on="label", how="left")


def _fmt(v, pct=False, digits=3) -> str:
    if v is None or pd.isna(v):
        return "—"
    return f"{100 * v:.2f}%" if pct else f"{v:.{digits}f}".rstrip("0").rstrip(".")


def markdown_table(df: pd.DataFrame) -> str:
    labels = dict(zip(status_tables()[0]["code"], status_tables()[0]["label"]))
    trends = dict(zip(status_tables()[1]["code"], status_tables()[1]["label"]))
    lines = [
        "| # | case | y₀ → y_t (years) | target (years) | d | R | CAGR actual / required | status | linear reading |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(df.itertuples(), start=1):
        years = (r.t - r.t0).days / 365.25
        total = (r.tt - r.t0).days / 365.25 if r.tt is not None and not pd.isna(r.tt) else None
        target = "—" if pd.isna(r.target) else f"{_fmt(r.target)} ({_fmt(total, digits=2)})"
        status = labels.get(r.status, r.status)
        if r.status == "no_target" and isinstance(r.trend, str):
            status += f"(傾向: {trends[r.trend]})"
        lines.append(
            f"| {i} | {r.label} | {_fmt(r.y0)} → {_fmt(r.yt)} ({_fmt(years, digits=2)}) | {target} | "
            f"{'+1' if r.direction == 'increase' else '−1'} | {_fmt(r.growth_ratio)} | "
            f"{_fmt(r.cagr_actual, pct=True)} / {_fmt(r.cagr_required, pct=True)} | {status} | "
            f"{labels.get(r.linear_status, '—') if isinstance(r.linear_status, str) else '—'} |"
        )
    return "\n".join(lines)


def write_docs(path: Path = DOC) -> bool:
    """Rewrite the worked-case table in docs/methodology.md; returns whether it changed."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    new = head + BEGIN + "\n" + markdown_table(evaluate(CASES)) + "\n" + END + tail
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":
    changed = write_docs()
    print("docs/methodology.md " + ("updated" if changed else "already up to date"))
    sys.exit(0)
