"""Reference lists (ministries, pillars, statuses, status methods) from data/reference/*.yaml, and name normalisation."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from etl import settings
from etl.errors import DefinitionsError
from etl.text import normalize


@dataclass(frozen=True)
class MinistryName:
    """A ministry mention resolved against the reference list."""

    raw: str
    name: str  # canonical name, or the cleaned raw text when unknown
    known: bool
    is_group: bool


def _load(name: str, reference_dir: Path | None = None) -> dict:
    path = (reference_dir or settings.REFERENCE_DIR) / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def ministry_table() -> pd.DataFrame:
    """ministries: name, kind, is_group, sort_order, aliases (one row per canonical name)."""
    rows = []
    for m in _load("ministries.yaml")["ministries"]:
        rows.append(
            {
                "name": m["name"],
                "kind": m["kind"],
                "is_group": m["kind"] == "group",
                "sort_order": m["order"],
                "aliases": list(m.get("aliases", [])),
            }
        )
    return pd.DataFrame(rows)


@functools.cache
def _ministry_lookup() -> dict[str, tuple[str, bool]]:
    out: dict[str, tuple[str, bool]] = {}
    for row in ministry_table().itertuples():
        for key in [row.name, *row.aliases]:
            out[key] = (row.name, bool(row.is_group))
    return out


def resolve_ministry(raw: str) -> MinistryName:
    """'経産省' → 経済産業省; '関係省庁' → 関係府省庁 (group); trailing '等' is dropped."""
    clean = normalize(raw).strip("◎ ")
    clean = re.sub(r"等$", "", clean)
    hit = _ministry_lookup().get(clean)
    if hit:
        return MinistryName(raw=raw, name=hit[0], known=True, is_group=hit[1])
    return MinistryName(raw=raw, name=clean, known=False, is_group=False)


def split_ministries(text: str) -> list[tuple[str, bool]]:
    """'◎総務省、経済産業省及び関係府省庁' → [('総務省', True), ('経済産業省', False), ...].

    The bool is the lead mark ◎. Separators: 、 , ・ and 及び.
    """
    parts = re.split(r"[、,，]|及び", normalize(text))
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        out.append((p.lstrip("◎").strip(), p.startswith("◎")))
    return out


@functools.cache
def pillar_table() -> pd.DataFrame:
    """pillars: code, name, short_name, sort_order, aliases."""
    rows = []
    for i, p in enumerate(_load("pillars.yaml")["pillars"], start=1):
        rows.append(
            {
                "code": p["code"],
                "name": p["name"],
                "short_name": p["short"],
                "sort_order": i,
                "aliases": list(p.get("aliases", [])),
            }
        )
    return pd.DataFrame(rows)


def resolve_pillar(raw: str) -> str | None:
    """The official pillar name for a source spelling, or None when it is not one we know."""
    clean = normalize(raw)
    for row in pillar_table().itertuples():
        if clean == row.name or clean in row.aliases:
            return row.name
    return None


@functools.cache
def status_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(statuses, trends) from statuses.yaml: code, Japanese label, icon (and colour, order)."""
    data = _load("statuses.yaml")
    statuses = pd.DataFrame(data["statuses"]).rename(columns={"order": "sort_order"})
    cols = ["code", "label", "icon", "color", "sort_order", "family", "judged", "rank", "description"]
    return statuses[cols], pd.DataFrame(data["trends"])


@functools.cache
def era_table() -> pd.DataFrame:
    """eras: name, first_year, start (the day the era began)."""
    df = pd.DataFrame(_load("eras.yaml")["eras"])[["name", "first_year", "start"]]
    df["start"] = pd.to_datetime(df["start"]).dt.date
    return df


METHOD_PARAMS = {  # parameter: (lowest, highest) allowed
    "on_track": (0.0, 5.0),
    "acceleration_needed": (-1.0, 5.0),
    "deterioration_below": (-1.0, 1.0),
    "trend_improving": (-0.5, 0.5),
    "trend_worsening": (-0.5, 0.5),
    "maintain_tolerance": (0.0, 0.5),
    "approx_tolerance": (0.0, 0.5),
    "deadline_grace_days": (0, 730),
}


def method_param_problem(name: str, value) -> str | None:
    """Why one status-method value is unusable ("…ではありません"), or None."""
    if name not in METHOD_PARAMS:
        return f"未知の項目です(可能: {', '.join(METHOD_PARAMS)})"
    lo, hi = METHOD_PARAMS[name]
    whole = name == "deadline_grace_days"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return "整数ではありません" if whole else "数値ではありません"
    if not lo <= value <= hi:
        return f"{lo}〜{hi} の範囲外です"
    return None


def check_method_params(params: dict, where: str) -> list[str]:
    """Reasons why a (possibly partial) set of status-method parameters is not usable, in Japanese."""
    errors = [f"{where}.{name}: 値 {value!r} は{problem}" for name, value in params.items()
              if (problem := method_param_problem(name, value))]
    if errors:
        return errors
    order = [params.get(k) for k in ("on_track", "acceleration_needed", "deterioration_below")]
    known = [v for v in order if v is not None]
    if known != sorted(known, reverse=True) or len(set(known)) != len(known):
        errors.append(f"{where}: on_track > acceleration_needed > deterioration_below の順でなければなりません")
    if None not in (params.get("trend_improving"), params.get("trend_worsening")) \
            and params["trend_improving"] < params["trend_worsening"]:
        errors.append(f"{where}: trend_improving は trend_worsening 以上でなければなりません")
    return errors


@functools.cache
def status_methods(reference_dir: Path | None = None) -> tuple[str, pd.DataFrame]:
    """(default method, one row per threshold set) from status_methods.yaml, validated.

    Raises DefinitionsError naming the file, method and field when a value is missing or out of range.
    """
    data = _load("status_methods.yaml", reference_dir)
    where = "data/reference/status_methods.yaml"
    errors, rows = [], []
    methods = data.get("methods") or {}
    for name, m in methods.items():
        params = {k: v for k, v in m.items() if k not in ("label", "source")}
        missing = set(METHOD_PARAMS) - set(params)
        errors += [f"{where}: methods.{name}.{k}: 値がありません" for k in sorted(missing)]
        errors += check_method_params(params, f"{where}: methods.{name}")
        if not re.fullmatch(r"[a-z_]+", str(name)) or not m.get("label"):
            errors.append(f"{where}: methods.{name}: 名前は英小文字と _、label が必要です")
        rows.append({"method": name, "label": m.get("label"), "source": m.get("source"), **params})
    default = data.get("default")
    if default not in methods:
        errors.append(f"{where}: default {default!r} が methods にありません")
    if errors:
        raise DefinitionsError("\n".join(errors))
    return default, pd.DataFrame(rows)


@functools.cache
def similarity_settings() -> tuple[list[str], float]:
    """(stop bigrams, threshold) for suggesting schedule items related to a measure."""
    data = _load("similarity.yaml")
    return list(data["stop_bigrams"]), float(data["threshold"])


def ink(fill: str) -> str:
    """Black text on a status fill, white where black would read below WCAG's 4.5:1 (期限後の実績未報告 is
    filled black, 期限内達成・その後低下 dark blue)."""
    r, g, b = (int(fill.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    lum = sum(w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4) for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))
    return "000000" if (lum + 0.05) / 0.05 >= 4.5 else "FFFFFF"
