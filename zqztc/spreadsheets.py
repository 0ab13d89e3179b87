"""One rule for every spreadsheet ZQZTC writes: text is written as text, never as a formula.

Titles, firm names and unit names are typed by people, and staff open the exports in Excel or WPS.
openpyxl stores a str that starts with "=" as a formula (and "#N/A" as an error value), so a petition
titled =HYPERLINK("http://…","…") would be a live link in the ledger. Every writer builds its cells
with `cell()` / `append()` here (or `dataset_workbook()` for a django-import-export dataset), which:

- stores every str as an inline string (cell type "s"): no sheet of the file has an <f> element;
- gives a text that starts with =, +, -, @, a tab or a carriage return Excel's quote prefix (what
  typing a leading ' does in Excel), so it stays text even after someone edits the cell; the quote is
  a cell style, not part of the value, so the text itself is unchanged;
- replaces the control characters XML cannot carry with U+FFFD instead of failing, and writes a
  carriage return as a line feed (XML readers turn a raw CR into LF anyway, so what is written is
  what Excel, WPS and openpyxl read back);
- leaves numbers, dates and None alone: a negative number stays a number.

CSV: ZQZTC writes none. A CSV has no cell types, so one added later must prefix such a text with "'"
(OWASP's advice). Admin exports through django-import-export are limited to `SafeXLSX` below by
settings.EXPORT_FORMATS. The library's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is not used: it only
strips a leading "=" (so "+1+1" and "@SUM(A1)" pass and the text is altered) and turns every cell,
numbers included, into text; tablib's `escape` option does the same for "=" only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from io import BytesIO

import tablib
from import_export.formats.base_formats import XLSX
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

# What a spreadsheet program may read as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\*?:/\[\]]")
MAX_COLUMN_WIDTH = 60

Sheet = Worksheet | WriteOnlyWorksheet


def safe_text(value: str) -> str:
    """The text as a workbook can hold it and will read it back."""
    value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    return value.replace("\r\n", "\n").replace("\r", "\n")


def cell(
    sheet: Sheet, value: object, *, font: Font | None = None, number_format: str | None = None
) -> Cell:
    """A cell for `sheet.append`: a str is always a string cell, whatever it starts with."""
    if isinstance(value, str):
        made = WriteOnlyCell(sheet, value=safe_text(value))
        made.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error
        if value.startswith(FORMULA_STARTS):
            made.quotePrefix = True
    else:
        made = WriteOnlyCell(sheet, value=value)
    if font is not None:
        made.font = font
    if number_format is not None:
        made.number_format = number_format
    return made


def cells(sheet: Sheet, values: Iterable[object]) -> list[Cell]:
    return [v if isinstance(v, Cell) else cell(sheet, v) for v in values]


def append(sheet: Sheet, values: Iterable[object]) -> None:
    """Append one row; values that are already cells (with their fonts and formats) are kept."""
    sheet.append(cells(sheet, values))


def to_bytes(workbook: Workbook) -> bytes:
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_title(title: str | None) -> str:
    return SHEET_TITLE_FORBIDDEN.sub("-", title or "")[:31] or "Sheet1"


def _width(value: object) -> int:
    """Roughly how many narrow characters the value takes (a Chinese character takes two)."""
    text = "" if value is None else str(value)
    line = max(text.split("\n"), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def dataset_workbook(dataset: tablib.Dataset) -> bytes:
    """A tablib dataset (a django-import-export export) as one sheet: bold frozen headers,
    columns as wide as their content."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(dataset.title))
    rows = [dataset.headers or [], *dataset]
    for index in range(dataset.width):
        widest = max((_width(row[index]) for row in rows if index < len(row)), default=0)
        width = min(MAX_COLUMN_WIDTH, max(8, widest + 2))
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    if dataset.headers:
        sheet.freeze_panes = "A2"
        append(sheet, [cell(sheet, h, font=BOLD) for h in dataset.headers])
    for row in dataset:
        append(sheet, row)
    return to_bytes(workbook)


class SafeXLSX(XLSX):
    """django-import-export's xlsx format, written by the rule above (settings.EXPORT_FORMATS)."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: object) -> bytes:
        return dataset_workbook(dataset)
