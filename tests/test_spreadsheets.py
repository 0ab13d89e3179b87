"""zqztc/spreadsheets.py: the one rule every workbook writer follows (text stays text)."""

import zipfile
from datetime import date
from io import BytesIO

import pytest
import tablib
from import_export.mixins import BaseExportMixin
from openpyxl import Workbook, load_workbook

from zqztc import spreadsheets
from zqztc.spreadsheets import SafeXLSX

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def written(*values: object) -> list:
    """The cells of one row written through the rule, as openpyxl reads the file back."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    spreadsheets.append(sheet, values)
    content = spreadsheets.to_bytes(workbook)
    with zipfile.ZipFile(BytesIO(content)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    return next(load_workbook(BytesIO(content)).active.iter_rows())


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_that_looks_like_a_formula_is_written_as_quoted_text(text):
    [cell] = written(text)
    assert cell.data_type == "s"
    assert cell.value == text.replace("\r", "\n")  # XML reads a raw CR as LF
    assert cell.quotePrefix


def test_plain_text_has_no_quote_prefix_and_an_error_code_stays_text():
    plain, error_code = written("用电报装审批", "#N/A")
    assert (plain.value, plain.data_type, plain.quotePrefix) == ("用电报装审批", "s", False)
    assert (error_code.value, error_code.data_type) == ("#N/A", "s")


def test_numbers_dates_and_empty_cells_keep_their_types():
    negative, empty, decimal, day = written(-5, None, 2.5, date(2026, 11, 5))
    assert (negative.value, negative.data_type) == (-5, "n")
    assert (decimal.value, decimal.data_type) == (2.5, "n")
    assert day.value.date() == date(2026, 11, 5)
    assert empty.value is None


def test_control_characters_xml_cannot_carry_become_replacement_characters():
    [cell] = written("用电\x0b报装\x01")
    assert cell.value == "用电\N{REPLACEMENT CHARACTER}报装\N{REPLACEMENT CHARACTER}"


def test_a_dataset_becomes_a_sheet_with_bold_frozen_headers_and_safe_text():
    dataset = tablib.Dataset(*[(t, -1) for t in HOSTILE], headers=["标题", "数"], title="台账/2026")
    book = load_workbook(BytesIO(spreadsheets.dataset_workbook(dataset)))
    sheet = book.active
    assert sheet.title == "台账-2026"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert [c.value for c in sheet["A"][1:]] == [t.replace("\r", "\n") for t in HOSTILE]
    assert all(c.data_type == "s" and c.quotePrefix for c in sheet["A"][1:])
    assert [c.value for c in sheet["B"][1:]] == [-1] * len(HOSTILE)


def test_admin_exports_offer_only_the_safe_xlsx_format():
    assert BaseExportMixin().get_export_formats() == [SafeXLSX]
    dataset = tablib.Dataset(["=1+1"], headers=["标题"])
    content = SafeXLSX().export_data(dataset)
    cell = load_workbook(BytesIO(content)).active["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)
