"""Worked examples of the progress-status method, evaluated by the SQL macros the warehouse uses.

The method lives in warehouse/sql/views/status_method.sql. This module runs those
same macros on hand-made cases, for the tests and for the table of worked
examples in docs/methodology.md (`python -m etl.status` rewrites that table, and
a test fails when the document and the code disagree).
"""
from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl import settings
from etl.build import build
from etl.demo import create_demo
from etl.reference import METHOD_PARAMS, status_methods, status_tables

METHOD_SQL = settings.WAREHOUSE_SQL_DIR / "sql" / "views" / "status_method.sql"
DOC = settings.ROOT / "docs" / "methodology.md"
BEGIN, END = "<!-- worked-cases:begin -->", "<!-- worked-cases:end -->"

D0, D4, D8 = dt.date(2016, 3, 31), dt.date(2020, 3, 31), dt.date(2024, 3, 31)  # 4 and 8 years of 365.25 days
AS_OF = dt.date(2020, 6, 30)
LATE = dt.date(2024, 6, 30)  # within the default grace period after D8
AFTER = dt.date(2025, 3, 31)  # past the default grace period


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
    y_dl: float | None = None  # the first value at or after the deadline
    deed: bool = False  # a dated milestone (「…を実施」), reported 1 = done / 0 = not done
    done: bool = False  # reported done
    method: str | None = None  # threshold set (data/reference/status_methods.yaml); None = the default


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
    Case("期限超過・未達成(伸びは続く)", 100, 190, 200, t=D8, as_of=LATE, y_dl=190),
    Case("期限超過・未達成(減少)", 100, 95, 200, t=D8, as_of=LATE, y_dl=95),
    Case("年間目標(年1回以上): 達成", 0, 1, 1, comparator="at_least", timing="annual", tt=None),
    Case("年間目標(年1回以上): 未達", 1, 0, 1, comparator="at_least", timing="annual", tt=None),
    Case("割合: 40%→70%、目標100%", 40, 70, 100),
    Case("二つの読み方が食い違う", 100, 145, 200),
    Case("約3万: 95%以上で到達", 20000, 28600, 30000, comparator="approx"),
    Case("約 −10(負の目標): 到達", -20, -9.8, -10, comparator="approx"),
    # status v2: deadlines judged on the value at the deadline, with a grace period for late reports
    Case("期限内に達成、その後低下", 100, 190, 200, t=dt.date(2025, 3, 31), as_of=AFTER, y_dl=205, n=9),
    Case("期限後の実績未報告(猶予期間経過)", 100, 180, 200, t=dt.date(2023, 3, 31), as_of=AFTER, n=8),
    Case("期限後・猶予期間内(ペースで判定)", 100, 180, 200, t=dt.date(2023, 3, 31), as_of=LATE, n=8),
    Case("期限後に届いた実績で判定(未達)", 100, 196, 200, t=D8, as_of=AFTER, y_dl=196, n=9),
    Case("期限後に到達(期限時点は未達)", 100, 204, 200, t=dt.date(2025, 3, 31), as_of=AFTER, y_dl=196, n=10),
    # maintain targets (target = base value)
    Case("維持目標: 維持(許容1%以内)", 100, 99.5, 100, n=5),
    Case("維持目標: 低下", 100, 95, 100, n=5),
    # dated milestones (a deed by a date; reports 1 = 実施済, 0 = 未実施)
    Case("マイルストーン: 実施済の報告", 0, 1, None, target_kind="milestone", tt=D4, as_of=AS_OF, deed=True, done=True),
    Case("マイルストーン: 期限前(報告なし)", None, None, None, target_kind="milestone", tt=D8, n=0, deed=True),
    Case("マイルストーン: 期限後も未実施", 0, 0, None, target_kind="milestone", tt=D4, as_of=AFTER, deed=True, n=3,
         y_dl=0),
    Case("マイルストーン: 期限前の未実施の報告のみ", 0, 0, None, target_kind="milestone", tt=D4, as_of=AFTER, deed=True,
         t=dt.date(2019, 3, 31), n=2),
    Case("マイルストーン: 期限後・報告なし", None, None, None, target_kind="milestone", tt=D4, as_of=AFTER, n=0, deed=True),
    # KPIs without a target: a trend reading, never a judgement against a target
    Case("目標なし: 年2%の伸び", 100, 108.243216, None, target_kind="none"),
    Case("目標なし: 年0.2%の伸び(横ばい)", 100, 100.802401, None, target_kind="none"),
    Case("目標なし: 減少", 100, 96, None, target_kind="none"),
    Case("目標なし: 望ましい方向が不明", 10, 14, None, "unknown", target_kind="none"),
    Case("目標年なし・未達成(傾向で表示)", 10, 12, 16, tt=None),
    # threshold sets and the noise band
    Case("経路の周りで揺れる系列: 標準", 100, 99.7, 200),
    Case("経路の周りで揺れる系列: 国連(−0.1 の幅)", 100, 99.7, 200, method="un_progress_chart"),
    Case("R=0.55: 標準では要加速", 100, 123.1, 210),
    Case("R=0.55: Open SDG(0.6)では遅れ", 100, 123.1, 210, method="open_sdg"),
    Case("月次系列・基準は年度末(平成28年度末→令和2年9月)", 100, 140, 200, t0=dt.date(2017, 3, 31),
         t=dt.date(2020, 9, 30), tt=dt.date(2022, 3, 31), as_of=dt.date(2020, 10, 31), n=43),
]

_SQL = """
with judged as (
    select
        c.label, m.p,
        kpi_judgement(c.n, c.y0, c.t0, c.yt, c.t, c.y_dl, c.target, c.tt, c.d, c.comparator, c.target_kind, c.timing,
                      c.base_missing, c.deed, c.done, c.as_of, m.p) as status,
        -- the view's growth rule: a numeric target with a deadline that the base value does not already meet
        c.target_kind in ('absolute', 'relative') and c.timing <> 'annual' and c.tt is not null
            and not c.deed and not is_maintain(c.y0, c.target, c.d, c.comparator, m.p) as is_growth,
        c.y0, c.yt, c.target, c.d, c.as_of, c.tt, c.t0,
        years_between(c.t0, c.t) as years_done, years_between(c.t0, c.tt) as years_total
    from cases c
    join methods m on m.method = c.method_used
)
select
    label, status,
    case when is_growth then growth_ratio(y0, yt, years_done, target, years_total, d) end as growth_ratio,
    d * cagr(y0, yt, years_done) as cagr_actual,
    d * cagr(y0, target, years_total) as cagr_required,
    trend_class(signed_trend(y0, yt, years_done, d)) as trend,
    case when is_growth then (yt - y0) / (target - y0) end as achievement,
    case when years_total > 0 then least(greatest(years_done / years_total, 0), 1) end as elapsed,
    linear_reading(status, is_growth, (yt - y0) / (target - y0),
                   case when years_total > 0 then least(greatest(years_done / years_total, 0), 1) end) as linear_status,
    -- the projection looks ahead to the deadline, for a target not yet reached
    case when projects then projected_value(y0, yt, years_done, years_total, target) end as projected_value,
    case when projects and years_to_target(y0, yt, years_done, target, d) <= 100
         then cast(t0 + to_days(cast(round(years_to_target(y0, yt, years_done, target, d) * 365.25) as integer)) as date)
    end as projected_reach_date
from (select *, is_growth and as_of < tt
                and status in ('on_track', 'acceleration_needed', 'limited', 'deterioration') as projects from judged)
"""


def method_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the status macros of the warehouse and the threshold sets (`methods`)."""
    con = duckdb.connect(":memory:")
    con.execute(METHOD_SQL.read_text(encoding="utf-8"))
    default, methods = status_methods()
    con.register("method_rows", methods)
    params = ", ".join(f"'{k}': {k}" for k in METHOD_PARAMS)
    con.execute(f"create table methods as select method, {{{params}}} as p, method = ? as is_default from method_rows",
                [default])
    con.unregister("method_rows")
    return con


def evaluate(cases: list[Case], con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Status, growth ratio, CAGRs, trend and the linear reading of each case."""
    con = con or method_connection()
    frame = pd.DataFrame([asdict(c) for c in cases])
    frame["d"] = frame["direction"].map({"increase": 1, "decrease": -1}).astype("Int64")
    default = con.execute("select method from methods where is_default").fetchall()[0][0]
    frame["method_used"] = frame["method"].fillna(default)
    for col in ("y0", "yt", "target", "y_dl"):
        frame[col] = frame[col].astype("float64")
    typed = frame.assign(**{c: pd.to_datetime(frame[c]) for c in ("t0", "t", "tt", "as_of")})  # typed when all empty
    con.register("cases", typed)
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
    statuses, trends = status_tables()
    labels = dict(zip(statuses["code"], statuses["label"]))
    trend_labels = dict(zip(trends["code"], trends["label"]))
    lines = [
        "| # | case | y₀ → y_t (years) | target (years) | d | value at deadline | as of | set | R "
        "| CAGR actual / required | status | linear reading | projected at deadline / target reached |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(df.itertuples(), start=1):
        years = (r.t - r.t0).days / 365.25
        total = (r.tt - r.t0).days / 365.25 if r.tt is not None and not pd.isna(r.tt) else None
        target = "—" if pd.isna(r.target) else f"{_fmt(r.target)} ({_fmt(total, digits=2)})"
        if r.target_kind == "milestone":
            target = f"実施 by {r.tt}" if r.tt is not None and not pd.isna(r.tt) else "実施"
        status = labels.get(r.status, r.status)
        if status in ("改善傾向", "横ばい", "悪化傾向") and isinstance(r.trend, str):
            status += f"({trend_labels[r.trend]})"
        d = {"increase": "+1", "decrease": "−1"}.get(r.direction, "?")
        projection = "—"
        if not pd.isna(r.projected_value):
            reach = r.projected_reach_date
            projection = f"{_fmt(r.projected_value)} / " + ("not at this pace" if pd.isna(reach) else f"{pd.Timestamp(reach).date()}")
        lines.append(
            f"| {i} | {r.label} | {_fmt(r.y0)} → {_fmt(r.yt)} ({_fmt(years, digits=2)}) | {target} | {d} | "
            f"{_fmt(r.y_dl)} | {r.as_of} | {r.method if isinstance(r.method, str) else 'default'} | {_fmt(r.growth_ratio)} | "
            f"{_fmt(r.cagr_actual, pct=True)} / {_fmt(r.cagr_required, pct=True)} | {status} | "
            f"{labels.get(r.linear_status, '—') if isinstance(r.linear_status, str) else '—'} | {projection} |"
        )
    return "\n".join(lines)


COVERAGE_BEGIN, COVERAGE_END = "<!-- rule-coverage:begin -->", "<!-- rule-coverage:end -->"
COVERAGE_AS_OF = dt.date(2021, 3, 31)  # the end of the plan period (FY2020)
RULES = {  # status_rule: (KPI kinds it covers, statuses it gives)
    "growth": ("数値目標+期限(絶対値・相対)", "達成 / 期限内達成・その後低下 / 順調 / 要加速 / 遅れ / 未達 / 悪化 / 期限後の実績未報告"),
    "maintain": ("基準時点で満たしている数値目標(維持)", "達成 / 期限内達成・その後低下 / 悪化 / 期限後の実績未報告"),
    "annual": ("毎年の目標(年1回以上など)", "達成 / 遅れ"),
    "no_deadline": ("数値目標・期限なし", "達成、未達なら傾向"),
    "milestone": ("期限つきの実施目標(「…を実施」)", "達成 / 予定どおり / 未達 / 期限後の実績未報告"),
    "trend": ("目標なし(記載なし・未設定・読取不能、数値のない年だけの目標)", "改善傾向 / 横ばい / 悪化傾向 / 方向不明"),
}


def coverage(con: duckdb.DuckDBPyConnection, as_of: dt.date = COVERAGE_AS_OF) -> pd.DataFrame:
    """Per rule: the KPIs (national rows) it judges, and how many have a reading / a judgement as of as_of."""
    return con.execute(
        """select s.status_rule as rule, count(*) as kpis,
                  count(*) filter (where s.status <> 'no_data') as with_reading,
                  count(*) filter (where st.judged) as judged
           from kpi_status_as_of(?, national_only := true) s join statuses st on st.code = s.status
           where s.area_code = '000000' group by all""", [as_of]).df().set_index("rule")


def coverage_table(bundled: pd.DataFrame, demo: pd.DataFrame) -> str:
    lines = ["| rule (`status_rule`) | KPI kinds | statuses | KPIs | with a reading: bundled data | "
             "with a reading: demo | judged against a target: demo |", "|---|---|---|---|---|---|---|"]
    total = [0, 0, 0, 0]
    for rule, (kinds, statuses) in RULES.items():
        b = bundled.reindex([rule]).fillna(0).iloc[0]
        d = demo.reindex([rule]).fillna(0).iloc[0]
        figures = [int(b.kpis), int(b.with_reading), int(d.with_reading), int(d.judged)]
        total = [t + f for t, f in zip(total, figures)]
        lines.append(f"| `{rule}` | {kinds} | {statuses} | " + " | ".join(str(f) for f in figures) + " |")
    lines.append("| **all** | | | " + " | ".join(f"**{t}**" for t in total) + " |")
    return "\n".join(lines)


def _replace(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    return head + begin + "\n" + body + "\n" + end + tail


def write_docs(path: Path = DOC, bundled: Path | None = None, demo: Path | None = None) -> bool:
    """Rewrite the worked-case table and the rule coverage (from the warehouses given, or built and demoed in
    a temporary folder) in docs/methodology.md; returns whether the file changed."""
    text = path.read_text(encoding="utf-8")
    if bundled is None or demo is None:
        with tempfile.TemporaryDirectory() as tmp:
            defs = Path(tmp) / "kpi_defs.yaml"
            shutil.copy(settings.DEFAULT_KPI_DEFS, defs)
            build(warehouse=Path(tmp) / "w.duckdb", defs_path=defs, write_defs=False)
            create_demo(Path(tmp) / "w.duckdb", Path(tmp) / "demo.duckdb")
            return write_docs(path, Path(tmp) / "w.duckdb", Path(tmp) / "demo.duckdb")
    with duckdb.connect(str(bundled), read_only=True) as b, duckdb.connect(str(demo), read_only=True) as d:
        table = coverage_table(coverage(b), coverage(d))
    new = _replace(text, BEGIN, END, markdown_table(evaluate(CASES)))
    new = _replace(new, COVERAGE_BEGIN, COVERAGE_END, table)
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":
    changed = write_docs()
    print("docs/methodology.md " + ("updated" if changed else "already up to date"))
    sys.exit(0)
