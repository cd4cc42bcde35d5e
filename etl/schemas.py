"""pandera models of every warehouse table; ``validate`` runs them and names table, column, row and check."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from etl.errors import ShinchokuError

NATIONAL_NO = r"^\d{2}-\d{2}$"
KPI_ID = r"^(M\d{2}-[PER]\d+|S\d{2}-K\d+)$"
FY = {"ge": 1990, "le": 2100}


def _list_of_str(s: pd.Series) -> pd.Series:
    return s.map(lambda v: isinstance(v, list) and all(isinstance(x, str) and x for x in v))


class Ministries(pa.DataFrameModel):
    name: Series[str] = pa.Field(unique=True, str_length={"min_value": 2})
    kind: Series[str] = pa.Field(isin=["cabinet", "ministry", "agency", "commission", "group", "unknown"])
    is_group: Series[bool]
    is_known: Series[bool]
    sort_order: Series[int]
    aliases: Series[object] = pa.Field()

    class Config:
        strict = True

    @pa.check('aliases', name="list of non-empty strings")
    def _lists(cls, s: pd.Series) -> Series[bool]:
        return _list_of_str(s)


class Pillars(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^P\d$")
    name: Series[str] = pa.Field(unique=True)
    short_name: Series[str]
    sort_order: Series[int]
    aliases: Series[object] = pa.Field()

    class Config:
        strict = True

    @pa.check('aliases', name="list of non-empty strings")
    def _lists(cls, s: pd.Series) -> Series[bool]:
        return _list_of_str(s)


class Measures(pa.DataFrameModel):
    measure_no: Series[int] = pa.Field(ge=1, unique=True)
    national_measure_no: Series[str] = pa.Field(nullable=True, str_matches=NATIONAL_NO)
    title: Series[str] = pa.Field(str_length={"min_value": 2})
    kpi_progress_text: Series[str] = pa.Field(nullable=True)
    kpi_effect_text: Series[str] = pa.Field(nullable=True)
    overview: Series[str] = pa.Field(nullable=True)
    overview_items: Series[object] = pa.Field()
    pillar: Series[str] = pa.Field(nullable=True)
    pillar_source_text: Series[str] = pa.Field(nullable=True)
    plan_listing: Series[str] = pa.Field(nullable=True)
    plan_start_fy: Series[float] = pa.Field(nullable=True, **FY)
    effect_efficiency: Series[bool]
    effect_economy: Series[bool]
    effect_convenience: Series[bool]
    effect_safety: Series[bool]
    effect_flags_confidence: Series[str] = pa.Field(isin=["aligned", "shifted", "ambiguous"])
    effect_flags_cells: Series[str] = pa.Field(str_matches=r"^[○-]*$")
    support: Series[str] = pa.Field(nullable=True)
    support_items: Series[object] = pa.Field()
    budget_program: Series[str] = pa.Field(nullable=True)
    budget_items: Series[object] = pa.Field()
    reference_text: Series[str] = pa.Field(nullable=True)
    reference_url: Series[str] = pa.Field(nullable=True, str_matches=r"^https?://")
    reference_urls: Series[object] = pa.Field()
    ministries_text: Series[str]
    ministries: Series[object] = pa.Field()
    lead_ministries: Series[object] = pa.Field()
    ministry_groups: Series[object] = pa.Field()
    lead_basis: Series[str] = pa.Field(isin=["marked", "sole", "first_listed"])
    source_file: Series[str]
    source_line: Series[int] = pa.Field(ge=1)
    source_page: Series[int] = pa.Field(ge=0)
    quality_flags: Series[object] = pa.Field()

    class Config:
        strict = True

    @pa.check('overview_items', 'support_items', 'budget_items', 'reference_urls', 'ministries', 'lead_ministries', 'ministry_groups', 'quality_flags', name="list of non-empty strings")
    def _lists(cls, s: pd.Series) -> Series[bool]:
        return _list_of_str(s)

    @pa.check("ministries", "lead_ministries", name="at least one ministry")
    def _non_empty(cls, s: pd.Series) -> Series[bool]:
        return s.map(len) > 0

    @pa.dataframe_check(name="leads are among the ministries")
    def leads_listed(cls, df: pd.DataFrame) -> Series[bool]:
        return pd.Series([set(l) <= set(m) for l, m in zip(df.lead_ministries, df.ministries)], index=df.index)


class Kpis(pa.DataFrameModel):
    kpi_id: Series[str] = pa.Field(unique=True, str_matches=KPI_ID)
    measure_no: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    section_no: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    kind: Series[str] = pa.Field(nullable=True, isin=["progress", "effect", "reference"])
    ord: Series[int] = pa.Field(ge=1)
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_group: Series[str] = pa.Field(nullable=True)
    source_text: Series[str]
    cell_text: Series[str] = pa.Field(nullable=True)
    target_text: Series[str] = pa.Field(nullable=True)
    target_kind: Series[str] = pa.Field(isin=["absolute", "relative", "milestone", "unset", "none", "unparsed"])
    target_value: Series[float] = pa.Field(nullable=True, ge=0)
    unit: Series[str] = pa.Field(nullable=True)
    comparator: Series[str] = pa.Field(nullable=True, isin=["eq", "at_least", "at_most", "approx"])
    target_fy: Series[pd.Int64Dtype] = pa.Field(nullable=True, **FY)
    target_timing: Series[str] = pa.Field(nullable=True)
    target_month: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=12)
    target_date: Series[object] = pa.Field(nullable=True)
    base_fy: Series[pd.Int64Dtype] = pa.Field(nullable=True, **FY)
    base_value: Series[float] = pa.Field(nullable=True)
    target_factor: Series[float] = pa.Field(nullable=True, gt=0)
    direction: Series[str] = pa.Field(isin=["increase", "decrease", "unknown"])
    area_level: Series[str] = pa.Field(isin=["national", "prefecture", "municipality"])
    aggregation: Series[str] = pa.Field(isin=["sum", "count", "mean", "population_weighted", "none"])
    obs_fy_min: Series[pd.Int64Dtype] = pa.Field(**FY)
    obs_fy_max: Series[pd.Int64Dtype] = pa.Field(**FY)
    has_target: Series[bool]
    is_override: Series[bool]
    notes: Series[object] = pa.Field()

    class Config:
        strict = True

    @pa.check('notes', name="list of non-empty strings")
    def _lists(cls, s: pd.Series) -> Series[bool]:
        return _list_of_str(s)

    @pa.dataframe_check(name="absolute target has a value")
    def absolute_has_value(cls, df: pd.DataFrame) -> Series[bool]:
        return (df.target_kind != "absolute") | df.target_value.notna()

    @pa.dataframe_check(name="relative target has base year and factor")
    def relative_has_base(cls, df: pd.DataFrame) -> Series[bool]:
        return (df.target_kind != "relative") | (df.target_factor.notna())

    @pa.dataframe_check(name="no target means no target value")
    def unset_has_no_value(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.target_kind.isin(["unset", "none", "milestone", "unparsed"]) | df.target_value.isna()

    @pa.dataframe_check(name="a numeric target has a wanted direction (increase or decrease)")
    def target_has_direction(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.target_kind.isin(["absolute", "relative"]) | (df.direction != "unknown")

    @pa.dataframe_check(name="measure KPI or schedule KPI")
    def one_parent(cls, df: pd.DataFrame) -> Series[bool]:
        return df.measure_no.notna() ^ df.section_no.notna()


class _MethodParams(pa.DataFrameModel):
    on_track: Series[float] = pa.Field(ge=0)
    acceleration_needed: Series[float]
    deterioration_below: Series[float]
    trend_improving: Series[float]
    trend_worsening: Series[float]
    maintain_tolerance: Series[float] = pa.Field(ge=0, le=0.5)
    approx_tolerance: Series[float] = pa.Field(ge=0, le=0.5)
    deadline_grace_days: Series[int] = pa.Field(ge=0, le=730)

    @pa.dataframe_check(name="on_track > acceleration_needed > deterioration_below")
    def ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return (df.on_track > df.acceleration_needed) & (df.acceleration_needed > df.deterioration_below)

    @pa.dataframe_check(name="trend_improving >= trend_worsening")
    def trend_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return df.trend_improving >= df.trend_worsening


class KpiMethods(_MethodParams):
    kpi_id: Series[str] = pa.Field(unique=True, str_matches=KPI_ID)
    status_method: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    is_custom: Series[bool]

    class Config:
        strict = True
        coerce = True


class StatusMethods(_MethodParams):
    method: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z_]+$")
    label: Series[str]
    source: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class KpiOverrides(pa.DataFrameModel):
    kpi_id: Series[str] = pa.Field(str_matches=KPI_ID)
    field: Series[str]
    generated_value: Series[str] = pa.Field(nullable=True)
    override_value: Series[str] = pa.Field(nullable=True)
    reason: Series[str]

    class Config:
        strict = True
        coerce = True  # an empty frame has object columns
        unique = ["kpi_id", "field"]


class ScheduleSections(pa.DataFrameModel):
    section_no: Series[int] = pa.Field(ge=1, unique=True)
    name: Series[str] = pa.Field(unique=True)
    item_count: Series[int] = pa.Field(ge=0)
    source_line: Series[int] = pa.Field(ge=1)

    class Config:
        strict = True


class Directions(pa.DataFrameModel):
    direction_no: Series[int] = pa.Field(ge=0, le=5)
    direction: Series[str] = pa.Field(str_length={"min_value": 2})
    short_name: Series[str] = pa.Field(str_length={"min_value": 2})
    sub_no: Series[int] = pa.Field(ge=1)
    sub_id: Series[str] = pa.Field(unique=True, str_matches=r"^D\d-\d+$")
    sub_measure: Series[str] = pa.Field(str_length={"min_value": 2})
    description: Series[str] = pa.Field(nullable=True)
    source_line: Series[int] = pa.Field(ge=1)

    class Config:
        strict = True


class MeasureDirections(pa.DataFrameModel):
    measure_no: Series[int] = pa.Field(ge=1)
    role: Series[str] = pa.Field(isin=["primary", "secondary"])
    direction_no: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=5)
    sub_id: Series[str] = pa.Field(nullable=True)
    reason: Series[str] = pa.Field(str_length={"min_value": 2})

    class Config:
        strict = True


class ScheduleItems(pa.DataFrameModel):
    item_id: Series[str] = pa.Field(unique=True, str_matches=r"^S\d{2}-I\d{2}$")
    section_no: Series[int] = pa.Field(ge=1)
    item_no: Series[int] = pa.Field(ge=1)
    title: Series[str] = pa.Field(str_length={"min_value": 2})
    item_text: Series[str]
    ministries: Series[object] = pa.Field()
    start_fy: Series[int] = pa.Field(ge=2013, le=2021)
    end_fy: Series[int] = pa.Field(ge=2013, le=2021)
    phase: Series[str] = pa.Field(isin=["短期", "中期", "長期"])
    phases: Series[object] = pa.Field()
    start_basis: Series[str] = pa.Field(isin=["column", "section_column"])
    end_basis: Series[str] = pa.Field(isin=["next_item", "table_end"])
    section_basis: Series[str] = pa.Field(isin=["label_row", "layout", "narrative"])
    section_confidence: Series[str] = pa.Field(isin=["high", "medium", "low"])
    section_alternative: Series[str] = pa.Field(nullable=True)
    section_label_line: Series[int] = pa.Field(ge=1)
    narrative_line: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    narrative_score: Series[float] = pa.Field(ge=0, le=1)
    source_file: Series[str]
    source_line: Series[int] = pa.Field(ge=1)
    source_page: Series[int] = pa.Field(ge=1)

    class Config:
        strict = True

    @pa.check('ministries', 'phases', name="list of non-empty strings")
    def _lists(cls, s: pd.Series) -> Series[bool]:
        return _list_of_str(s)

    @pa.dataframe_check(name="start_fy <= end_fy")
    def ordered_span(cls, df: pd.DataFrame) -> Series[bool]:
        return df.start_fy <= df.end_fy


class QualityIssues(pa.DataFrameModel):
    issue_id: Series[int] = pa.Field(ge=1, unique=True)
    source: Series[str]
    location: Series[str]
    kind: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    severity: Series[str] = pa.Field(isin=["info", "warning"])
    entity_id: Series[str] = pa.Field(nullable=True)
    message: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True


class Areas(pa.DataFrameModel):
    area_code: Series[str] = pa.Field(unique=True, str_matches=r"^\d{6}$")
    code5: Series[str] = pa.Field(str_matches=r"^\d{5}$")
    level: Series[str] = pa.Field(isin=["national", "prefecture", "municipality", "ward"])
    name: Series[str]
    name_kana: Series[str]
    prefecture_code: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{2}$")
    prefecture: Series[str] = pa.Field(nullable=True)
    parent_code: Series[str] = pa.Field(nullable=True, str_matches=r"^\d{6}$")
    kind: Series[str]
    lat: Series[float] = pa.Field(nullable=True, ge=20, le=46)
    lon: Series[float] = pa.Field(nullable=True, ge=122, le=154)

    class Config:
        strict = True

    @pa.dataframe_check(name="1,741 municipalities")
    def municipality_count(cls, df: pd.DataFrame) -> bool:
        return int((df.level == "municipality").sum()) == 1741


class DocumentObservations(pa.DataFrameModel):
    kpi_id: Series[str] = pa.Field(str_matches=KPI_ID)
    area_code: Series[str] = pa.Field(str_matches=r"^\d{6}$")
    area_level: Series[str]
    period: Series[str] = pa.Field(str_matches=r"^(FY\d{4}|\d{4}-\d{2})$")
    fiscal_year: Series[int] = pa.Field(**FY)
    month: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=12)
    period_end: Series[object]
    value: Series[float] = pa.Field(ge=0)
    document: Series[str]
    document_title: Series[str] = pa.Field(nullable=True)
    quote: Series[str] = pa.Field(str_length={"min_value": 5})
    location: Series[str]
    known_at: Series[pd.Timestamp]
    relation: Series[str] = pa.Field(isin=["exact", "component"])
    figure_ids: Series[str]
    reason: Series[str] = pa.Field(str_length={"min_value": 2})

    class Config:
        strict = True
        unique = ["kpi_id", "area_code", "period"]


class DocumentFigures(pa.DataFrameModel):
    figure_id: Series[str] = pa.Field(unique=True, str_matches=r"^\d{3}-L\d{3}-\d+$")
    document: Series[str] = pa.Field(str_matches=r"^\d{3}$")
    source_file: Series[str]
    line: Series[int] = pa.Field(ge=1)
    value: Series[float]
    unit: Series[str] = pa.Field(nullable=True)
    kind: Series[str] = pa.Field(isin=["count", "percent", "money", "rank", "score", "ratio", "sample", "parameter"])
    thing: Series[str] = pa.Field(nullable=True)
    as_of_text: Series[str] = pa.Field(nullable=True)
    as_of: Series[str] = pa.Field(nullable=True)
    as_of_basis: Series[str] = pa.Field(nullable=True)
    quote: Series[str] = pa.Field(str_length={"min_value": 2})
    approx: Series[bool]
    statement: Series[str]
    certainty: Series[str] = pa.Field(isin=["high", "medium", "low"])
    note: Series[str] = pa.Field(nullable=True)
    context: Series[str] = pa.Field(nullable=True)
    published: Series[object] = pa.Field(nullable=True)

    class Config:
        strict = True


class FigureLinks(pa.DataFrameModel):
    figure_id: Series[str]
    kpi_id: Series[str] = pa.Field(str_matches=KPI_ID)
    relation: Series[str] = pa.Field(isin=["exact", "component", "proxy"])
    reason: Series[str] = pa.Field(str_length={"min_value": 2})

    class Config:
        strict = True
        unique = ["figure_id", "kpi_id"]


class Statuses(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z_]+$")
    label: Series[str] = pa.Field(unique=True)
    icon: Series[str] = pa.Field(unique=True)
    color: Series[str] = pa.Field(str_matches=r"^#[0-9A-Fa-f]{6}$")
    sort_order: Series[int] = pa.Field(unique=True)
    family: Series[str] = pa.Field(isin=["target", "trend", "none"])
    judged: Series[bool]
    rank: Series[int] = pa.Field(ge=1)
    description: Series[str] = pa.Field(str_length={"min_value": 1})

    @pa.dataframe_check(name="judged statuses are the target family")
    def judged_is_target(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.judged | (df.family == "target")

    class Config:
        strict = True


class Eras(pa.DataFrameModel):
    name: Series[str] = pa.Field(unique=True)
    first_year: Series[int] = pa.Field(unique=True, ge=1868)
    start: Series[object]

    class Config:
        strict = True


class Trends(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True)
    label: Series[str]
    icon: Series[str]

    class Config:
        strict = True


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "statuses": Statuses,
    "kpi_methods": KpiMethods,
    "status_methods": StatusMethods,
    "trends": Trends,
    "eras": Eras,
    "areas": Areas,
    "document_observations": DocumentObservations,
    "document_figures": DocumentFigures,
    "figure_links": FigureLinks,
    "ministries": Ministries,
    "pillars": Pillars,
    "measures": Measures,
    "kpis": Kpis,
    "kpi_overrides": KpiOverrides,
    "schedule_sections": ScheduleSections,
    "schedule_items": ScheduleItems,
    "directions": Directions,
    "measure_directions": MeasureDirections,
    "quality_issues": QualityIssues,
}


class SchemaViolation(ShinchokuError):
    """A table breaks its schema; the message lists table, column, row and check of every failure."""


def validate(table: str, df: pd.DataFrame, id_column: str | None = None) -> pd.DataFrame:
    """Validate one table with its model (all failures at once) or raise SchemaViolation."""
    try:
        return MODELS[table].validate(df, lazy=True)
    except pa.errors.SchemaErrors as e:
        lines = []
        for fc in e.failure_cases.head(50).itertuples():
            row = fc.index
            label = row
            if id_column and row is not None and row == row and row in df.index:
                label = f"{row} ({id_column}={df.loc[row, id_column]})"
            lines.append(f"  table {table}, column {fc.column}, row {label}: check {fc.check} failed (value: {fc.failure_case!r})")
        more = len(e.failure_cases) - 50
        if more > 0:
            lines.append(f"  … and {more} more")
        raise SchemaViolation(f"table {table} violates its schema:\n" + "\n".join(lines)) from None
