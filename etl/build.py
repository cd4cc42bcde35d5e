"""`shinchoku build`: parse the sources, validate every table, write the warehouse atomically.

The new warehouse is written to a temporary file beside the target and moved
into place with os.replace only after every table passed its schema and the
file was checkpointed and closed. A reader therefore sees either the previous
warehouse or the new one, never a half-built file, and a failed build leaves
the previous warehouse untouched.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from etl import kpi_defs, settings
from etl.areas import area_table
from etl.errors import DefinitionsError, QualityIssue, SourceError
from etl.observations.store import carry_over_history, refresh_revisions, swapped, writer_lock
from etl.reference import METHOD_PARAMS, era_table, check_method_params, ministry_table, pillar_table, status_methods, status_tables
from etl.schemas import validate
from warehouse import schema_doc
from etl.sources.measures import parse_measures
from etl.sources.figures import extract_figures, figure_issues, mapped_observations
from etl.sources.figures import load_mapping as load_figure_map
from etl.sources.reported import load_spec, reference_indicators
from etl.sources.directions import load_mapping, measure_direction_rows, parse_directions, with_short_names
from etl.sources.schedule import parse_schedule



@dataclass
class BuildReport:
    warehouse: Path
    seconds: float
    counts: dict[str, int]
    duplicate_schedule_rows: int
    defs_changed: bool
    issues_by_kind: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"built {self.warehouse} in {self.seconds:.2f} s: {parts}"


def load_manifest(sources: Path) -> dict:
    path = sources / "manifest.yaml"
    if not path.exists():
        raise SourceError(f"{path}: the source manifest is missing")
    return yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]


def _source_file(sources: Path, manifest: dict, key: str) -> Path:
    path = sources / manifest[key]["file"]
    if not path.exists():
        raise SourceError(f"{path}: source file listed in manifest.yaml ({key}) is missing")
    return path


def collect(sources: Path, defs_path: Path, write_defs: bool = True) -> tuple[dict[str, pd.DataFrame], dict]:
    """Parse and validate every table; nothing is written to the warehouse here."""
    manifest = load_manifest(sources)
    measures_path = _source_file(sources, manifest, "measures")
    parsed = parse_measures(measures_path)
    expected = manifest["measures"].get("expected_measures")
    if expected is not None and len(parsed.measures) != expected:
        raise SourceError(
            f"{measures_path.name}: {len(parsed.measures)} 施策 rows found, {expected} expected "
            f"(manifest.yaml): the file looks truncated or damaged"
        )
    schedule = parse_schedule(_source_file(sources, manifest, "schedule"))
    directions = parse_directions(_source_file(sources, manifest, "directions"))
    mapping_path = settings.REFERENCE_DIR / "measure_directions.yaml"
    mapping = load_mapping(mapping_path)
    measure_directions, problems = measure_direction_rows(mapping, directions.directions, set(parsed.measures["measure_no"]))
    direction_table, more = with_short_names(directions.directions, mapping)
    problems += more
    if problems:
        raise DefinitionsError(f"{mapping_path.name} に誤りがあります:\n" + "\n".join(problems))
    defs, kpi_issues = kpi_defs.generate(parsed.measures, schedule.kpi_texts)
    overrides, _ = kpi_defs.read(defs_path)
    applied, override_records = kpi_defs.apply_overrides({**defs, **reference_indicators(load_spec())}, overrides,
                                                         defs_path.name)
    figures = _document_figures(sources, manifest)
    figure_map = load_figure_map()
    observed, problems = mapped_observations(figures, figure_map, set(applied))
    if problems:
        raise DefinitionsError("figure_map.yaml に誤りがあります:\n" + "\n".join(problems))
    defs_changed = kpi_defs.write_generated(defs_path, defs) if write_defs else False

    issues = [*parsed.issues, *schedule.issues, *kpi_issues, *directions.issues, *figure_issues(figures)]
    tables = {
        "ministries": _ministries(parsed.measures, schedule.items),
        "pillars": pillar_table().copy(),
        "measures": parsed.measures,
        "kpis": _kpis(applied),
        "kpi_methods": _kpi_methods(applied, defs_path.name),
        "status_methods": status_methods()[1],
        "kpi_overrides": pd.DataFrame(override_records, columns=["kpi_id", "field", "generated_value", "override_value", "reason"]),
        "schedule_sections": schedule.sections[["section_no", "name", "item_count", "source_line"]],
        "schedule_items": schedule.items.drop(columns=["section"]),
        "directions": direction_table,
        "measure_directions": measure_directions,
        "quality_issues": _issues(issues),
        "areas": area_table().copy(),
        "statuses": status_tables()[0],
        "trends": status_tables()[1],
        "eras": era_table(),
        "document_figures": figures.drop(columns=["excluded"]),
        "figure_links": _figure_links(figure_map),
        "document_observations": _document_observations(observed, manifest),
    }
    ids = {"measures": "measure_no", "kpis": "kpi_id", "schedule_items": "item_id", "ministries": "name", "areas": "area_code"}
    validated = {name: validate(name, df, ids.get(name)) for name, df in tables.items()}
    meta = {
        "duplicate_schedule_rows": schedule.duplicate_rows,
        "defs_changed": defs_changed,
        "sources": _source_rows(sources, manifest),
        "defs_sha256": hashlib.sha256(json.dumps(applied, sort_keys=True, default=str).encode()).hexdigest(),
    }
    return validated, meta


# Documents whose figures are read (manifest keys); 002 is slides of policy directions without figures.
_FIGURE_SOURCES = ("schedule", "measures", "survey_2012", "whitepaper")


def _document_figures(sources: Path, manifest: dict) -> pd.DataFrame:
    """Every figure the parser finds in the documents, with the source file and its publication date."""
    frames = []
    for key in _FIGURE_SOURCES:
        path = _source_file(sources, manifest, key)
        frames.append(extract_figures(path, path.name[:3]).assign(source_file=path.name))
    df = pd.concat(frames, ignore_index=True)
    df["published"] = pd.to_datetime(df["published"]).dt.date
    return df


def _figure_links(figure_map: dict) -> pd.DataFrame:
    rows = [{"figure_id": e["figure"], "kpi_id": e["kpi_id"], "relation": e["relation"], "reason": e["reason"]}
            for e in figure_map.get("mappings") or []]
    return pd.DataFrame(rows, columns=["figure_id", "kpi_id", "relation", "reason"])


def _document_observations(observed: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """Mapped figures that observe a KPI (exact, or components summed): real observations with the quote
    as provenance. Proxies stay in document_figures as reference: they are never judged."""
    files = {m["file"][:3]: m for m in manifest.values()}
    df = observed[observed["relation"] != "proxy"].copy()
    df["document_title"] = df["document"].map(lambda d: files[d].get("title"))
    df["location"] = [f"{files[d]['file']} line {loc.split(' line ', 1)[1]}" for d, loc in zip(df["document"], df["location"])]
    df["document"] = df["document"].map(lambda d: files[d]["file"])
    df["known_at"] = pd.to_datetime(df["known_at"])
    return df.drop(columns=["unit"]).reset_index(drop=True)


def _ministries(measures: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    ref = ministry_table().copy()
    ref["is_known"] = True
    named = {n for lst in [*measures["ministries"], *items["ministries"]] for n in lst}
    unknown = sorted(named - set(ref["name"]))
    extra = pd.DataFrame(
        {"name": unknown, "kind": "unknown", "is_group": False, "sort_order": 999, "aliases": [[] for _ in unknown], "is_known": False}
    )
    out = pd.concat([ref, extra], ignore_index=True) if unknown else ref
    return out[["name", "kind", "is_group", "is_known", "sort_order", "aliases"]]


_KPI_COLUMNS = [
    "kpi_id", "measure_no", "section_no", "kind", "ord", "name", "indicator_group", "source_text", "cell_text",
    "target_text", "target_kind", "target_value", "unit", "comparator", "target_fy", "target_timing", "target_month",
    "target_date", "base_fy", "base_value", "target_factor", "direction", "area_level", "aggregation", "obs_fy_min",
    "obs_fy_max", "has_target", "is_override", "notes",
]


def _kpis(defs: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for kpi_id, d in defs.items():
        r = {k: d.get(k) for k in _KPI_COLUMNS}
        r.update(kpi_id=kpi_id, ord=d["order"], indicator_group=d.get("group"), notes=list(d.get("notes") or []))
        r["target_date"] = dt.date.fromisoformat(d["target_date"]) if d.get("target_date") else None
        r["has_target"] = d["target_kind"] in ("absolute", "relative")
        rows.append(r)
    df = pd.DataFrame(rows, columns=_KPI_COLUMNS)
    for col in ("measure_no", "section_no", "target_fy", "target_month", "base_fy", "obs_fy_min", "obs_fy_max"):
        df[col] = df[col].astype("Int64")
    for col in ("target_value", "base_value", "target_factor"):
        df[col] = df[col].astype("float64")
    df["target_date"] = df["target_date"].astype(object)
    return df


def _kpi_methods(defs: dict[str, dict], source: str) -> pd.DataFrame:
    """The status method and its effective parameters for every KPI: the set it names (or the default),
    with any single values its overrides set. Raises DefinitionsError when the result is inconsistent."""
    default, methods = status_methods()
    sets = methods.set_index("method").to_dict("index")
    rows, errors = [], []
    for kpi_id, d in defs.items():
        method = d.get("status_method") or default
        params = {k: sets[method][k] for k in METHOD_PARAMS}
        own = {k: d[k] for k in METHOD_PARAMS if d.get(k) is not None}
        params.update(own)
        errors += check_method_params(params, f"{source}: overrides.{kpi_id}") if own else []
        rows.append({"kpi_id": kpi_id, "status_method": method, "is_custom": bool(own), **params})
    if errors:
        raise DefinitionsError("kpi_defs.yaml の overrides に誤りがあります:\n" + "\n".join(errors))
    df = pd.DataFrame(rows)
    df["deadline_grace_days"] = df["deadline_grace_days"].astype("int64")
    return df


def _issues(issues: list[QualityIssue]) -> pd.DataFrame:
    df = pd.DataFrame([i.as_dict() for i in issues], columns=["source", "location", "kind", "message", "entity_id", "severity"])
    df.insert(0, "issue_id", range(1, len(df) + 1))
    return df[["issue_id", "source", "location", "kind", "severity", "entity_id", "message"]]


def _source_rows(sources: Path, manifest: dict) -> pd.DataFrame:
    rows = []
    for key, m in manifest.items():
        path = sources / m["file"]
        if path.exists():
            data = path.read_bytes()
            rows.append({"source_key": key, "file": m["file"], "title": m.get("title"),
                         "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- writing


def view_files() -> list[Path]:
    """The analyst views, one .sql file each (the documented contract)."""
    return sorted((settings.WAREHOUSE_SQL_DIR / "sql" / "views").glob("*.sql"))


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create every view and macro (one that needs another not yet created is retried after it), then
    write docs/schema.md's meanings into them as comments."""
    pending = view_files()
    while pending:
        failed = []
        for path in pending:
            try:
                con.execute(path.read_text(encoding="utf-8"))
            except duckdb.CatalogException:
                failed.append(path)
        if len(failed) == len(pending):
            con.execute(failed[0].read_text(encoding="utf-8"))  # raises the real error
        pending = failed
    existing = {(v, c) for v, c in con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main'").fetchall()}
    existing |= {(v, None) for v, _ in existing}
    for view in schema_doc.views().values():  # a view the document names but the build lacks: the docs test says so
        if (view.name, None) in existing:
            view.columns = [c for c in view.columns if (view.name, c[0]) in existing]
            for statement in schema_doc.comment_statements({view.name: view}):
                con.execute(statement)


def _write(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], meta: dict) -> None:
    con.execute(settings.warehouse_sql("schema.sql"))
    for name, df in tables.items():
        con.register("frame", df)
        con.execute(f"insert into core.{name} by name select * from frame")
        con.unregister("frame")
    con.register("frame", meta["sources"])
    con.execute("insert into core.sources by name select * from frame")
    con.unregister("frame")
    info = {"schema_version": settings.SCHEMA_VERSION, "defs_sha256": meta["defs_sha256"],
            "duplicate_schedule_rows": str(meta["duplicate_schedule_rows"]),
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "shinchoku_version": settings.package_version()}
    con.executemany("insert into core.build_info values (?, ?)", list(info.items()))


def build(warehouse: Path | None = None, sources: Path | None = None, defs_path: Path | None = None,
          write_defs: bool = True) -> BuildReport:
    """Rebuild the warehouse from the sources; atomic: the old file stays until the new one is complete.

    Observation batches loaded into the previous warehouse are carried over: a rebuild never loses history.
    """
    start = time.perf_counter()
    target = settings.warehouse_path(warehouse)
    tables, meta = collect(settings.sources_dir(sources), settings.kpi_defs_path(defs_path), write_defs)
    target.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(target), swapped(target, copy=False) as con:
        _write(con, tables, meta)
        history = carry_over_history(target, con)
        refresh_revisions(con)
        create_views(con)
    issues = tables["quality_issues"]["kind"].value_counts().to_dict()
    return BuildReport(
        warehouse=target,
        seconds=time.perf_counter() - start,
        counts={**{name: len(df) for name, df in tables.items()}, "observations (kept)": history["observations"]},
        duplicate_schedule_rows=meta["duplicate_schedule_rows"],
        defs_changed=meta["defs_changed"],
        issues_by_kind={str(k): int(v) for k, v in issues.items()},
    )
