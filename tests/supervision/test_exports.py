"""The notice (通报) and the reports as PDF and Excel; the ledger as Excel (docs/rules.md §7)."""

import re
import shutil
import subprocess
from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from petitions.models import Rating
from supervision.models import Sweep
from supervision.selectors import Closeout
from supervision.sweep import run_monthly_sweep
from supervision.views.sweeps import notice_title
from tests.supervision.test_selectors import at, handled

pytestmark = pytest.mark.django_db


@pytest.fixture
def swept(world):
    with time_machine.travel(at(date(2026, 11, 26)), tick=False):
        late = handled(world)
        done = handled(world, reply_on=date(2026, 11, 10), rating=Rating.BASICALLY_SATISFIED)
        sweep = run_monthly_sweep(date(2026, 11, 25))
        yield sweep, late, done


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(BytesIO(response.content))


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext")


@needs_pdftotext
def test_the_notice_pdf_carries_its_title_the_units_and_the_overdue_petitions(
    client, world, swept, tmp_path
):
    sweep, late, done = swept
    client.force_login(world.staff)
    response = client.get(reverse("supervision:notice_pdf", args=[sweep.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    title = notice_title(Sweep.objects.get())
    assert "2026年11月" in title
    assert " ".join(title.split()) in " ".join(text.split())
    assert late.number in text
    assert done.number not in text
    assert world.dept.name in text
    assert re.search(r"\b1\s*/\s*1\b", text)  # numbered pages


def test_the_notice_workbook_has_the_summary_and_the_overdue_list(client, world, swept):
    sweep, late, _done = swept
    client.force_login(world.supervisor)
    book = workbook(client.get(reverse("supervision:notice_xlsx", args=[sweep.pk])))
    assert book.sheetnames == ["汇总", "逾期清单"]
    summary = list(book["汇总"].values)
    assert summary[0][0] == notice_title(sweep)
    assert summary[3][:3] == ("承办单位", "未办结件数", "逾期件数")
    assert summary[4][:3] == (world.dept.name, 1, 1)
    rows = list(book["逾期清单"].values)
    assert rows[0][0] == "编号"
    assert rows[0][7] == "逾期（工作日）"
    assert rows[1][0] == late.number
    assert rows[1][7] == 14


def test_the_ledger_workbook_has_chinese_headers_and_the_filtered_rows(client, world, swept):
    _sweep, late, done = swept
    other = handled(world, unit=world.other_dept, handler=world.other_handler)
    client.force_login(world.staff)
    with time_machine.travel(at(date(2026, 11, 26)), tick=False):
        book = workbook(client.get(reverse("supervision:ledger_export")))
        filtered = workbook(
            client.get(reverse("supervision:ledger_export"), {"unit": world.other_dept.pk})
        )
    sheet = book["工作台账"]
    rows = list(sheet.values)
    assert rows[0][:6] == ("编号", "诉求标题", "企业名称", "类型", "主题", "承办单位")
    assert "销号情况" in rows[0]
    by_number = {r[0]: r for r in rows[1:]}
    assert set(by_number) == {late.number, done.number, other.number}
    closeout = rows[0].index("销号情况")
    assert by_number[done.number][closeout] == str(Closeout.LATE.label)
    assert by_number[done.number][rows[0].index("答复期限")].date() == date(2026, 11, 5)
    assert [r[0] for r in list(filtered["工作台账"].values)[1:]] == [other.number]


@needs_pdftotext
def test_the_monthly_report_as_pdf_and_excel(client, world, swept, tmp_path):
    with time_machine.travel(at(date(2026, 12, 20)), tick=False):
        client.force_login(world.leader)
        response = client.get(reverse("supervision:monthly_report_pdf", args=[2026, 11]))
        assert response.status_code == 200, response.content[:2000]
        text = pdf_text(response.content, tmp_path)
        book = workbook(client.get(reverse("supervision:monthly_report_xlsx", args=[2026, 11])))
    assert "2026年11月" in text
    assert world.dept.name in text
    # The city has a district: the roll-up by level follows the overview (docs/rules.md §1).
    assert book.sheetnames == ["概况", "分级汇总", "单位", "重复问题", "每月一题", "重点督办"]
    overview = {r[0]: r[1] for r in list(book["概况"].values)[4:]}
    assert overview["收到诉求（件）"] == 2
    assert overview["办结（件）"] == 1
    assert overview["超期未办或超期办理（件）"] == 2
    assert overview["按时办结率（%）"] == 0
    assert overview["满意率（%）"] == 80
    units = list(book["单位"].values)
    assert units[1][0] == world.dept.name
    keys = list(book["重点督办"].values)
    assert keys[0][0] == "编号"
