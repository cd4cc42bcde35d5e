"""How much room wrapped Japanese text takes in a printed spreadsheet cell, measured with the font the
workbooks are written in, so that row heights can be set (Excel and LibreOffice do not grow a row for
wrapped text written by a program) and nothing is cut.

The font is BIZ UDPゴシック (Morisawa's universal-design Gothic): installed with Japanese Windows 10 (1809)
and later and with Microsoft Office, free (SIL OFL) elsewhere (Debian: fonts-morisawa-bizud-gothic), so
the workbook prints the same in Excel on a government PC and in LibreOffice here. Widths come from the
font file's own advance widths (fontTools); lines break as Excel breaks them: between any two Japanese
characters, and at spaces within Latin text (a word longer than the line is split). Without the font
file, every character is taken as full-width: never shorter than the truth.
"""
from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

FONT_NAME = "BIZ UDPゴシック"
FONT_FILES = ("BIZUDPGothic-Regular.ttf", "BIZ-UDGothicR.ttc")  # Debian / Linux; Windows (the P face is in the ttc)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
             "C:/Windows/Fonts", "~/AppData/Local/Microsoft/Windows/Fonts", "/Library/Fonts", "~/Library/Fonts")
PX_PER_PT = 96 / 72
# Excel sets a row a little taller than the font's ascent + descent (external leading and pixel rounding:
# 13.5 pt rows for 11 pt MS Pゴシック, ascent + descent 1.0 em); the same allowance here, checked in print
LEADING = 1.25
CELL_PADDING_PT = 2.0  # above and below the text in a cell
SIDE_PADDING_PX = 5  # a stored column width holds the text, plus 5 px of margins and grid line
NO_LINE_START = set("、。，．・：；？！ー）」』】〕〉》…‥ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ,.):;!?%")


@dataclass(frozen=True)
class Metrics:
    source: str  # the font file measured, or 'fallback'
    widths: dict[int, float]  # code point → advance in em
    line_em: float  # ascent + descent in em
    digit_em: float  # the widest digit: Excel's unit of column width

    def advance(self, ch: str) -> float:
        if self.widths:
            return self.widths.get(ord(ch), 1.0)
        return 0.5 if ord(ch) < 0x2E80 or 0xFF61 <= ord(ch) <= 0xFF9F else 1.0  # half-width ASCII/kana, else 1 em


def font_file() -> Path | None:
    """The BIZ UDPゴシック file: $SHINCHOKU_FONT_FILE, else the first found in the usual font folders."""
    if env := os.environ.get("SHINCHOKU_FONT_FILE"):
        return Path(env) if Path(env).is_file() else None
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for name in FONT_FILES:
            found = next(root.rglob(name), None)
            if found:
                return found
    return None


@functools.lru_cache(maxsize=1)
def metrics() -> Metrics:
    """The font's advance widths and vertical extent (read once per process)."""
    path = font_file()
    if path is None:
        return Metrics("fallback", {}, 1.0, 0.5)
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() == ".ttc":
        fonts = TTCollection(str(path)).fonts
        font = next((f for f in fonts if "UDPGothic" in (f["name"].getDebugName(6) or "")), fonts[0])
    else:
        font = TTFont(str(path))
    upm = font["head"].unitsPerEm
    hmtx = font["hmtx"]
    widths = {cp: hmtx[glyph][0] / upm for cp, glyph in font.getBestCmap().items()}
    os2 = font["OS/2"]
    line = max(os2.usWinAscent + os2.usWinDescent, os2.sTypoAscender - os2.sTypoDescender + os2.sTypoLineGap) / upm
    return Metrics(str(path), widths, line, max(widths.get(ord(d), 0.5) for d in "0123456789"))


def digit_px(size: float = 11.0) -> int:
    """Excel's maximum digit width in pixels for the workbook's default font at `size` pt."""
    return max(1, round(metrics().digit_em * size * PX_PER_PT))


def usable_pt(width: float, default_size: float = 11.0) -> float:
    """The printed width (pt) text may take in a column `width` wide as stored in the file (in digit
    widths of the default font at default_size pt, margins included)."""
    return max(width * digit_px(default_size) - SIDE_PADDING_PX, 1) / PX_PER_PT


def stored_width(points: float, default_size: float = 11.0) -> float:
    """The column width to store for a column `points` wide on paper, its margins included."""
    return round(points * PX_PER_PT / digit_px(default_size), 2)


def column_width(points: float, default_size: float = 11.0) -> float:
    """The column width to store for a text area `points` wide."""
    return round((points * PX_PER_PT + SIDE_PADDING_PX) / digit_px(default_size), 2)


_TOKEN = re.compile(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ.,:;%+\-/()（）'\"#&_=]+|\s|.", re.S)


def wrap(text: str, width_pt: float, size: float) -> list[str]:
    """The lines of `text` in a cell whose text area is width_pt wide, at `size` pt."""
    m = metrics()
    out: list[str] = []
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for token in _TOKEN.findall(paragraph):
            w = sum(m.advance(ch) for ch in token) * size
            if used + w <= width_pt or not line:
                if w > width_pt and len(token) > 1:  # a word longer than the line: split it
                    for ch in token:
                        cw = m.advance(ch) * size
                        if used + cw > width_pt and line:
                            out.append(line)
                            line, used = "", 0.0
                        line, used = line + ch, used + cw
                    continue
                line, used = line + token, used + w
            elif token[0] in NO_LINE_START:  # 。、） stay with the character before them (禁則)
                line, used = line + token, used + w
            elif token.isspace():
                out.append(line)
                line, used = "", 0.0
            else:
                out.append(line)
                line, used = token, w
        out.append(line)
    return out


def lines(text: object, width: float, size: float = 10.0, default_size: float = 11.0) -> int:
    """Printed lines of a value in a column `width` characters wide at `size` pt (1 for an empty cell)."""
    if text is None or text == "":
        return 1
    return len(wrap(str(text), usable_pt(width, default_size), size))


def line_pt(size: float = 10.0) -> float:
    """The height of one line of text at `size` pt in a row."""
    return metrics().line_em * LEADING * size


def row_height(cells: list[tuple[object, float]], size: float = 10.0, default_size: float = 11.0) -> float:
    """The row height (pt) that shows every cell's wrapped text whole: cells = [(value, column width)]."""
    most = max((lines(v, w, size, default_size) for v, w in cells), default=1)
    return math.ceil((most * line_pt(size) + CELL_PADDING_PT) * 4) / 4  # Excel keeps row heights in ¼ pt


def use_font(wb, size: float = 11.0) -> None:
    """Make FONT_NAME the workbook's default font (the Normal style), which also sets the unit of its
    column widths. Before any cell is styled: openpyxl has no public setter, so its font list is replaced."""
    from openpyxl.styles import Font
    from openpyxl.utils.indexed_list import IndexedList

    default = Font(name=FONT_NAME, size=size, family=3)
    wb._fonts = IndexedList([default])
    wb._named_styles["Normal"].font = default


def printed_size(size: float, total_width_pt: float, paper_width_pt: float) -> float:
    """The printed size of `size` pt text on a sheet fitted to one page wide."""
    return size * min(1.0, paper_width_pt / total_width_pt)


A4_LANDSCAPE_PT, A3_LANDSCAPE_PT, A4_PORTRAIT_PT = 842.0, 1191.0, 595.0
