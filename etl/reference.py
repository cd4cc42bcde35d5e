"""Reference lists (ministries, pillars) from data/reference/*.yaml, and name normalisation."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from etl import settings
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
    return statuses[["code", "label", "icon", "color", "sort_order", "judged"]], pd.DataFrame(data["trends"])


@functools.cache
def similarity_settings() -> tuple[list[str], float]:
    """(stop bigrams, threshold) for suggesting schedule items related to a measure."""
    data = _load("similarity.yaml")
    return list(data["stop_bigrams"]), float(data["threshold"])
