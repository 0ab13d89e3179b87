"""Search across the jurisdiction's petitions and the Excel ledger of the result."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from petitions.models import Channel, Petition, PetitionType, Rating
from petitions.workflow import evaluate, register
from tests.factories import EnterpriseFactory, PetitionFactory
from tests.petitions import flow

pytestmark = pytest.mark.django_db

LEDGER_HEADERS = [
    "编号",
    "企业",
    "统一社会信用代码",
    "渠道",
    "类型",
    "主题",
    "标题",
    "状态",
    "承办单位",
    "协办单位",
    "受理时间",
    "到期日",
    "办结时间",
    "评价",
]


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def found(client, **params):
    response = client.get(reverse("staff:search"), params)
    assert response.status_code == 200
    return {p.number for p in response.context["page"]}


def test_search_sees_only_the_jurisdiction(staff_client, world):
    mine = flow.registered(world)
    foreign = PetitionFactory(enterprise=EnterpriseFactory(jurisdiction=world.other_city))
    assert found(staff_client) == {mine.number}
    assert foreign.number not in found(staff_client, number=foreign.number)


def test_search_by_number_firm_text_state_unit_channel_type_and_dates(staff_client, world):
    handled = flow.in_progress(world, co_units=[world.other_dept])
    new = register(
        actor=world.other_firm_user,
        enterprise=world.other_firm,
        channel=Channel.PORTAL,
        type=PetitionType.COMPLAINT,
        title="担保",
        content="融资担保费率高。",
        theme_id=world.theme.pk,
    )
    Petition.objects.filter(pk=new.pk).update(
        received_at=timezone.now() - timedelta(days=10), title="融资担保问题", type="consultation"
    )
    assert found(staff_client, number=handled.number[-3:]) >= {handled.number}
    assert found(staff_client, firm=world.other_firm.name) == {new.number}
    assert found(staff_client, firm=world.firm.uscc) == {handled.number}
    assert found(staff_client, text="融资担保") == {new.number}
    assert found(staff_client, state="in_progress") == {handled.number}
    assert found(staff_client, unit=world.other_dept.pk) == {handled.number}  # as co-handler
    assert found(staff_client, channel=Channel.PORTAL) == {handled.number, new.number}
    assert found(staff_client, type=PetitionType.CONSULTATION) == {new.number}
    assert found(staff_client, theme=world.theme.pk) == {handled.number, new.number}
    today = timezone.localdate()
    assert found(staff_client, received_from=f"{today:%Y-%m-%d}") == {handled.number}
    assert found(staff_client, received_to=f"{today - timedelta(days=5):%Y-%m-%d}") == {new.number}


def test_search_is_paginated_with_a_fixed_number_of_queries(
    staff_client, world, django_assert_num_queries
):
    for _ in range(30):
        flow.registered(world)
    # 1 session · 2 user · 3 the user's unit · 4 its parent (the city) · 5–7 units under the city
    # for the unit filter, one query per level · 8 which kinds of unit handle petitions ·
    # 9–10 jurisdiction ids, one per level · 11 count · 12 page rows with firm, theme and lead
    # unit · 13 co-handlers of the page · 14 working-day calendar for the due badges ·
    # 15 unit choices · 16 theme choices
    with django_assert_num_queries(16):
        response = staff_client.get(reverse("staff:search"), {"channel": Channel.PORTAL})
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 30
    second = staff_client.get(reverse("staff:search"), {"channel": Channel.PORTAL, "page": 2})
    assert len(second.context["page"]) == 5


def test_leaders_and_supervisors_search_too(client, world):
    petition = flow.registered(world)
    for user in (world.leader, world.supervisor):
        client.force_login(user)
        assert found(client) == {petition.number}


def test_the_ledger_export_has_chinese_headers_and_one_row_per_petition(staff_client, world):
    concluded = flow.replied(world, co_units=[world.other_dept])
    evaluate(petition_id=concluded.pk, actor=world.firm_user, rating=Rating.SATISFIED)
    flow.registered(world)
    response = staff_client.get(reverse("staff:export"), {"state": "concluded"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == LEDGER_HEADERS
    assert len(rows) == 2
    row = dict(zip(LEDGER_HEADERS, rows[1], strict=True))
    concluded.refresh_from_db()
    assert row["编号"] == concluded.number
    assert row["统一社会信用代码"] == world.firm.uscc
    assert row["承办单位"] == world.dept.name
    assert row["协办单位"] == world.other_dept.name
    assert row["评价"] == "满意"
    assert row["办结时间"].startswith(f"{timezone.localtime(concluded.concluded_at):%Y-%m-%d}")


def test_the_export_costs_a_fixed_number_of_queries(staff_client, world, django_assert_num_queries):
    for _ in range(3):
        flow.replied(world, co_units=[world.other_dept])
    # 1 session · 2 user · 3 the user's unit · 4 its parent (the city) · 5–7 units under the city
    # for the unit filter, one query per level · 8 which kinds of unit handle petitions ·
    # 9–10 jurisdiction ids, one per level · 11 rows with firm, theme and lead unit ·
    # 12 co-handlers · 13 evaluations
    with django_assert_num_queries(13):
        response = staff_client.get(reverse("staff:export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4
