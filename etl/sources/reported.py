"""Reference indicators (参考指標): what a document reports about a measure that no KPI of the 施策一覧 counts.

data/reference/reported_figures.yaml defines them; the figures that observe them are found by
etl/sources/figures.py and linked in data/reference/figure_map.yaml like any KPI's.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from etl import settings


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
