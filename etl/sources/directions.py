"""Parser of 総務省「ICT政策の方向性」(002_…): the five policy directions ①–⑤ and their sub-measures.

The slide text is scrambled by the extraction, so the parser reads structure,
not positions:

* direction titles are lines opening with a circled number; the titles block
  is the last complete ①–⑤ run before the sub-measure lists (its order can be
  scrambled, the circled number is what names a direction);
* sub-measure lists are runs of ``(1) (2) …`` lines, one run per direction,
  restarting at (1); they appear in direction order, so the k-th list goes to
  direction k, and every such assignment is checked against the words the list
  shares with the titles (a disagreement becomes a warning);
* a description is a heading line followed by ``・`` bullets, matched to the
  sub-measure it names;
* the closing 東日本大震災 block (direction 0) is the paragraph after the
  descriptions, confirmed by the 第N章 heading that carries the same title, with
  numbered items ``1 …``, ``2 …`` and, after the 課題 bullets, one 取組・支援
  paragraph per item.

Every decision that rests on order or similarity rather than on explicit
structure is reported as a QualityIssue.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from etl.errors import QualityIssue, SourceError
from etl.text import normalize

DIRECTION_COUNT = 5
RECOVERY_DIRECTION_NO = 0  # the 東日本大震災 block, outside the five directions
COLUMNS = ["direction_no", "direction", "sub_no", "sub_id", "sub_measure", "description", "source_line"]
FUZZY_HEADING_MIN = 0.8  # difflib ratio for a description heading written slightly differently
GENERIC_WORDS = frozenset({"推進", "促進", "取組"})  # in nearly every title: no evidence of a match

_CIRCLED = "①②③④⑤⑥⑦⑧⑨"
_CIRCLED_RE = re.compile(rf"^([{_CIRCLED}])\s*(.*)$")
_SUB_RE = re.compile(r"^\((\d{1,2})\)\s*(.*)$")  # （１） after normalize
_NUMBERED_RE = re.compile(r"^(\d)\s+(\S.*)$")  # "１ ＩＣＴに関する" after normalize
_CHAPTER_RE = re.compile(r"^第(\d)章$")
_BULLET = "・"
_WORD_RE = re.compile(r"[\u4e00-\u9fff々]+|[\u30a1-\u30fa\u30fc]{2,}|[A-Za-z]{2,}")  # ・ separates words


@dataclass
class ParsedDirections:
    directions: pd.DataFrame  # one row per sub-measure, columns COLUMNS
    issues: list[QualityIssue] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    """A numbered entry of the slide text: circled title, list item or numbered item."""

    no: int
    text: str
    line: int  # 1-based line of the number
    last_line: int  # 1-based line of the last continuation
    joined_across_blank: bool = False


# ---------------------------------------------------------------- line classes


def _is_bullet(line: str) -> bool:
    return line.startswith(_BULLET)


def _is_heading(lines: list[str], i: int) -> bool:
    """A non-bullet line directly followed by a ・ bullet: a description heading."""
    return bool(lines[i]) and not _is_bullet(lines[i]) and i + 1 < len(lines) and _is_bullet(lines[i + 1])


def _starts_entry(line: str) -> bool:
    return bool(_CIRCLED_RE.match(line) or _SUB_RE.match(line) or _is_bullet(line))


def _join(parts: list[str]) -> str:
    """Lines of one wrapped phrase, joined without spaces (Japanese has none at a line break)."""
    return "".join(p.strip() for p in parts)


# ---------------------------------------------------------------- entries


def _circled_entries(lines: list[str]) -> list[_Entry]:
    """Every line opening with ①–⑨, with its continuation lines up to the next blank line."""
    out = []
    for i, line in enumerate(lines):
        m = _CIRCLED_RE.match(line)
        if not m:
            continue
        parts, j = [m.group(2)], i + 1
        while j < len(lines) and lines[j] and not _starts_entry(lines[j]):
            parts.append(lines[j])
            j += 1
        out.append(_Entry(_CIRCLED.index(m.group(1)) + 1, _join(parts), i + 1, j))
    return out


def _circled_blocks(entries: list[_Entry]) -> list[list[_Entry]]:
    """Runs of circled entries; a run ends when a number it already holds comes again."""
    blocks: list[list[_Entry]] = []
    for e in entries:
        if not blocks or e.no in {x.no for x in blocks[-1]}:
            blocks.append([])
        blocks[-1].append(e)
    return blocks


def _is_complete(block: list[_Entry], count: int = DIRECTION_COUNT) -> bool:
    return sorted(e.no for e in block) == list(range(1, count + 1))


def _sub_item(lines: list[str], i: int) -> _Entry:
    """The list item at line index i with its continuation: following lines, across at most one blank
    line, that are neither a new entry nor a description heading."""
    m = _SUB_RE.match(lines[i])
    assert m, lines[i]
    parts, j, last, across = [m.group(2)], i + 1, i, False
    while j < len(lines):
        if lines[j]:
            if _starts_entry(lines[j]) or _is_heading(lines, j):
                break
            parts.append(lines[j])
            across = across or j > last + 1
            last = j
            j += 1
        elif j == last + 1:  # one blank line may sit inside a wrapped item
            j += 1
        else:
            break
    return _Entry(int(m.group(1)), _join(parts), i + 1, last + 1, across)


def _sub_lists(lines: list[str], start: int = 0) -> tuple[list[list[_Entry]], int]:
    """The (1) (2) … lists from the first (1) at or after `start`; a new list starts at every (1).

    Returns the lists and the index of the line after the last item (where descriptions begin).
    """
    i = next((k for k in range(start, len(lines)) if (m := _SUB_RE.match(lines[k])) and m.group(1) == "1"), None)
    if i is None:
        return [], start
    lists: list[list[_Entry]] = []
    end = i
    while i < len(lines):
        if _SUB_RE.match(lines[i]):
            item = _sub_item(lines, i)
            if item.no == 1 or not lists:
                lists.append([])
            lists[-1].append(item)
            end = i = item.last_line
        elif not lines[i]:
            i += 1
        else:
            break
    return lists, end


# ---------------------------------------------------------------- content check


def words(text: str) -> set[str]:
    """Content words of a Japanese text: kanji bigrams, katakana and Latin words (no generic words)."""
    out = set()
    for w in _WORD_RE.findall(text):
        if "\u4e00" <= w[0] <= "\u9fff" or w[0] == "々":
            out.update(w[k:k + 2] for k in range(max(1, len(w) - 1)))
        else:
            out.add(w)
    return {w for w in out if len(w) > 1} - GENERIC_WORDS


def best_matches(text: str, candidates: dict[int, str]) -> tuple[set[int], dict[int, set[str]]]:
    """The candidates sharing the most content words with `text` (several on a tie, none without overlap)."""
    shared = {k: words(text) & words(v) for k, v in candidates.items()}
    top = max((len(v) for v in shared.values()), default=0)
    return ({k for k, v in shared.items() if len(v) == top} if top else set()), shared


def _circled_list(numbers) -> str:
    return "".join(_CIRCLED[n - 1] for n in sorted(numbers))


# ---------------------------------------------------------------- descriptions


def _paragraph(lines: list[str], i: int) -> tuple[list[str], int]:
    """Consecutive non-blank lines from index i; returns them and the index after."""
    j = i
    while j < len(lines) and lines[j]:
        j += 1
    return lines[i:j], j


def _join_items(parts: list[str]) -> str:
    """Lines of a paragraph: wrapped lines joined, a new line before each ・ or circled item."""
    out: list[str] = []
    for p in parts:
        if out and (_is_bullet(p) or _CIRCLED_RE.match(p)):
            out.append("\n")
        out.append(p.strip())
    return "".join(out)


def _descriptions(lines: list[str], start: int) -> tuple[list[tuple[str, str, int]], int]:
    """(heading, text, line) of each heading + ・ bullets description from `start`; and the index after."""
    out, i, end = [], start, start
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        if not _is_heading(lines, i):
            break
        heading, bullets, j = lines[i], [], i + 1
        while j < len(lines) and (_is_bullet(lines[j]) or not lines[j]):
            if lines[j]:
                para, j = _paragraph(lines, j)
                bullets.append(_join(para)[len(_BULLET):].strip())
            else:
                j += 1
        out.append((heading, "\n".join(bullets), i + 1))
        i = end = j
    return out, end


def _bare(text: str) -> str:
    return re.sub(r"[「」\s]", "", text)


def match_heading(heading: str, subs: dict[str, str]) -> tuple[str | None, float]:
    """The sub_id a description heading names: unique containment (ratio 1.0), else the best similar one."""
    h = _bare(heading)
    contained = [k for k, v in subs.items() if h and h in _bare(v)]
    if len(contained) == 1:
        return contained[0], 1.0
    ratios = {k: difflib.SequenceMatcher(None, h, _bare(v)).ratio() for k, v in subs.items()}
    best = sorted(ratios, key=ratios.get, reverse=True)
    if best and ratios[best[0]] >= FUZZY_HEADING_MIN and (len(best) == 1 or ratios[best[1]] < ratios[best[0]]):
        return best[0], ratios[best[0]]
    return None, ratios[best[0]] if best else 0.0


# ---------------------------------------------------------------- chapters and the recovery block


def _chapter_of(lines: list[str], heading: str) -> int | None:
    """The N of the 第N章 whose title, read over its wrapped lines (blank lines skipped), is `heading`."""
    target = _bare(heading)
    for i, line in enumerate(lines):
        m = _CHAPTER_RE.match(_bare(line))
        if not m or not target:
            continue
        title = ""
        for following in lines[i + 1:]:
            if len(title) >= len(target) or _CHAPTER_RE.match(_bare(following)):
                break
            title += _bare(following)
        if title.startswith(target):
            return int(m.group(1))
    return None


def _numbered_items(lines: list[str], start: int) -> tuple[list[_Entry], int]:
    """Items "1 …", "2 …" from the first one at or after `start`, each to the next blank line."""
    items: list[_Entry] = []
    i = start
    while i < len(lines):
        m = _NUMBERED_RE.match(lines[i])
        if m and int(m.group(1)) == len(items) + 1:
            para, j = _paragraph(lines, i)
            items.append(_Entry(int(m.group(1)), _join([m.group(2), *para[1:]]), i + 1, j))
            i = j
        elif items and lines[i]:
            break
        else:
            i += 1
    return items, i


def _support_paragraphs(lines: list[str], indented: list[bool], start: int) -> list[tuple[str, int]]:
    """Paragraphs after the items, without the 課題 ones: (text, line).

    The 課題 column is a bulleted list; the extraction drops the bullet glyph but keeps the space after it,
    so a 課題 paragraph is one whose first line is indented.
    """
    out, i = [], start
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        para, j = _paragraph(lines, i)
        if not indented[i]:
            out.append((_join_items(para), i + 1))
        i = j
    return out


# ---------------------------------------------------------------- parser


def _read_lines(path: Path) -> tuple[list[str], list[bool]]:
    """Normalized lines, and whether each raw line was indented (where the PDF had a bullet glyph)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"{path.name}: ファイルを読めません({e})") from e
    raw = text.split("\n")
    return [normalize(l) for l in raw], [bool(re.match(r"[ \t\u3000]+\S", l)) for l in raw]


def _titles_block(name: str, lines: list[str], first_list_line: int) -> tuple[list[_Entry], list[list[_Entry]]]:
    """The last complete ①–⑤ block before the lists, and every complete block (for cross-checks)."""
    blocks = [b for b in _circled_blocks(_circled_entries(lines)) if _is_complete(b)]
    before = [b for b in blocks if b[0].line < first_list_line]
    if not before:
        raise SourceError(f"{name}: line {first_list_line}: 小項目の一覧より前に①〜⑤がそろった方向性の見出しが見つかりません"
                          f"(ファイルが途中で切れているか、別の資料です)")
    return sorted(before[-1], key=lambda e: e.no), blocks


def _title_issues(name: str, titles: list[_Entry], blocks: list[list[_Entry]]) -> list[QualityIssue]:
    """Other complete ①–⑤ blocks that repeat some titles must repeat them all, word for word."""
    issues = []
    by_no = {e.no: e for e in titles}
    for block in blocks:
        if block[0].line in {e.line for e in titles}:
            continue
        same = [e for e in block if e.text == by_no[e.no].text]
        if same and len(same) < len(block):
            for e in block:
                if e.text != by_no[e.no].text:
                    issues.append(QualityIssue(
                        name, f"line {e.line}", "direction_title_differs",
                        f"方向性{_CIRCLED[e.no - 1]}の見出しが資料内で食い違います:「{e.text}」と"
                        f"「{by_no[e.no].text}」(line {by_no[e.no].line})。後者を採用しました。", f"D{e.no}"))
    return issues


def _assign_lists(name: str, titles: list[_Entry], lists: list[list[_Entry]],
                  descriptions: dict[int, list[str]]) -> list[QualityIssue]:
    """Issues for the k-th list → direction k decisions, each checked by shared words."""
    order = "".join(_CIRCLED[e.no - 1] for e in sorted(titles, key=lambda e: e.line))
    by_no = {e.no: e.text for e in titles}
    issues = []
    for k, items in enumerate(lists, start=1):
        text = "".join(i.text for i in items) + "".join(descriptions.get(k, []))
        top, shared = best_matches(text, by_no)
        where = f"line {items[0].line}-{items[-1].last_line}"
        common = "、".join(sorted(shared[k])) or "なし"
        if k in top:
            tie = f"。同数で{_circled_list(top - {k})}とも共通" if len(top) > 1 else ""
            issues.append(QualityIssue(
                name, where, "direction_list_by_order",
                f"{k}番目の小項目一覧を方向性{_CIRCLED[k - 1]}に割り当てました(見出しの並びが{order}のため並び順で対応付け。"
                f"内容の照合とも矛盾しません: 共通語 {common}{tie})。", f"D{k}", "info"))
        else:
            other = f"方向性{_circled_list(top)}のほうが近い" if top else "どの見出しとも共通語がない"
            issues.append(QualityIssue(
                name, where, "direction_list_unconfirmed",
                f"{k}番目の小項目一覧を並び順で方向性{_CIRCLED[k - 1]}「{by_no[k]}」に割り当てましたが、"
                f"内容の照合では{other}ため確認できません(方向性{_CIRCLED[k - 1]}との共通語: {common})。", f"D{k}"))
    return issues


def _list_rows(name: str, titles: list[_Entry], lists: list[list[_Entry]]) -> tuple[list[dict], list[QualityIssue]]:
    rows, issues = [], []
    by_no = {e.no: e.text for e in titles}
    for k, items in enumerate(lists, start=1):
        numbers = [i.no for i in items]
        if numbers != list(range(1, len(items) + 1)):
            issues.append(QualityIssue(name, f"line {items[0].line}", "sub_numbering_gap",
                                       f"方向性{_CIRCLED[k - 1]}の小項目の番号が連続していません: {numbers}", f"D{k}"))
        for item in items:
            sub_id = f"D{k}-{item.no}"
            rows.append({"direction_no": k, "direction": by_no[k], "sub_no": item.no, "sub_id": sub_id,
                         "sub_measure": item.text, "description": None, "source_line": item.line})
            if item.joined_across_blank:
                issues.append(QualityIssue(
                    name, f"line {item.line}-{item.last_line}", "sub_measure_joined",
                    f"小項目「{item.text}」は空行をはさんだ次の行と続けて一つの項目として読みました。", sub_id, "info"))
    return rows, issues


def _attach_descriptions(name: str, rows: list[dict], found: list[tuple[str, str, int]]) -> list[QualityIssue]:
    issues = []
    subs = {r["sub_id"]: r["sub_measure"] for r in rows}
    by_id = {r["sub_id"]: r for r in rows}
    for heading, text, line in found:
        sub_id, ratio = match_heading(heading, subs)
        if sub_id is None:
            issues.append(QualityIssue(name, f"line {line}", "description_unmatched",
                                       f"説明文「{heading}」に対応する小項目が見つからないため、使いませんでした。"))
            continue
        if by_id[sub_id]["description"] is not None:
            issues.append(QualityIssue(name, f"line {line}", "description_duplicate",
                                       f"小項目「{subs[sub_id]}」の説明文が二つあります。最初のものを使いました。", sub_id))
            continue
        by_id[sub_id]["description"] = text
        if ratio < 1.0:
            issues.append(QualityIssue(
                name, f"line {line}", "description_heading_differs",
                f"説明文の見出し「{heading}」は小項目「{subs[sub_id]}」と表記が異なります(類似度{ratio:.2f})が、"
                f"同じ項目とみなしました。", sub_id, "info"))
    return issues


def _recovery_rows(name: str, lines: list[str], indented: list[bool], start: int) -> tuple[list[dict], list[QualityIssue]]:
    """Direction 0: the block after the descriptions, confirmed by a 第N章 heading."""
    head = next((i for i in range(start, len(lines)) if lines[i]), None)
    if head is None:
        raise SourceError(f"{name}: line {len(lines)}: 説明文の後に続くはずの最後のブロック(第4章の取組)が見つかりません"
                          f"(ファイルが途中で切れています)")
    heading = lines[head]
    items, after = _numbered_items(lines, head + 1)
    if not items:
        raise SourceError(f"{name}: line {head + 1}: 「{heading}」の後に番号付きの項目(1 …)が見つかりません")
    issues = []
    chapter = _chapter_of(lines, heading)
    if chapter is None:
        issues.append(QualityIssue(name, f"line {head + 1}", "recovery_heading_unconfirmed",
                                   f"最後のブロックの見出し「{heading}」はどの章見出しとも一致しません。", f"D{RECOVERY_DIRECTION_NO}"))
    paragraphs = _support_paragraphs(lines, indented, after)
    rows = []
    for item in items:
        sub_id = f"D{RECOVERY_DIRECTION_NO}-{item.no}"
        rows.append({"direction_no": RECOVERY_DIRECTION_NO, "direction": heading, "sub_no": item.no, "sub_id": sub_id,
                     "sub_measure": item.text, "description": None, "source_line": item.line})
    issues += _recovery_descriptions(name, rows, items, paragraphs)
    return rows, issues


def _recovery_descriptions(name: str, rows: list[dict], items: list[_Entry],
                           paragraphs: list[tuple[str, int]]) -> list[QualityIssue]:
    """The k-th 取組・支援 paragraph describes item k (table column order); checked by shared words."""
    issues = []
    titles = {i.no: i.text for i in items}
    for row, (text, line) in zip(rows, paragraphs):
        top, shared = best_matches(text, titles)
        row["description"] = text
        k = row["sub_no"]
        if top == {k}:
            issues.append(QualityIssue(
                name, f"line {line}", "recovery_description_by_order",
                f"取組・支援の{k}番目の段落を項目{k}「{row['sub_measure']}」の説明としました(並び順による対応付け。"
                f"内容の照合でも一致: 共通語 {'、'.join(sorted(shared[k]))})。", row["sub_id"], "info"))
        else:
            issues.append(QualityIssue(
                name, f"line {line}", "recovery_description_unconfirmed",
                f"取組・支援の{k}番目の段落を並び順で項目{k}「{row['sub_measure']}」の説明としましたが、"
                f"内容の照合では確認できません(最も近い項目: {sorted(top) or 'なし'})。", row["sub_id"]))
    for text, line in paragraphs[len(rows):]:
        issues.append(QualityIssue(name, f"line {line}", "recovery_paragraph_unused",
                                   f"最後のブロックの段落「{text[:40]}」はどの項目にも割り当てませんでした。",
                                   None, "info"))
    if len(paragraphs) < len(rows):
        issues.append(QualityIssue(name, f"line {rows[-1]['source_line']}", "recovery_description_missing",
                                   f"取組・支援の段落が{len(paragraphs)}つしかなく、項目{len(rows)}つに足りません。",
                                   f"D{RECOVERY_DIRECTION_NO}"))
    return issues


def parse_directions(path: Path) -> ParsedDirections:
    """Parse 002 into the directions frame (one row per sub-measure, direction 0 = 東日本大震災) and issues."""
    name = path.name
    lines, indented = _read_lines(path)
    lists, lists_end = _sub_lists(lines)
    if not lists:
        raise SourceError(f"{name}: line {len(lines)}: (1)で始まる小項目の一覧が見つかりません"
                          f"(ファイルの終わりまで探しました。途中で切れているか、別の資料です)")
    titles, blocks = _titles_block(name, lines, lists[0][0].line)
    if len(lists) != len(titles):
        last = lists[-1][-1].last_line
        raise SourceError(f"{name}: line {last}: 小項目の一覧が{len(lists)}つしかありません"
                          f"(方向性は{len(titles)}つ。ファイルが途中で切れている可能性があります)")
    rows, issues = _list_rows(name, titles, lists)
    found, desc_end = _descriptions(lines, lists_end)
    issues += _attach_descriptions(name, rows, found)
    desc_by_direction: dict[int, list[str]] = {}
    for r in rows:
        if r["description"]:
            desc_by_direction.setdefault(r["direction_no"], []).append(r["description"])
    issues = _title_issues(name, titles, blocks) + _assign_lists(name, titles, lists, desc_by_direction) + issues
    recovery, recovery_issues = _recovery_rows(name, lines, indented, desc_end)
    df = pd.DataFrame(rows + recovery, columns=COLUMNS)
    return ParsedDirections(directions=df, issues=issues + recovery_issues)


# ---------------------------------------------------------------- measures → directions (reviewed mapping)

MAPPING_FILE = "measure_directions.yaml"
MAPPING_COLUMNS = ["measure_no", "role", "direction_no", "sub_id", "reason"]
_ENTRY_KEYS = {"measure_no", "title", "direction_no", "sub_id", "reason", "secondary"}
_SECONDARY_KEYS = {"direction_no", "sub_id", "reason"}


def load_mapping(path: Path) -> dict:
    """The reviewed mapping YAML (data/reference/measure_directions.yaml) as a dict."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SourceError(f"{path.name}: 読み込めません({e})") from e
    return data if isinstance(data, dict) else {}


def _target(where: str, entry: dict, sub_ids: dict[str, int], direction_nos: set[int],
            problems: list[str]) -> tuple[int | None, str | None]:
    """(direction_no, sub_id) of one mapping target; both None means "no direction"."""
    sub_id, direction_no = entry.get("sub_id"), entry.get("direction_no")
    if sub_id is not None and (not isinstance(sub_id, str) or sub_id not in sub_ids):
        problems.append(f"{where}: sub_id {sub_id!r} は 002 の小項目にありません(例: D1-1)")
        return direction_no, None
    if direction_no is not None and (not isinstance(direction_no, int) or isinstance(direction_no, bool)
                                     or direction_no not in direction_nos):
        problems.append(f"{where}: direction_no {direction_no!r} は 002 の方向性にありません({sorted(direction_nos)})")
        return None, sub_id
    if sub_id is not None:
        if direction_no is not None and direction_no != sub_ids[sub_id]:
            problems.append(f"{where}: direction_no {direction_no} と sub_id {sub_id} (方向性{sub_ids[sub_id]}) が食い違います")
        return sub_ids[sub_id], sub_id
    return direction_no, None


def _reason(where: str, entry: dict, problems: list[str]) -> str | None:
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}: reason(対応付けの理由)がありません")
        return None
    return reason.strip()


def _unknown_keys(where: str, entry: dict, allowed: set[str], problems: list[str]) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        problems.append(f"{where}: 不明な項目 {extra}(使える項目: {sorted(allowed)})")


def _entry_rows(where: str, entry: dict, no: int, sub_ids: dict[str, int], direction_nos: set[int],
                problems: list[str]) -> list[dict]:
    """The primary row and the secondary rows of one measure's entry."""
    _unknown_keys(where, entry, _ENTRY_KEYS, problems)
    direction_no, sub_id = _target(where, entry, sub_ids, direction_nos, problems)
    rows = [{"measure_no": no, "role": "primary", "direction_no": direction_no, "sub_id": sub_id,
             "reason": _reason(where, entry, problems)}]
    secondary = entry.get("secondary") or []
    if not isinstance(secondary, list):
        problems.append(f"{where}: secondary はリストで書いてください")
        return rows
    seen = {(direction_no, sub_id)}
    for j, sec in enumerate(secondary):
        w = f"{where}, secondary[{j}]"
        if not isinstance(sec, dict):
            problems.append(f"{w}: sub_id と reason を持つ項目ではありません")
            continue
        _unknown_keys(w, sec, _SECONDARY_KEYS, problems)
        d, s = _target(w, sec, sub_ids, direction_nos, problems)
        if d is None and s is None:
            problems.append(f"{w}: sub_id か direction_no が必要です(副次的な対応に「該当なし」は書きません)")
        elif (d, s) in seen:
            problems.append(f"{w}: {s or f'方向性{d}'} は同じ施策にすでに対応付けられています")
        seen.add((d, s))
        rows.append({"measure_no": no, "role": "secondary", "direction_no": d, "sub_id": s,
                     "reason": _reason(w, sec, problems)})
    return rows


def with_short_names(directions: pd.DataFrame, mapping: dict) -> tuple[pd.DataFrame, list[str]]:
    """The directions with the short name the mapping gives each (for charts); a direction without one is a problem."""
    names = {int(k): str(v) for k, v in (mapping.get("short_names") or {}).items()}
    missing = sorted(set(directions["direction_no"].astype(int)) - set(names))
    problems = [f"{MAPPING_FILE}: short_names に方向性 {missing} の短い名前がありません"] if missing else []
    return directions.assign(short_name=directions["direction_no"].map(names)), problems


def measure_direction_rows(mapping: dict, directions: pd.DataFrame,
                           measure_nos: set[int]) -> tuple[pd.DataFrame, list[str]]:
    """Rows of measure_directions (one primary per measure, optional secondaries) and the mapping's problems.

    The mapping is refused when problems is not empty: each message names the YAML entry.
    """
    problems: list[str] = []
    sub_ids = dict(zip(directions["sub_id"], directions["direction_no"].astype(int)))
    direction_nos = set(directions["direction_no"].astype(int))
    entries = mapping.get("measures") if isinstance(mapping, dict) else None
    if not isinstance(entries, list):
        return pd.DataFrame(columns=MAPPING_COLUMNS), [f"{MAPPING_FILE}: measures(施策ごとの対応付けのリスト)がありません"]
    rows: list[dict] = []
    seen: dict[int, int] = {}
    for i, entry in enumerate(entries):
        where = f"{MAPPING_FILE}: measures[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: measure_no と reason を持つ項目ではありません")
            continue
        no = entry.get("measure_no")
        where += f" (measure_no {no})"
        if not isinstance(no, int) or isinstance(no, bool):
            problems.append(f"{where}: measure_no がないか整数ではありません")
            continue
        if no not in measure_nos:
            problems.append(f"{where}: 施策 No {no} は施策一覧にありません")
            continue
        if no in seen:
            problems.append(f"{where}: 施策 No {no} は measures[{seen[no]}] と重複しています")
            continue
        seen[no] = i
        rows += _entry_rows(where, entry, no, sub_ids, direction_nos, problems)
    missing = sorted(measure_nos - set(seen))
    if missing:
        problems.append(f"{MAPPING_FILE}: 次の施策の対応付けがありません: {missing}")
    df = pd.DataFrame(rows, columns=MAPPING_COLUMNS)
    df["direction_no"] = df["direction_no"].astype("Int64")
    return df, problems
