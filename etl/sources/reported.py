"""Figures quoted in the source documents (003, 004), as observations with provenance.

data/reference/reported_figures.yaml says which sentence measures which
indicator; this module finds the sentence in the document, reads the value out
of it and records the document, the quote and its line.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import yaml

from etl import settings
from etl.areas import NATIONAL_CODE
from etl.errors import SourceError
from etl.periods import parse_period
from etl.text import normalize, parse_number


def load_spec(reference_dir: Path | None = None) -> dict:
    path = (reference_dir or settings.REFERENCE_DIR) / "reported_figures.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def reference_indicators(spec: dict) -> dict[str, dict]:
    """Definitions of the reference indicators (参考指標), shaped like generated KPI definitions."""
    out = {}
    for kpi_id, d in spec["indicators"].items():
        order = int(kpi_id.split("-R")[1])
        out[kpi_id] = {
            "measure_no": d["measure_no"], "kind": "reference", "order": order, "name": d["name"],
            "source_text": d["name"], "target_kind": "none", "unit": d.get("unit"),
            "direction": d.get("direction", "increase"), "area_level": "national", "aggregation": "none",
            "obs_fy_min": 2010, "obs_fy_max": 2030,
            "notes": ["出典資料に報告された数値の参考指標(施策一覧のKPIではない)"],
        }
    return out


def document_observations(sources: Path, manifest: dict, spec: dict) -> pd.DataFrame:
    """One row per quoted figure: value, period, document, quote, line, known_at."""
    rows = []
    for fig in spec["figures"]:
        doc = manifest[fig["source"]]
        path = sources / doc["file"]
        lines = [normalize(l) for l in path.read_text(encoding="utf-8").split("\n")]
        quote = normalize(fig["quote"])
        line_no = next((i + 1 for i, l in enumerate(lines) if quote in l), None)
        if line_no is None:
            raise SourceError(f"{doc['file']}: the sentence quoted in reported_figures.yaml for {fig['kpi_id']} "
                              f"is not in the document: 「{fig['quote'][:60]}」")
        m = re.search(fig["pattern"], quote)
        if not m:
            raise SourceError(f"reported_figures.yaml: pattern {fig['pattern']!r} finds no value in the quote for {fig['kpi_id']}")
        period, err = parse_period(fig["period"])
        if err:
            raise SourceError(f"reported_figures.yaml: {fig['kpi_id']}: {err}")
        published = doc.get("published")
        if not isinstance(published, dt.date):
            raise SourceError(f"manifest.yaml: {fig['source']} needs a `published` date (YYYY-MM-DD) for its figures")
        rows.append({
            "kpi_id": fig["kpi_id"], "area_code": NATIONAL_CODE, "area_level": "national", "period": period.key,
            "fiscal_year": period.fiscal_year, "month": period.month, "period_end": period.end,
            "value": float(parse_number(m.group(1))), "document": doc["file"], "document_title": doc.get("title"),
            "quote": fig["quote"] + (f"(注: {fig['note']})" if fig.get("note") else ""),
            "location": f"{doc['file']} line {line_no}",
            "known_at": dt.datetime.combine(published, dt.time()),
        })
    df = pd.DataFrame(rows)
    df["month"] = df["month"].astype("Int64")
    return df
