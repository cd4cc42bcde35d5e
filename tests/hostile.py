"""Crafted files, generated in the tests: the attacks found against uploads, and variants of them."""
from __future__ import annotations

import io
import zipfile

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {R_NS}><sheets><sheet name="実績" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>'),
}
HEADER = ["KPI ID", "団体コード", "期間", "値"]


def _row(n: int, cells: list[str]) -> str:
    return f'<row r="{n}">' + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


def xlsx(rows: list[list[str]], shared=None, sheet_rows=None, level: int = 1) -> bytes:
    """A minimal XLSX: rows as inline strings; shared: the raw sharedStrings.xml; sheet_rows: an iterable
    of XML row strings streamed into the sheet part (for very large sheets)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, text in PARTS.items():
            z.writestr(name, text)
        sst = shared or [f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="0" uniqueCount="0"/>'.encode()]
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            for chunk in ([sst] if isinstance(sst, bytes) else sst):  # bytes, or an iterable of chunks
                part.write(chunk)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode())
            for i, r in enumerate(rows, start=1):
                part.write(_row(i, r).encode())
            for x in sheet_rows or ():
                part.write(x.encode())
            part.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def giant_shared_string(megabytes: int) -> bytes:
    """One shared string of the given size (the 1.5 MB file that held a 1.5 GB string), used by a cell."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="1" uniqueCount="1"><si><t>'.encode()
    mib = b"A" * 2**20
    shared = [head, *(mib for _ in range(megabytes)), b"</t></si></sst>"]
    return xlsx([HEADER, ["M37-E1", "", "2020", "1"]], shared=shared)


def long_random_string(chars: int) -> bytes:
    """A shared string that compresses poorly (no ratio alarm) but is longer than any Excel cell."""
    import random

    rnd = random.Random(11)
    text = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(chars))
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
    return xlsx([HEADER], shared=shared.encode())


def zip_bomb(rows: int) -> bytes:
    """Millions of identical rows that compress to a few hundred KB."""
    row = _row(2, ["M37-E1", "", "2020", "1"])
    return xlsx([HEADER], sheet_rows=(row for _ in range(rows)))


def duplicate_rows_csv(rows: int) -> bytes:
    return ("KPI ID,団体コード,期間,値\n" + "M37-E1,,2020,1\n" * rows).encode()
