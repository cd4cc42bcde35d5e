"""Reading observation files as people really send them: CSV (UTF-8, UTF-8 with BOM,
Shift_JIS/CP932) or XLSX, with title rows above the header, blank rows, Japanese or
English headers. Every data row keeps the row number the user sees in Excel (or
the line number of the CSV), so that errors point at the right place.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.errors import ShinchokuError
from etl.text import normalize

# Canonical column → header spellings (compared after normalising width, case and spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "kpi_id": ("kpi id", "kpi_id", "kpiid", "kpi", "kpi番号", "指標id", "指標番号"),
    "area": ("団体コード", "area_code", "area", "areacode", "地方公共団体コード", "全国地方公共団体コード", "団体", "code"),
    "period": ("期間", "period", "年度", "対象期間", "時点", "年月"),
    "value": ("値", "value", "実績値", "実績", "数値"),
    "source": ("出典", "source", "データ出典"),
    "note": ("備考", "note", "notes", "remarks", "コメント"),
    "unit": ("単位", "unit"),
}
REQUIRED = ("kpi_id", "period", "value")
HEADER_SCAN_ROWS = 30
FAST_READ_BYTES = 1_000_000  # files above this go through Arrow's CSV reader
HEAD_BYTES = 200_000
# Bounds checked before any parsing, so that a crafted file costs little to refuse.
MAX_CELL_CHARS = 32_767  # Excel's own limit: no genuine sheet holds a longer cell
MAX_ROWS = 1_048_576  # Excel's rows per sheet
MAX_COLUMNS = 64  # columns read from a sheet: the header must lie within them (a long template has ~10)
MAX_ARCHIVE_ENTRIES = 1_000
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # uncompressed, per XML part of an XLSX
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed for parts above 1 MiB; real sheets compress 5–30×
MAX_TEXT_RUN = MAX_CELL_CHARS * 6  # bytes of XML text between tags (UTF-8 and entities included)


class ObservationFileError(ShinchokuError):
    """The file cannot be read at all (format, encoding, no header)."""


@dataclass
class Sheet:
    file: str
    name: str | None  # sheet name of an XLSX, None for CSV
    header_row: int  # 1-based row of the header
    columns: dict[str, str]  # canonical name → header as the user wrote it
    rows: pd.DataFrame  # canonical columns as text (plus raw cells), and `row` = user's row number


def _key(text) -> str:
    return re.sub(r"\s+", "", normalize("" if text is None else str(text))).lower()


_ALIASES = {_key(a): canon for canon, names in COLUMNS.items() for a in names}


def _header_map(cells: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, c in enumerate(cells):
        canon = _ALIASES.get(_key(c))
        if canon and canon not in found:
            found[canon] = i
    return found


def _find_header(rows: list[list], where: str) -> tuple[int, dict[str, int]]:
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = _header_map(cells)
        if all(r in found for r in REQUIRED):
            return i, found
    raise ObservationFileError(
        f"{where}: 見出し行が見つかりません。最初の{HEADER_SCAN_ROWS}行に「KPI ID」「期間」「値」の列見出しが必要です"
        f"(英語の見出し kpi_id, period, value も可)"
    )


def decode_csv(data: bytes, name: str, partial: bool = False) -> tuple[str, str]:
    """(text, encoding) of a CSV in UTF-8 (with or without BOM) or Shift_JIS/CP932.

    partial: data is only the head of the file, possibly cut inside a character.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(data, final=not partial), encoding
        except UnicodeDecodeError as e:
            error = e
    raise ObservationFileError(f"{name}: 文字コードを判別できません(UTF-8 または Shift_JIS で保存してください。"
                               f"{error.start + 1:,}バイト目に読めない文字があります)")


def _head_rows(text: str, name: str) -> list[list[str]]:
    """The first 1,000 rows of a CSV text, with a Japanese error naming the line when it is not CSV."""
    reader = csv.reader(io.StringIO(text))
    try:
        return list(itertools.islice(reader, 1000))
    except csv.Error as e:
        if "field larger" in str(e):
            raise ObservationFileError(f"{name}: {reader.line_num}行目: セルが長すぎます(最大 {MAX_CELL_CHARS:,} 文字)") from None
        raise ObservationFileError(f"{name}: {reader.line_num}行目: CSVとして読み取れません(引用符や改行の使い方が正しくありません)") from None


def _frame(cells: pd.DataFrame, header_idx: int, found: dict[str, int], first_row_number: int) -> pd.DataFrame:
    """cells: indexed by 0-based row position (gaps allowed: an XLSX's empty rows are not kept)."""
    body = cells.loc[cells.index > header_idx]
    out = pd.DataFrame({canon: body.iloc[:, pos] for canon, pos in found.items()})
    for canon in COLUMNS:
        if canon not in out:
            out[canon] = ""
    out = out.fillna("").astype(str)
    out["row"] = (body.index + first_row_number).astype("int64")
    # a blank row has nothing but white space in every cell; look closely only at rows with an empty KPI ID
    candidates = out["kpi_id"].str.strip().eq("").to_numpy()
    blank = candidates.copy()
    if candidates.any():
        sub = out.loc[candidates, list(COLUMNS)]
        blank[candidates] = (sub.apply(lambda s: s.str.strip()) == "").all(axis=1).to_numpy()
    return out.loc[~blank].reset_index(drop=True)


def _body_fast(data: bytes, encoding: str, skip: int, width: int) -> pd.DataFrame | None:
    """The rows below the header read by Arrow's CSV reader (many times faster than pandas' own).

    Row i of the result is line skip + i + 1 of the file. Returns None when the body has blank
    lines or rows of another width, which the careful reader below handles with exact line numbers.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(i) for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, encoding=encoding),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return table.to_pandas().set_axis(range(width), axis=1)


def read_csv(path: Path, data: bytes | None = None) -> list[Sheet]:
    data = path.read_bytes() if data is None else data
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    large = len(body) > FAST_READ_BYTES
    # A large file is decoded here only as far as its header; Arrow checks the rest while reading.
    text, encoding = decode_csv(body[:HEAD_BYTES] if large else body, path.name, partial=large)
    if "\r" in text:  # classic Mac line endings (CR only), or CR and LF mixed: read every one as a line end
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # safe bytes: 0x0D is never inside a character
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    head = _head_rows(text, path.name)
    idx, found = _find_header(head, path.name)
    width = max(len(r) for r in head)  # title rows are narrower than the table: name the columns
    columns = {canon: str(head[idx][pos]) for canon, pos in found.items()}
    if large:
        fast = _body_fast(body, encoding, idx + 1, width)
        if fast is not None:
            return [Sheet(path.name, None, idx + 1, columns, _frame(fast, -1, found, first_row_number=idx + 2))]
        text, encoding = decode_csv(body, path.name)
    try:
        cells = pd.read_csv(io.StringIO(text), header=None, names=list(range(width)), dtype=str,
                            keep_default_na=False, skip_blank_lines=False)
    except pd.errors.ParserError as e:
        line = re.search(r"line (\d+)", str(e))
        where = f"{line.group(1)}行目付近: " if line else ""
        reason = "引用符(\")が閉じられていません" if "EOF inside string" in str(e) else "列の区切りが正しくありません"
        raise ObservationFileError(f"{path.name}: {where}CSVとして読み取れません({reason})") from None
    return [Sheet(path.name, None, idx + 1, columns, _frame(cells, idx, found, first_row_number=1))]


def _longest_text_run(part) -> int:
    """Longest run of bytes between '<' in a stream of XML (bounded memory): a text node's length."""
    longest = carry = 0
    for chunk in iter(lambda: part.read(1 << 20), b""):
        pieces = chunk.split(b"<")
        if len(pieces) == 1:
            carry += len(chunk)
        else:
            longest = max(longest, carry + len(pieces[0]), *(len(p) for p in pieces[1:-1]))
            carry = len(pieces[-1])
        if max(longest, carry) > MAX_TEXT_RUN:
            break
    return max(longest, carry)


def check_xlsx_archive(data: bytes, name: str) -> None:
    """Refuse an XLSX whose archive could make parsing slow or large (zip bombs, giant strings),
    from the sizes its entries declare (zipfile stops at the declared size) and a streaming scan."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ObservationFileError(f"{name}: Excelファイル(XLSX)ではありません(ZIP形式として読めません)") from None
    entries = archive.infolist()
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise ObservationFileError(f"{name}: ファイル内の部品が多すぎます({len(entries):,}個、上限 {MAX_ARCHIVE_ENTRIES:,}個)")
    if sum(e.file_size for e in entries) > MAX_TOTAL_BYTES:
        raise ObservationFileError(f"{name}: 展開後の大きさが上限({MAX_TOTAL_BYTES // 2**20:,} MB)を超えます")
    for e in entries:
        if e.file_size > MAX_ENTRY_BYTES:
            raise ObservationFileError(f"{name}: 部品 {e.filename} の展開後の大きさが上限({MAX_ENTRY_BYTES // 2**20:,} MB)を超えます")
        if e.file_size > 2**20 and e.file_size > MAX_RATIO * max(e.compress_size, 1):
            raise ObservationFileError(f"{name}: 部品 {e.filename} の圧縮率が異常に高いため読み込みません"
                                       f"({e.file_size // max(e.compress_size, 1):,}倍、上限 {MAX_RATIO}倍)")
    for e in entries:
        if e.filename.startswith("xl/") and e.filename.endswith(".xml") and e.file_size > MAX_TEXT_RUN:
            try:
                with archive.open(e) as part:
                    run = _longest_text_run(part)
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                raise ObservationFileError(f"{name}: 部品 {e.filename} が壊れています({err})") from None
            if run > MAX_TEXT_RUN:
                raise ObservationFileError(f"{name}: 部品 {e.filename} にセルの上限({MAX_CELL_CHARS:,} 文字)を超える文字列があります")


def _check_cells(sheet: Sheet, where: str) -> None:
    """Refuse cells longer than Excel allows, naming the row and column (linear, per column)."""
    for canon, header in sheet.columns.items():
        lengths = sheet.rows[canon].str.len()
        if len(lengths) and lengths.max() > MAX_CELL_CHARS:
            at = int(lengths.to_numpy().argmax())
            raise ObservationFileError(f"{where}: {int(sheet.rows['row'].iat[at])}行目「{header}」列: "
                                       f"セルが長すぎます({int(lengths.iat[at]):,}文字、上限 {MAX_CELL_CHARS:,}文字)")
    if len(sheet.rows) > MAX_ROWS:
        raise ObservationFileError(f"{where}: 行が多すぎます({len(sheet.rows):,}行、上限 {MAX_ROWS:,}行)")


def read_xlsx(path: Path, data: bytes | None = None) -> list[Sheet]:
    import openpyxl  # defusedxml, when installed, makes openpyxl parse untrusted XML safely

    data = path.read_bytes() if data is None else data
    check_xlsx_archive(data, path.name)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any parse failure is a file the user must fix
        raise ObservationFileError(f"{path.name}: Excelファイルとして開けません(壊れているか、XLSX形式ではありません)") from None
    sheets = []
    try:
        for ws in wb.worksheets:
            # only non-empty rows are kept, trimmed, at most MAX_COLUMNS wide: one cell at XFD1048576 in a
            # 5 KB file would otherwise become a billion empty cells
            rows: dict[int, list] = {}
            for i, r in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)):
                if i >= MAX_ROWS:
                    raise ObservationFileError(f"{path.name} / {ws.title}: 行が多すぎます(上限 {MAX_ROWS:,}行)")
                last = max((j for j, v in enumerate(r) if v is not None), default=-1)
                if last >= 0:
                    rows[i] = list(r[: last + 1])
            if not rows:
                continue
            head = [rows.get(i, []) for i in range(HEADER_SCAN_ROWS)]
            try:
                idx, found = _find_header(head, f"{path.name} / {ws.title}")
            except ObservationFileError:
                continue  # a sheet of notes or of the KPI list
            width = max(len(r) for r in rows.values())
            cells = pd.DataFrame([r + [None] * (width - len(r)) for r in rows.values()], index=list(rows), dtype=object)
            if "value" in found:  # a date typed as a value (the day a milestone was done) keeps its day
                cells[found["value"]] = cells[found["value"]].map(lambda v: v.date().isoformat() if hasattr(v, "hour") else v)
            cells = cells.map(_cell_text)
            columns = {canon: str(head[idx][pos]) for canon, pos in found.items()}
            sheets.append(Sheet(path.name, ws.title, idx + 1, columns, _frame(cells, idx, found, first_row_number=1)))
    finally:
        wb.close()
    if not sheets:
        raise ObservationFileError(f"{path.name}: 「KPI ID」「期間」「値」の見出しを持つシートがありません")
    return sheets


def _cell_text(v) -> str:
    """An Excel cell as the text the user sees: 2020 not 2020.0; dates as YYYY-MM."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "year") and hasattr(v, "month"):
        return f"{v.year}-{v.month:02d}"
    return str(v)


def read_file(path: Path, data: bytes | None = None) -> list[Sheet]:
    """All data sheets of an observation file (data: its bytes, when already read)."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ObservationFileError(f"{path}: ファイルがありません")
    if suffix in (".csv", ".txt"):
        sheets = read_csv(path, data)
    elif suffix in (".xlsx", ".xlsm"):
        sheets = read_xlsx(path, data)
    else:
        raise ObservationFileError(f"{path.name}: 対応していない形式です(CSV または XLSX)")
    for sheet in sheets:
        _check_cells(sheet, f"{path.name} / {sheet.name}" if sheet.name else path.name)
    return sheets
