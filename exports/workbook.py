"""Printed spreadsheets: cells written safely and quickly, tables whose rows are as tall as their wrapped text
(exports/textfit), page setup at 100 % (so the font size is the printed size), manual page breaks that
keep a block of rows on one page, and the header and footer every printed page carries.
"""
from __future__ import annotations

import copy
import datetime as dt
import weakref
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from etl.safety import FORMULA_START
from exports import textfit

FONT = textfit.FONT_NAME
SIZE = 9  # pt: the body text, printed at this size (sheets print at 100 %)
THIN = Side(style="thin", color="999999")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
BLOCK_FILL = PatternFill("solid", fgColor="EDEDED")
WRAP = Alignment(wrap_text=True, vertical="top")
# paper (pt, landscape width × height) and the margins (inches) every sheet uses
PAPER = {"A4": (842.0, 595.0), "A3": (1191.0, 842.0)}
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM, MARGIN_HF = 0.4, 0.75, 0.7, 0.3
HF_ALLOWANCE_PT = 18

# Per workbook: style combination → the cell style openpyxl derived for it. Assigning font, fill and
# border to every cell costs a registry lookup each; copying the finished style array does not, which
# matters with thousands of cells in the national-scale workbook.
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FONTS: dict[tuple, Font] = {}


def font(size: float = SIZE, bold: bool = False, color: str | None = None) -> Font:
    key = (size, bold, color)
    if key not in _FONTS:
        _FONTS[key] = Font(name=FONT, size=size, bold=bold, color=color)
    return _FONTS[key]


def put(ws: Worksheet, row: int, col: int, value, fmt: str | None = None, **style):
    """Write a value; text that looks like a formula stays text (never evaluated by Excel)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        value = None
    cell = ws.cell(row=row, column=col, value=value)
    style.setdefault("font", font())
    known = _STYLES.setdefault(ws.parent, {})
    # keyed by identity (hashing openpyxl style objects is what is slow); the entry keeps the objects
    # alive, so an id is never reused for another object while it is a key
    key = (fmt, *((k, id(v)) for k, v in style.items()))
    if key in known:
        cell._style = copy.copy(known[key][0])
    else:
        if fmt:
            cell.number_format = fmt
        for k, v in style.items():
            setattr(cell, k, v)
        known[key] = (copy.copy(cell._style), tuple(style.values()))
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


@dataclass
class Table:
    """A printed table: columns of fixed printed widths, rows sized to their text, blocks kept on a page."""
    ws: Worksheet
    columns: list[tuple[str, float]]  # (heading, printed width in pt, its cell margins included)
    paper: str = "A4"
    landscape: bool = True
    size: float = SIZE
    header_row: int | None = None
    row: int = 1
    _heights: dict[int, float] = field(default_factory=dict)
    _blocks: list[int] = field(default_factory=list)  # first row of each block
    widths: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.widths = [textfit.stored_width(width) for _, width in self.columns]  # as stored: what row heights use
        for c, width in enumerate(self.widths, start=1):
            self.ws.column_dimensions[get_column_letter(c)].width = width

    @property
    def width_pt(self) -> float:
        return sum(w for _, w in self.columns)

    def line(self, text: str, size: float | None = None, bold: bool = False, color: str | None = None,
             fill: PatternFill | None = None) -> int:
        """A line of text across the whole table (titles, notes); returns its row."""
        r = self.row
        style = {"font": font(size or self.size, bold, color), "alignment": WRAP}
        if fill:
            style["fill"] = fill
        put(self.ws, r, 1, text, **style)
        if len(self.columns) > 1:
            self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(self.columns))
        self._height(r, [(text, textfit.stored_width(self.width_pt))], size or self.size)
        self.row += 1
        return r

    def head(self) -> int:
        """The column headings (repeated on every printed page)."""
        r = self.header_row = self.row
        for c, (h, _) in enumerate(self.columns, start=1):
            put(self.ws, r, c, h, font=font(self.size, True), fill=HEAD_FILL, border=GRID,
                alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"))
        self._height(r, list(zip([h for h, _ in self.columns], self.widths)), self.size)
        self.ws.print_title_rows = f"{r}:{r}"
        self.row += 1
        return r

    def block(self) -> None:
        """The rows written next belong together: a page break may come before them, not among them."""
        self._blocks.append(self.row)

    def add(self, values: list, formats: list | None = None, styles: dict[int, dict] | None = None) -> int:
        """One row of cells; styles = {column index (0-based): extra style}. Returns the row."""
        r = self.row
        for c, v in enumerate(values):
            style = {"alignment": WRAP, "border": GRID, "font": font(self.size), **(styles or {}).get(c, {})}
            put(self.ws, r, c + 1, v, (formats or [None] * len(values))[c], **style)
        fmts = formats or [None] * len(values)
        self._height(r, [(v if isinstance(v, str) else _shown(v, f), w) for v, f, w in zip(values, fmts, self.widths)],
                     self.size)
        self.row += 1
        return r

    def merged(self, text: str, fill: PatternFill = BLOCK_FILL, bold: bool = True) -> int:
        """A row whose one cell spans the table (a measure's heading above its KPI rows)."""
        r = self.row
        put(self.ws, r, 1, text, font=font(self.size, bold), fill=fill, alignment=WRAP, border=GRID)
        self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(self.columns))
        self._height(r, [(text, textfit.stored_width(self.width_pt))], self.size)
        self.row += 1
        return r

    def _height(self, r: int, cells: list[tuple[object, float]], size: float) -> None:
        h = textfit.row_height(cells, size)
        self.ws.row_dimensions[r].height = h
        self._heights[r] = h

    def finish(self, title: str, report: "Header", freeze_col: int = 1, autofilter: bool = False) -> None:
        """Print setup, page breaks between blocks, freeze panes and filter."""
        ws = self.ws
        for r in range(1, self.row):  # rows written cell by cell: a height of our own, not the program's guess
            if ws.row_dimensions[r].height is None:
                ws.row_dimensions[r].height = self.height(r)
        setup(ws, title, report, self.paper, self.landscape)
        if self.header_row:
            ws.freeze_panes = ws.cell(row=self.header_row + 1, column=freeze_col)
            if autofilter:
                ws.auto_filter.ref = f"A{self.header_row}:{get_column_letter(len(self.columns))}{max(self.row - 1, self.header_row)}"
        for at in self.page_breaks():
            ws.row_breaks.append(Break(id=at))

    def height(self, r: int) -> float:
        """A row's height: as measured, as set, or one line of body text (rows written cell by cell)."""
        return self._heights.get(r) or self.ws.row_dimensions[r].height or textfit.row_height([("", 10)], self.size)

    def page_height(self) -> float:
        """The printable height of a page (pt), less the repeated headings."""
        long_side, short = PAPER[self.paper]
        height = short if self.landscape else long_side
        # LibreOffice sets the header and footer inside the margins but below / above the body's edge: keep
        # a line's room at each end so that a block computed to fit does fit
        usable = height - (MARGIN_TOP + MARGIN_BOTTOM) * 72 - 2 * HF_ALLOWANCE_PT
        return usable - (self._heights.get(self.header_row, 0) if self.header_row else 0)

    def page_breaks(self) -> list[int]:
        """Rows after which a page must end so that no block is cut (a block taller than a page is cut
        between its rows, as little as can be)."""
        if not self._blocks:
            return []
        page, breaks = self.page_height(), []
        ends = self._blocks[1:] + [self.row]
        used = sum(self.height(r) for r in range(1, self._blocks[0]) if r != self.header_row)
        for start, end in zip(self._blocks, ends):
            block = sum(self.height(r) for r in range(start, end))
            if used and used + block > page:
                breaks.append(start - 1)
                used = 0.0
            if block > page:  # cut inside, row by row
                for r in range(start, end):
                    h = self.height(r)
                    if used and used + h > page:
                        breaks.append(r - 1)
                        used = 0.0
                    used += h
            else:
                used += block
        return breaks


def _shown(v, fmt: str | None = None) -> str | None:
    """A number as its format prints it (what its row's height must hold)."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, int | float):
        return f"{v:.0%}" if fmt == "0%" else f"{v:,.10g}"
    return str(v)


@dataclass
class Header:
    """What every printed page of a workbook says besides its own title."""
    report: str  # '基準日 令和3(2021)年3月31日'
    document_no: str = ""
    synthetic: bool = False
    legend: str = ""  # the status scale, in the footer of every page
    footer: str = ""  # who issued it (config); no product name


SYNTHETIC = "デモ（合成データ）"


def setup(ws: Worksheet, title: str, h: Header, paper: str = "A4", landscape: bool = True) -> None:
    """Paper, 100 % scale, margins, and the header and footer of every page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.scale = 100
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE
    ws.page_margins.top, ws.page_margins.bottom = MARGIN_TOP, MARGIN_BOTTOM
    ws.page_margins.header = ws.page_margins.footer = MARGIN_HF
    # the legend is long: it has the footer to itself but for the issuer at the right
    ws.oddHeader.left.text = title + (f" 【{SYNTHETIC}】" if h.synthetic else "")
    ws.oddHeader.right.text = "  ".join(p for p in (h.document_no, h.report, "&P / &N ページ") if p)
    ws.oddFooter.left.text = h.legend
    ws.oddFooter.right.text = h.footer
    for part in (ws.oddHeader.left, ws.oddHeader.right, ws.oddFooter.left, ws.oddFooter.right):
        part.font = FONT
        part.size = 8
    ws.print_options.gridLines = False


def printable_width(paper: str = "A4", landscape: bool = True) -> float:
    long_side, short = PAPER[paper]
    return (long_side if landscape else short) - 2 * MARGIN_SIDE * 72


def as_day(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date()
