"""Excel imports on /staff/: the enterprise registry and batches of 12345 tickets.

Each file is checked row by row first (a dry run); nothing is written unless every row is valid;
importing the same file again creates no duplicates. The uploaded workbook (registry data) is kept
only between the preview and its confirmation or cancellation, and purged when abandoned.
"""

import io
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from petitions import imports, tasks
from petitions.models import Channel, Enterprise, Petition, State
from petitions.resources import ENTERPRISE_HEADERS, TICKET_HEADERS
from tests.factories import EnterpriseFactory, make_uscc

pytestmark = pytest.mark.django_db


def workbook(headers, rows) -> bytes:
    """An .xlsx made the way a government office fills one in (first row: the column names)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def firm_row(n, **overrides):
    row = {
        "统一社会信用代码": make_uscc(500 + n),
        "企业名称": f"汕头导入企业{n}有限公司",
        "法定代表人": "陈总",
        "联系人": "林经理",
        "联系电话": "13800138000",
        "地址": "汕头市金平区",
        "所属辖区": "龙湖区",
        "行业": "纺织服装",
        "所有制": "民营",
        "标签": "规上企业，人大代表、政协委员企业",
    }
    row.update(overrides)
    return [row[h] for h in ENTERPRISE_HEADERS]


def registry(*rows) -> bytes:
    return workbook(ENTERPRISE_HEADERS, rows)


def ticket_row(ref, uscc, **overrides):
    row = {
        "工单编号": ref,
        "统一社会信用代码": uscc,
        "受理时间": datetime(2026, 3, 2, 10, 15),  # noqa: DTZ001  (Excel cells carry no zone)
        "类型": "投诉",
        "主题": "融资",
        "标题": "贷款审批慢",
        "内容": "企业反映技改贷款审批超过两个月。",
        "诉求": "加快审批。",
    }
    row.update(overrides)
    return [row[h] for h in TICKET_HEADERS]


def tickets(*rows) -> bytes:
    return workbook(TICKET_HEADERS, rows)


def upload(client, kind, data, name="data.xlsx"):
    return client.post(
        reverse("staff:imports"), {"kind": kind, "file": SimpleUploadedFile(name, data)}
    )


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


# --- the enterprise registry ------------------------------------------------------------------------


def test_a_valid_registry_is_previewed_then_imported(staff_client, world):
    before = Enterprise.objects.count()
    response = upload(staff_client, "enterprises", registry(firm_row(1), firm_row(2)))
    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.number, r.status) for r in report.rows] == [(2, "new"), (3, "new")]
    assert Enterprise.objects.count() == before  # a preview writes nothing

    response = staff_client.post(
        reverse("staff:import_confirm"), {"token": response.context["token"]}
    )
    assert response.status_code == 200
    assert response.context["report"].written
    firm = Enterprise.objects.get(uscc=make_uscc(501))
    assert firm.jurisdiction == world.district
    assert firm.ownership == "private"
    assert sorted(t.name for t in firm.tags.all()) == ["人大代表、政协委员企业", "规上企业"]
    assert Enterprise.objects.count() == before + 2


def test_re_importing_updates_by_code_and_creates_no_duplicates(world):
    imports.commit("enterprises", registry(firm_row(1), firm_row(2)), world.staff)
    changed = registry(firm_row(1, **{"联系电话": "0754-88881234"}), firm_row(2))
    report = imports.commit("enterprises", changed, world.staff)
    assert [r.status for r in report.rows] == ["update", "unchanged"]
    assert Enterprise.objects.filter(uscc__in=[make_uscc(501), make_uscc(502)]).count() == 2
    assert str(Enterprise.objects.get(uscc=make_uscc(501)).contact_phone) == "0754 8888 1234"


def test_a_registry_with_bad_rows_writes_nothing_and_lists_each_error(staff_client, world):
    before = Enterprise.objects.count()
    data = registry(
        firm_row(1),
        firm_row(2, **{"统一社会信用代码": "91440500ABC"}),
        firm_row(3, **{"联系电话": "12345"}),
        firm_row(4, **{"所属辖区": "火星区"}),
        firm_row(5, **{"标签": "不存在的标签"}),
    )
    response = upload(staff_client, "enterprises", data)

    assert response.status_code == 400
    report = response.context["report"]
    assert not report.is_valid
    assert "token" not in response.context or not response.context["token"]
    by_row = {r.number: r for r in report.rows}
    assert by_row[2].status == "new"
    assert any(e.startswith("统一社会信用代码：") for e in by_row[3].errors)
    assert any(e.startswith("联系电话：") for e in by_row[4].errors)
    assert any(e.startswith("所属辖区：") and "火星区" in e for e in by_row[5].errors)
    assert any(e.startswith("标签：") and "不存在的标签" in e for e in by_row[6].errors)
    html = response.content.decode()
    for number in (3, 4, 5, 6):
        assert f'id="row-{number}"' in html
    assert "火星区" in html
    assert Enterprise.objects.count() == before

    report = imports.commit("enterprises", data, world.staff)  # even when forced
    assert not report.written
    assert Enterprise.objects.count() == before


def test_a_firm_registered_in_another_city_is_not_taken_over(world):
    foreign = EnterpriseFactory(jurisdiction=world.other_city)
    report = imports.preview(
        "enterprises", registry(firm_row(1, **{"统一社会信用代码": foreign.uscc})), world.staff
    )
    assert report.rows[0].status == "error"
    foreign.refresh_from_db()
    assert foreign.jurisdiction == world.other_city


def test_blank_lines_are_skipped_but_row_numbers_stay_those_of_excel(world):
    report = imports.preview(
        "enterprises", registry(firm_row(1), [None] * 10, firm_row(2)), world.staff
    )
    assert [r.number for r in report.rows] == [2, 4]


def test_a_workbook_without_the_required_columns_is_refused(staff_client, world):
    response = upload(staff_client, "enterprises", workbook(["企业名称"], [["某公司"]]))
    assert response.status_code == 400
    assert "统一社会信用代码" in response.context["form"].errors["file"][0]


def test_a_file_that_is_not_a_workbook_is_refused(staff_client, world):
    response = upload(staff_client, "enterprises", b"%PDF-1.4 not a workbook", name="list.xlsx")
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_a_stashed_upload_is_only_for_the_user_who_sent_it(client, world):
    token = imports.stash(registry(firm_row(1)), "enterprises", world.staff)
    other = type(world.staff).objects.create_user(
        "staff2", role="task_force", unit=world.task_force_unit
    )
    for stranger in (other, world.foreign_staff):
        client.force_login(stranger)
        for action in ("staff:import_confirm", "staff:import_cancel"):
            response = client.post(reverse(action), {"token": token}, follow=True)
            assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Enterprise.objects.filter(uscc=make_uscc(501)).exists()
    assert len(stashed_files()) == 1  # the owner's upload is left alone

    client.force_login(world.staff)
    response = client.post(reverse("staff:import_confirm"), {"token": token})
    assert response.context["report"].written
    assert stashed_files() == []


# --- the uploaded workbook is not kept -------------------------------------------------------------


def stashed_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / imports.STASH_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_confirmed_import_leaves_no_file_behind(staff_client, world):
    response = upload(staff_client, "enterprises", registry(firm_row(1)))
    assert len(stashed_files()) == 1
    response = staff_client.post(
        reverse("staff:import_confirm"), {"token": response.context["token"]}
    )
    assert response.context["report"].written
    assert stashed_files() == []


def test_a_cancelled_preview_imports_nothing_and_leaves_no_file(staff_client, world):
    response = upload(staff_client, "enterprises", registry(firm_row(1)))
    cancel = reverse("staff:import_cancel")
    assert f'formaction="{cancel}"' in response.content.decode()
    assert len(stashed_files()) == 1

    response = staff_client.post(cancel, {"token": response.context["token"]}, follow=True)
    assert response.redirect_chain == [(reverse("staff:imports"), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["info"]
    assert not Enterprise.objects.filter(uscc=make_uscc(501)).exists()
    assert stashed_files() == []


def test_a_confirmation_that_meets_errors_imports_nothing_and_leaves_no_file(staff_client, world):
    response = upload(staff_client, "enterprises", registry(firm_row(1), firm_row(2)))
    # Between the preview and the confirmation, the code is registered in another city.
    EnterpriseFactory(uscc=make_uscc(502), jurisdiction=world.other_city)
    response = staff_client.post(
        reverse("staff:import_confirm"), {"token": response.context["token"]}
    )
    assert response.status_code == 400
    assert not response.context["report"].written
    assert not Enterprise.objects.filter(uscc=make_uscc(501)).exists()
    assert stashed_files() == []


def test_a_workbook_with_errors_or_an_unreadable_file_is_never_kept(staff_client, world):
    bad_rows = registry(firm_row(1, **{"所属辖区": "火星区"}))
    assert upload(staff_client, "enterprises", bad_rows).status_code == 400
    assert upload(staff_client, "enterprises", b"%PDF-1.4 not a workbook").status_code == 400
    assert stashed_files() == []


def test_an_expired_upload_is_refused_and_its_file_deleted(staff_client, world):
    response = upload(staff_client, "enterprises", registry(firm_row(1)))
    later = timezone.now() + timedelta(seconds=imports.STASH_MAX_AGE + 60)
    with time_machine.travel(later, tick=False):
        response = staff_client.post(
            reverse("staff:import_confirm"), {"token": response.context["token"]}, follow=True
        )
    assert response.redirect_chain == [(reverse("staff:imports"), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Enterprise.objects.filter(uscc=make_uscc(501)).exists()
    assert stashed_files() == []


def test_abandoned_uploads_are_purged_and_purging_twice_is_harmless(world):
    imports.stash(registry(firm_row(1)), "enterprises", world.staff)
    assert tasks.purge_import_uploads() == 0  # a fresh upload may still be imported
    assert len(stashed_files()) == 1
    with time_machine.travel(timezone.now() + imports.PURGE_AFTER, tick=False):
        assert tasks.purge_import_uploads() == 1
        assert tasks.purge_import_uploads() == 0
    assert stashed_files() == []


def test_the_purge_command_takes_an_age_in_hours(world):
    imports.stash(registry(firm_row(1)), "enterprises", world.staff)
    out = io.StringIO()
    call_command("purge_import_uploads", stdout=out)
    assert out.getvalue().strip() == "deleted 0"
    call_command("purge_import_uploads", "--older-than-hours", "0", stdout=out)
    assert out.getvalue().split() == ["deleted", "0", "deleted", "1"]
    assert stashed_files() == []
    with pytest.raises(CommandError):
        call_command("purge_import_uploads", "--older-than-hours", "-1")


# --- 12345 tickets ----------------------------------------------------------------------------------


def test_tickets_are_registered_through_the_workflow_once(world):
    data = tickets(
        ticket_row("GD20260302001", world.firm.uscc),
        ticket_row("GD20260302002", world.other_firm.uscc.lower(), 类型="咨询", 主题=""),
    )
    preview = imports.preview("tickets", data, world.staff)
    assert [r.status for r in preview.rows] == ["new", "new"]
    assert not Petition.objects.exists()

    report = imports.commit("tickets", data, world.staff)
    assert report.written
    petition = Petition.objects.get(channel_ref="GD20260302001")
    assert petition.channel == Channel.HOTLINE_12345
    assert petition.state == State.REGISTERED
    assert petition.enterprise == world.firm
    assert timezone.localtime(petition.received_at).hour == 10
    assert petition.events.filter(action="register").exists()
    assert report.rows[0].note == petition.number

    again = imports.commit("tickets", data, world.staff)
    assert [r.status for r in again.rows] == ["skipped", "skipped"]
    assert petition.number in again.rows[0].note
    assert Petition.objects.count() == 2


def test_a_ticket_batch_with_bad_rows_writes_nothing(staff_client, world):
    future = timezone.localtime() + timedelta(days=2)
    data = tickets(
        ticket_row("GD1", world.firm.uscc),
        ticket_row("GD2", make_uscc(999)),  # not registered here
        ticket_row("GD1", world.firm.uscc),  # twice in the file
        ticket_row("GD3", world.firm.uscc, 受理时间=future.replace(tzinfo=None)),
        ticket_row("GD4", world.firm.uscc, 类型="表扬", 标题=""),
    )
    response = upload(staff_client, "tickets", data)
    assert response.status_code == 400
    rows = {r.number: r for r in response.context["report"].rows}
    assert rows[2].status == "new"
    assert any(e.startswith("统一社会信用代码：") for e in rows[3].errors)
    assert any(e.startswith("工单编号：") for e in rows[4].errors)
    assert rows[5].status == "error"  # the workflow refuses a time in the future
    assert any(e.startswith("类型：") for e in rows[6].errors)
    assert any(e.startswith("标题：") for e in rows[6].errors)
    assert not Petition.objects.exists()
    assert not imports.commit("tickets", data, world.staff).written
    assert not Petition.objects.exists()


def test_the_upload_page_is_on_staff(staff_client):
    response = staff_client.get(reverse("staff:imports"))
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()
