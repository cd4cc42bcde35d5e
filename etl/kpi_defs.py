"""KPI definitions: generated from the sources, corrected by people in kpi_defs.yaml.

kpi_defs.yaml has two parts. ``overrides`` (top, hand-written) is never touched
by a rebuild; ``generated`` (below the marker line) is rewritten by every
build from the parsed sources. A build applies the overrides on top of the
generated values and records each one, so the warehouse shows what was
corrected, from what, and why.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import pandas as pd
import yaml

# libyaml when PyYAML has it: the definitions file is ~200 KPIs, 5× faster to read and write (same output)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

from etl.errors import DefinitionsError, QualityIssue
from etl.kpi_parse import Indicator, parse_target, split_indicators, target_date
from etl.reference import METHOD_PARAMS, method_param_problem, status_methods

MARKER = "# ===== GENERATED BELOW by `shinchoku build`: edit `overrides` above instead ====="
HEADER = """\
# Shinchoku KPI definitions (KPI定義)
#
# `generated` (below the marker) is rewritten by every `shinchoku build` from the
# source documents. Do not edit it: corrections go into `overrides`, which a build
# never overwrites. Each override names the KPI id, the fields it sets and a
# `reason`; the warehouse lists every override in the view `kpi_overrides` and
# flags the KPI with is_override = true.
#
# Example:
#   overrides:
#     M37-E1:
#       target_value: 30000
#       unit: 箇所
#       reason: 整備済箇所数の目標「約3万箇所」を確認済み
"""

# Fields a person may override, with a validator each (value → error message or None).
_KINDS = {"absolute", "relative", "milestone", "unset", "none", "unparsed"}
_TIMINGS = {"fy", "fy_end", "fy_start", "fy_first_half", "calendar", "calendar_month", "annual"}


def _num(v):
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) else "数値ではありません"


def _year(v):
    return None if isinstance(v, int) and not isinstance(v, bool) and 1990 <= v <= 2100 else "1990〜2100の整数(西暦年度)ではありません"


def _one_of(options):
    return lambda v: None if v in options else f"{sorted(options)} のいずれかではありません"


def _text(v):
    return None if isinstance(v, str) and v.strip() else "空でない文字列ではありません"


OVERRIDABLE = {
    "name": _text,
    "unit": _text,
    "target_kind": _one_of(_KINDS),
    "target_value": _num,
    "comparator": _one_of({"eq", "at_least", "at_most", "approx"}),
    "target_fy": _year,
    "target_timing": _one_of(_TIMINGS),
    "base_fy": _year,
    "base_value": _num,
    "target_factor": _num,
    "direction": _one_of({"increase", "decrease", "unknown"}),
    "area_level": _one_of({"national", "prefecture", "municipality"}),
    "aggregation": _one_of({"sum", "count", "mean", "population_weighted", "none"}),
    "obs_fy_min": _year,
    "obs_fy_max": _year,
    # how the status is judged (data/reference/status_methods.yaml): a named set, or single values
    "status_method": lambda v: _one_of(set(status_methods()[1]["method"]))(v),
    **{name: functools.partial(method_param_problem, name) for name in METHOD_PARAMS},
}

_MUNICIPAL = re.compile(r"地方公共団体(の)?数|市区町村(の)?数|市町村(の)?数|自治体数|市町村国保等数")
_PREFECTURAL = re.compile(r"都道府県数")
_RATE = re.compile(r"(率|割合)(\(.*\))?$")
OBS_FY_MIN, OBS_FY_MAX = 2010, 2030


def area_defaults(name: str, unit: str | None) -> tuple[str, str]:
    """(area_level, aggregation) a KPI gets by default, from what it counts.

    A count of municipalities/prefectures is reported per area (1 = adopted) and
    summed to the national figure; everything else is a national series.
    """
    if _PREFECTURAL.search(name) or unit == "都道府県":
        return "prefecture", "sum"
    if _MUNICIPAL.search(name):  # "団体" alone may be any organisation: only named municipalities count
        return "municipality", "sum"
    return "national", "none"


def generate(measures: pd.DataFrame, schedule_kpis: pd.DataFrame) -> tuple[dict[str, dict], list[QualityIssue]]:
    """Definitions of every KPI in the sources, keyed by kpi_id, and the targets that could not be read."""
    defs: dict[str, dict] = {}
    issues: list[QualityIssue] = []
    for m in measures.itertuples():
        for kind, letter, cell in (("progress", "P", m.kpi_progress_text), ("effect", "E", m.kpi_effect_text)):
            for n, ind in enumerate(split_indicators(cell or ""), start=1):
                kpi_id = f"M{m.measure_no:02d}-{letter}{n}"
                d = _definition(parse_target(ind), kind=kind, measure_no=int(m.measure_no), order=n, cell=cell)
                defs[kpi_id] = d
                issues.extend(_target_issues(kpi_id, d, m.source_file, f"line {m.source_line}, 施策 No {m.measure_no}, column KPI ({'進捗' if letter == 'P' else '効果'})"))
    for k in schedule_kpis.itertuples():
        kpi_id = f"S{k.section_no:02d}-K{k.order}"
        d = _definition(parse_target(Indicator(text=k.text)), kind=None, measure_no=None, order=int(k.order), cell=k.text)
        d["section_no"] = int(k.section_no)
        defs[kpi_id] = d
    return defs, issues


def _definition(t, *, kind, measure_no, order, cell) -> dict:
    unit = t.unit or ("%" if _RATE.search(t.name) else None)
    level, agg = area_defaults(t.name, unit)
    d = {
        "measure_no": measure_no,
        "kind": kind,
        "order": order,
        "name": t.name,
        "group": t.group,
        "source_text": t.source_text,
        "cell_text": cell,
        "target_text": t.target_text,
        "target_kind": t.target_kind,
        "target_value": t.target_value,
        "unit": unit,
        "comparator": t.comparator,
        "target_fy": t.target_fy,
        "target_timing": t.target_timing,
        "target_month": t.target_month,
        "target_date": t.target_date.isoformat() if t.target_date else None,
        "base_fy": t.base_fy,
        "base_value": t.base_value,
        "target_factor": t.target_factor,
        "direction": t.direction,
        "area_level": level,
        "aggregation": agg,
        "obs_fy_min": min(OBS_FY_MIN, t.base_fy or OBS_FY_MIN),
        "obs_fy_max": OBS_FY_MAX,
        "notes": list(t.notes),
    }
    return d


def _target_issues(kpi_id: str, d: dict, source: str, where: str) -> list[QualityIssue]:
    if d["target_kind"] == "unparsed":
        return [QualityIssue(source, where, "unparsed_target",
                             f"{kpi_id}: 目標「{d['target_text']}」を数値として読み取れません(目標なしとして扱います)。", kpi_id)]
    if d["target_kind"] == "none":
        return [QualityIssue(source, where, "no_target", f"{kpi_id}: 目標値の記載がありません。", kpi_id, "info")]
    return []


# ---------------------------------------------------------------- the YAML file


def read(path: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(overrides, generated) from kpi_defs.yaml; a missing file has neither."""
    if not path.exists():
        return {}, {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except yaml.YAMLError as e:
        raise DefinitionsError(f"{path.name}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise DefinitionsError(f"{path.name}: the top level must be a mapping with `overrides` and `generated`")
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise DefinitionsError(f"{path.name}: `overrides` must be a mapping of KPI id → fields")
    return overrides, data.get("generated") or {}


def write_generated(path: Path, defs: dict[str, dict]) -> bool:
    """Rewrite the generated part of kpi_defs.yaml, keeping everything above the marker byte for byte.

    Returns whether the file changed.
    """
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if MARKER not in text:
            raise DefinitionsError(
                f"{path.name}: the marker line separating `overrides` from `generated` is missing; "
                f"restore it (it reads: {MARKER})"
            )
        head = text[: text.index(MARKER)]
    else:
        text, head = "", HEADER + "\noverrides: {}\n\n"
    body = yaml.dump({"generated": {k: _compact(v) for k, v in defs.items()}}, Dumper=_DUMPER,
                     allow_unicode=True, sort_keys=False, width=120)
    new = head + MARKER + "\n" + body
    if new != text:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
        return True
    return False


def _compact(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, [], "")}


def apply_overrides(defs: dict[str, dict], overrides: dict[str, dict], source: str) -> tuple[dict[str, dict], list[dict]]:
    """Definitions with the overrides applied, and one record per overridden field.

    Raises DefinitionsError naming the KPI id, field and reason for any broken override.
    """
    out = {k: dict(v, is_override=False) for k, v in defs.items()}
    records: list[dict] = []
    errors: list[str] = []
    for kpi_id, fields in overrides.items():
        where = f"{source}: overrides.{kpi_id}"
        if kpi_id not in out:
            errors.append(f"{where}: 未知のKPI ID です(生成された定義にありません)")
            continue
        if not isinstance(fields, dict):
            errors.append(f"{where}: フィールド名と値の対応(mapping)ではありません")
            continue
        reason = fields.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            errors.append(f"{where}.reason: 修正理由(reason)が必要です")
        for name, value in fields.items():
            if name == "reason":
                continue
            check = OVERRIDABLE.get(name)
            if check is None:
                errors.append(f"{where}.{name}: 上書きできない項目です(可能: {', '.join(OVERRIDABLE)})")
                continue
            if value is not None and (msg := check(value)):
                errors.append(f"{where}.{name}: 値 {value!r} は{msg}")
                continue
            records.append({"kpi_id": kpi_id, "field": name, "generated_value": _show(out[kpi_id].get(name)),
                            "override_value": _show(value), "reason": reason if isinstance(reason, str) else None})
            out[kpi_id][name] = float(value) if name in ("target_value", "base_value", "target_factor") and value is not None else value
            out[kpi_id]["is_override"] = True
        if out[kpi_id]["is_override"]:
            d = out[kpi_id]
            d["target_date"] = _iso(target_date(d.get("target_fy"), d.get("target_timing"), d.get("target_month")))
            if "target_kind" not in fields and fields.keys() & {"target_value"} and d.get("target_value") is not None:
                d["target_kind"] = "absolute"
    if errors:
        raise DefinitionsError("kpi_defs.yaml の overrides に誤りがあります:\n" + "\n".join(errors))
    return out, records


def _show(v) -> str | None:
    return None if v is None else str(v)


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None
