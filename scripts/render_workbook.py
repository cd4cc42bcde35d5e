"""Print a workbook the way its readers will: LibreOffice (headless) → PDF → one PNG per page, plus contact
sheets of four pages each, to look at before a workbook or request form goes out.

    python scripts/render_workbook.py 進捗管理_令和3年3月.xlsx [--out DIR] [--dpi 60]

Installs nothing. It needs LibreOffice Calc and poppler's pdftoppm (Debian: `apt-get install
libreoffice-calc poppler-utils`), and the workbooks' font for a faithful render (Debian:
`apt-get install fonts-morisawa-bizud-gothic`; on Japanese Windows it is already there).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workbook", type=Path)
    ap.add_argument("--out", type=Path, help="Folder for the PDF and the PNGs (default: beside the workbook).")
    ap.add_argument("--dpi", type=int, default=60)
    args = ap.parse_args()
    missing = [tool for tool in ("soffice", "pdftoppm") if not shutil.which(tool)]
    if missing:
        sys.exit(f"{', '.join(missing)} not found: apt-get install libreoffice-calc poppler-utils")
    out = (args.out or args.workbook.parent).resolve()
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(args.workbook)],
                   check=True, capture_output=True, timeout=600)
    pdf = out / (args.workbook.stem + ".pdf")
    stem = out / args.workbook.stem
    for old in out.glob(f"{args.workbook.stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(args.dpi), "-png", str(pdf), str(stem)], check=True)
    pages = sorted(out.glob(f"{args.workbook.stem}-*.png"))
    sheets = contact_sheets(pages, out / f"{args.workbook.stem}_contact")
    print(f"{pdf}: {len(pages)} pages; pages as {stem}-N.png; contact sheets: {', '.join(p.name for p in sheets)}")


def contact_sheets(pages: list[Path], stem: Path) -> list[Path]:
    """Four pages to an image (Pillow comes with Streamlit)."""
    from PIL import Image

    written = []
    for k in range(0, len(pages), 4):
        images = [Image.open(p) for p in pages[k:k + 4]]
        w, h = max(i.width for i in images), max(i.height for i in images)
        sheet = Image.new("RGB", (w * 2, h * 2), "white")
        for j, image in enumerate(images):
            sheet.paste(image, ((j % 2) * w, (j // 2) * h))
        written.append(stem.with_name(f"{stem.name}-{k // 4 + 1:02d}.png"))
        sheet.save(written[-1])
    return written


if __name__ == "__main__":
    main()
