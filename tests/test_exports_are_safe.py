"""Every spreadsheet staff download keeps hostile text as text, never as a formula.

A firm types the petition title and its own name; staff open the exported workbooks in Excel or
WPS. Each export is generated with titles such as =HYPERLINK(...) and read back: the cell must be a
string with the original text (a carriage return reads back as a line feed: XML normalises it), be
marked with Excel's quote prefix, and no sheet of the file may carry a formula element.
"""

import re
import zipfile
from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from petitions.models import Enterprise, OrgUnit, Petition
from supervision import workflow as supervision_workflow
from supervision.models import KeySupervision
from supervision.sweep import run_monthly_sweep
from tests.supervision.test_selectors import at, handled

pytestmark = pytest.mark.django_db

HOSTILE_TITLES = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
HOSTILE_FIRM = '=HYPERLINK("http://x","firm")'
HOSTILE_UNIT = "@SUM(B2)"
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def as_read_back(text: str) -> str:
    """What any XML reader (Excel, WPS, openpyxl) reads for a text: a CR comes back as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture
def hostile(world):
    """Overdue petitions with hostile titles, a hostile firm and unit name, swept and on the key list."""
    with time_machine.travel(at(date(2026, 11, 26)), tick=False):
        petitions = [handled(world) for _title in HOSTILE_TITLES]
        for petition, title in zip(petitions, HOSTILE_TITLES, strict=True):
            Petition.objects.filter(pk=petition.pk).update(title=title)
        Enterprise.objects.filter(pk=world.firm.pk).update(name=HOSTILE_FIRM)
        OrgUnit.objects.filter(pk=world.dept.pk).update(name=HOSTILE_UNIT)
        sweep = run_monthly_sweep(date(2026, 11, 25))
        for key in KeySupervision.objects.all():
            supervision_workflow.decide(key_id=key.pk, actor=world.leader, approve=True)
    return sweep


def assert_text_only(content: bytes, *expected: str) -> None:
    """Each expected text is a string cell of the workbook; nothing in it is a formula."""
    with zipfile.ZipFile(BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert not FORMULA.search(archive.read(name)), f"a formula in {name}"
    book = load_workbook(BytesIO(content))
    strings = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    strings.setdefault(cell.value, cell)
    for text in expected:
        cell = strings.get(as_read_back(text))
        assert cell is not None, f"{text!r} is not a text cell of the workbook"
        assert cell.quotePrefix, f"{text!r} has no quote prefix"


def download(client, user, url: str) -> bytes:
    with time_machine.travel(at(date(2026, 12, 20)), tick=False):
        client.force_login(user)
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content


def test_the_supervision_ledger_keeps_hostile_titles_and_names_as_text(client, world, hostile):
    content = download(client, world.staff, reverse("supervision:ledger_export"))
    assert_text_only(content, *HOSTILE_TITLES, HOSTILE_FIRM, HOSTILE_UNIT)


def test_the_sweep_notice_keeps_hostile_titles_and_names_as_text(client, world, hostile):
    url = reverse("supervision:notice_xlsx", args=[hostile.pk])
    content = download(client, world.supervisor, url)
    assert_text_only(content, *HOSTILE_TITLES, HOSTILE_FIRM, HOSTILE_UNIT)


def test_the_monthly_report_keeps_hostile_titles_and_names_as_text(client, world, hostile):
    url = reverse("supervision:monthly_report_xlsx", args=[2026, 11])
    content = download(client, world.leader, url)
    assert_text_only(content, *HOSTILE_TITLES, HOSTILE_FIRM, HOSTILE_UNIT)


def test_the_quarterly_report_keeps_hostile_titles_and_names_as_text(client, world, hostile):
    url = reverse("supervision:quarterly_report_xlsx", args=[2026, 4])
    content = download(client, world.leader, url)
    assert_text_only(content, *HOSTILE_TITLES, HOSTILE_FIRM, HOSTILE_UNIT)


def test_the_staff_search_ledger_keeps_hostile_titles_and_names_as_text(client, world, hostile):
    content = download(client, world.staff, reverse("staff:export"))
    assert_text_only(content, *HOSTILE_TITLES, HOSTILE_FIRM, HOSTILE_UNIT)


def test_a_title_with_a_control_character_still_exports(client, world, hostile):
    """XML cannot carry most control characters: they become U+FFFD instead of a server error."""
    Petition.objects.filter(title="+1+1").update(title="用电\x0b报装")
    for url in (reverse("staff:export"), reverse("supervision:ledger_export")):
        content = download(client, world.staff, url)
        values = {c.value for s in load_workbook(BytesIO(content)).worksheets for r in s for c in r}
        assert "用电\N{REPLACEMENT CHARACTER}报装" in values
