"""Japanese display labels: fiscal years in 和暦 with the western year, status text, list cells."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from etl.text import date_to_wareki, fy_label, period_label

KIND_JA = {"progress": "進捗", "effect": "効果", "reference": "参考指標"}
LEVEL_JA = {"national": "全国", "prefecture": "都道府県", "municipality": "市区町村", "ward": "区"}


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def plain(text) -> str:
    """Text from users or files made inert for st.markdown/st.error/st.caption: every character that
    Markdown, Streamlit's directives (:red[…], :material/…:) or LaTeX ($…$) would interpret is escaped,
    so a link or image in an uploaded file stays visible text and is never fetched or clickable. Bare
    addresses (http://…, www.…, name@host) would still be auto-linked after the escapes are resolved:
    a zero-width space inside them breaks the link and leaves the text as it reads."""
    text = _BIDI_CONTROLS.sub("\ufffd", str(text))  # a right-to-left override would reorder the sentence
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("\n", "  \n")
    return re.sub(r"(?i)(/)(?=/)|(www)(?=\\\.)|(@)", lambda m: m.group(0) + "\u200b", text)


def fy(value) -> str:
    """'平成29年度 (2017)' for 2017; '—' for a missing year."""
    if value is None or pd.isna(value):
        return "—"
    return fy_label(int(value))


def date_ja(d: dt.date) -> str:
    """'令和3年3月31日 (2021-03-31)'."""
    return f"{date_to_wareki(d)} ({d.isoformat()})"


def period(key) -> str:
    """'FY2020' → 令和2(2020)年度, '2021-03' → 令和3(2021)年3月 ('—' when missing)."""
    return period_label(key)


def deadline(d) -> str:
    """A deadline in the views' style: 令和3(2021)年3月31日 ('—' when missing)."""
    if d is None or pd.isna(d):
        return "—"
    d = pd.Timestamp(d).date()
    era = date_to_wareki(d)
    return era[: era.index("年")] + f"({d.year})年{d.month}月{d.day}日"


def location(where: str) -> str:
    """A place in a source document in Japanese, without its stored file name: '004_….txt line 453' →
    'テキスト版 453行目'; 'line 361, 施策 No 5, column 対応する柱' → '361行目、施策 No 5、列「対応する柱」'."""
    text = str(where)
    if m := re.fullmatch(r"\S+\.txt line (\d+(?:, \d+)*)", text):  # one line, or the lines of a sum
        return f"テキスト版 {m.group(1).replace(', ', '、')}行目"
    parts = []
    for part in text.split(", "):
        if m := re.fullmatch(r"line (\d+)", part):
            parts.append(f"{m.group(1)}行目")
        elif m := re.fullmatch(r"line (\d+)-(\d+)", part):
            parts.append(f"{m.group(1)}〜{m.group(2)}行目")
        elif m := re.fullmatch(r"column (20\d\d)", part):  # a fiscal-year column of the 工程表
            parts.append(f"{m.group(1)}年度の列")
        elif m := re.fullmatch(r"column (\d+)", part):
            parts.append(f"{m.group(1)}列目")
        elif m := re.fullmatch(r"column (.+)", part):
            parts.append(f"列「{m.group(1)}」")
        else:
            parts.append(part)
    return "、".join(parts)


def timestamp(t) -> str:
    """令和3(2021)年4月25日 10:00 ('—' when missing)."""
    if t is None or pd.isna(t):
        return "—"
    t = pd.Timestamp(t)
    return f"{deadline(t)} {t:%H:%M}"


def join(values, sep: str = "、") -> str:
    """A list cell (e.g. ministries) as one line of text."""
    if values is None or isinstance(values, (float, str)) and (values != values or values == ""):
        return "" if not isinstance(values, str) else values
    return sep.join(str(v) for v in values)


def status(icon, label) -> str:
    """'○ 順調': status is never shown by colour alone."""
    return f"{icon} {label}" if isinstance(label, str) else "—"


def projection(value, reach_date, reaches: bool | None, unit: str | None = None) -> str:
    """'期限時点 3,022件、到達 令和5年1月11日 (2023-01-11)' — the pace of a judged KPI carried forward."""
    if reaches is None or pd.isna(reaches):
        return ""
    at_deadline = f"期限時点 {number(value, unit)}"
    if reach_date is None or pd.isna(reach_date):
        return f"{at_deadline}、現在のペースでは到達しない"
    when = date_ja(pd.Timestamp(reach_date).date())
    return f"{at_deadline}、到達見込み {when}" + ("" if reaches else "(期限後)")


def status_series(df: pd.DataFrame) -> list[str]:
    """'○ 順調' for each row of a frame with status_icon and status_label."""
    return [status(i, s) for i, s in zip(df["status_icon"], df["status_label"])]


def number(v, unit: str | None = None) -> str:
    if v is None or pd.isna(v):
        return "—"
    text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    return f"{text}{unit if isinstance(unit, str) else ''}"


# Codes shown to people, in Japanese.
ISSUE_KINDS_JA = {
    "conflicting_duplicate": "内容の異なる重複行", "duplicate_row": "重複行(除外)", "item_in_section_column": "施策群の列にある項目",
    "lead_not_marked": "主担当(◎)の記載なし", "merged_section_labels": "一つのセルに複数の施策群名",
    "missing_national_no": "国の施策番号なし", "missing_pillar": "柱の記載なし", "no_target": "目標値の記載なし",
    "section_in_year_column": "年度の列にある施策群名", "section_without_items": "項目のない施策群",
    "shifted_effect_flags": "期待される効果の列ずれ", "unparsed_target": "読み取れない目標",
    "unknown_ministry": "府省庁一覧にない府省庁名", "ambiguous_effect_flags": "期待される効果の列が不明確",
    "unknown_pillar": "既知でない柱名", "unreadable_listing": "掲載時期を読めない",
    "uncertain_section": "施策群の判定が不確実", "possible_duplicate_kept": "重複の可能性(別の工程として保持)",
    "direction_list_by_order": "方向性と小項目の対応(並び順)", "direction_list_unconfirmed": "方向性と小項目の対応が内容と合わない",
    "sub_measure_joined": "改行をはさむ小項目を結合", "description_heading_differs": "説明の見出しの表記ゆれ",
    "recovery_description_by_order": "復興の取組の説明(並び順)", "recovery_paragraph_unused": "使わなかった段落",
    "direction_title_differs": "方向性の見出しの表記ゆれ", "sub_numbering_gap": "小項目の番号の欠け",
    "description_duplicate": "同じ小項目の説明が複数", "description_unmatched": "対応する小項目のない説明",
    "recovery_description_missing": "復興の取組の説明なし", "recovery_description_unconfirmed": "復興の取組の説明の対応が未確認",
    "recovery_heading_unconfirmed": "復興の取組の見出しが未確認",
    "figure_without_date": "時点のない数値", "figure_date_uncertain": "数値の時点が不確実",
}
SEVERITY_JA = {"warning": "要確認", "info": "判断の記録"}
RULE_JA = {
    "growth": "数値目標と期限: 実際の伸びと必要な伸びの比(成長率比)で判定", "maintain": "維持すべき目標: 下回らないかで判定",
    "annual": "毎年の目標: 最新の値で判定", "no_deadline": "期限のない数値目標: 到達していれば達成、未達なら傾向",
    "milestone": "期限つきの実施目標: 実施済みの報告で判定", "trend": "目標なし: 傾向のみ(判定の件数に含めない)",
}
MODE_JA = {"all_or_nothing": "全件読込", "accept_valid": "正常な行のみ", "synthetic": "合成データ", "datacall": "照会の回答", "comment": "画面入力(取組状況)"}
RELATION_JA = {"exact": "KPIの値", "component": "合計の一部", "proxy": "参考(近い指標)"}
ORIGIN_JA = {"load": "報告", "document": "資料の記載", "aggregated": "団体の合計"}

# Column headings for tables shown as they come from a query (the CSV downloads keep them too).
COLUMNS_JA = {
    "source": "出典", "location": "箇所", "kind": "種別", "severity": "重要度", "entity_id": "対象ID", "message": "内容",
    "batch_id": "読込ID", "sheet": "シート", "row_number": "行", "kpi_id": "KPI", "area": "団体", "period": "期間",
    "value": "値", "unit": "単位", "note": "備考", "reasons": "理由", "file_name": "ファイル", "loaded_at": "読込日時",
    "loaded_by": "読込者", "mode": "方式", "rows_total": "行数", "rows_loaded": "読込行数", "rows_rejected": "不採用行数",
    "is_synthetic": "合成データ", "synthetic": "合成データ", "name": "指標", "area_level": "単位団体",
    "areas": "団体数", "periods": "期間数", "stored_values": "値の数(改訂を含む)", "first_period": "最初の期間",
    "last_period": "最後の期間", "ministry": "府省庁", "status_label": "状況", "kpis": "KPI数", "origin": "種類",
    "pillar": "柱", "measures": "施策数", "direction": "方向性", "sub_measure": "小項目", "role": "対応",
    "reason": "理由", "thing": "対象", "as_of_text": "時点(原文)", "quote": "原文", "relation": "関係", "line": "行",
}


def ja_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with Japanese column headings where one is defined."""
    return df.rename(columns=COLUMNS_JA)


def pillar(name: str, short: dict[str, str]) -> str:
    """One vocabulary for pillars: the short name the pages use, the official name beside it."""
    return f"{short[name]}({name})" if short.get(name) and short[name] != name else name
