"""The area master: the nation, 47 prefectures, 1,741 municipalities and the 175 wards of 政令指定都市.

Codes and names come from the `japancode` package (MIT), not typed in. Every
全国地方公共団体コード is checked against its check digit when the master is
built. Area codes are 6-digit strings with the check digit ('011002' 札幌市);
the nation is '000000'.
"""
from __future__ import annotations

import functools
import importlib.resources
import json
import re

import pandas as pd

from etl.errors import ShinchokuError
from etl.text import normalize

NATIONAL_CODE = "000000"
NATIONAL_NAMES = {"", "全国", "国", "national", "japan", "000000", "00000", "0", "00"}


def check_digit(code5: str) -> int:
    """検査数字 of a 5-digit code: weights 6,5,4,3,2; 11 minus the remainder mod 11, last digit."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10


def _load_json(name: str) -> list[dict]:
    return json.loads(importlib.resources.files("japancode.data").joinpath(name).read_text(encoding="utf-8"))


@functools.cache
def area_table() -> pd.DataFrame:
    """areas: area_code, code5, level, name, name_kana, prefecture_code, prefecture, parent_code, kind, lat, lon."""
    prefs = _load_json("prefectures.json")
    munis = _load_json("municipalities.json")
    rows = [
        {"area_code": NATIONAL_CODE, "code5": "00000", "level": "national", "name": "全国", "name_kana": "ぜんこく",
         "prefecture_code": None, "prefecture": None, "parent_code": None, "kind": "国", "lat": None, "lon": None}
    ]
    pref_code = {}
    for p in prefs:
        code = p["lgcode"].zfill(6)
        pref_code[p["pref"]] = code
        rows.append({"area_code": code, "code5": code[:5], "level": "prefecture", "name": p["pref"],
                     "name_kana": p["prefkana"], "prefecture_code": code[:2], "prefecture": p["pref"],
                     "parent_code": NATIONAL_CODE, "kind": "都道府県", "lat": None, "lon": None})
    designated: dict[tuple[str, str], str] = {}
    for m in munis:
        code = m["lgcode"].zfill(6)
        if " " not in m["city"]:
            designated[(m["pref"], m["city"])] = code
    for m in munis:
        code = m["lgcode"].zfill(6)
        city = m["city"]
        if " " in city:  # "札幌市 中央区": a ward of a designated city
            parent_name, ward = city.split(" ", 1)
            parent = designated[(m["pref"], parent_name)]
            level, kind, name = "ward", "行政区", parent_name + ward
        else:
            parent, level, name = pref_code[m["pref"]], "municipality", city
            kind = {"市": "市", "町": "町", "村": "村", "区": "特別区"}[city[-1]]
        rows.append({"area_code": code, "code5": code[:5], "level": level, "name": name,
                     "name_kana": normalize(m["citykana"]).replace(" ", ""), "prefecture_code": code[:2],
                     "prefecture": m["pref"], "parent_code": parent, "kind": kind,
                     "lat": float(m["lat"]), "lon": float(m["lng"])})
    df = pd.DataFrame(rows)
    has_wards = set(df.loc[df.level == "ward", "parent_code"])
    df.loc[df.area_code.isin(has_wards), "kind"] = "政令指定都市"
    # A prefecture's point is the mean of its municipalities' (the package has no prefecture coordinates).
    centres = df[df.level == "municipality"].groupby("prefecture_code")[["lat", "lon"]].mean()
    is_pref = df.level == "prefecture"
    df.loc[is_pref, "lat"] = df.loc[is_pref, "prefecture_code"].map(centres["lat"])
    df.loc[is_pref, "lon"] = df.loc[is_pref, "prefecture_code"].map(centres["lon"])
    bad = [c for c in df.area_code if c != NATIONAL_CODE and check_digit(c[:5]) != int(c[5])]
    if bad:
        raise ShinchokuError(f"japancode: codes with a wrong check digit: {bad[:5]}")
    return df


@functools.cache
def _lookup() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    df = area_table()
    by6 = {r.area_code: (r.area_code, r.level) for r in df.itertuples()}
    by5 = {r.code5: (r.area_code, r.level) for r in df.itertuples()}
    return by6, by5


_PREF2 = re.compile(r"\d{1,2}")


def resolve_area(raw) -> tuple[str | None, str | None, str | None]:
    """(area_code, level, error) for what people type as 団体コード.

    Accepts a 6-digit code (check digit verified), a 5-digit code, a prefecture
    number ('13' or '1'), and 全国/empty for the nation. The error is Japanese.
    """
    text = normalize("" if raw is None else str(raw)).replace("-", "")
    if text.endswith(".0"):  # Excel turned the code into a number
        text = text[:-2]
    if text.lower() in NATIONAL_NAMES:
        return NATIONAL_CODE, "national", None
    by6, by5 = _lookup()
    if re.fullmatch(r"\d{6}", text):
        if check_digit(text[:5]) != int(text[5]):
            return None, None, f"団体コード「{raw}」の検査数字が正しくありません(正: {text[:5]}{check_digit(text[:5])})"
        hit = by6.get(text)
    elif re.fullmatch(r"\d{5}", text):
        # a 5-digit code, or a 6-digit code whose leading zero Excel dropped (011011 → 11011)
        hit = by5.get(text)
        if hit is None and check_digit("0" + text[:4]) == int(text[4]):
            hit = by6.get("0" + text)
    elif re.fullmatch(r"\d{4}", text) and text.startswith(("1", "2", "3", "4", "5", "6", "7", "8", "9")):
        hit = by5.get("0" + text)  # a 5-digit code whose leading zero was lost
    elif _PREF2.fullmatch(text) and 1 <= int(text) <= 47:
        hit = by5.get(f"{int(text):02d}000")
    else:
        return None, None, f"団体コード「{raw}」の形式が正しくありません(6桁・5桁の団体コード、都道府県番号、または「全国」)"
    if hit is None:
        return None, None, f"団体コード「{raw}」に該当する団体がありません"
    return hit[0], hit[1], None
