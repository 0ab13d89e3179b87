"""Dates and times typed into forms and filters stay between 2000 and 2099 (zqztc/dates.py).

Before: a search until 9999-12-31 overflowed when a day was added (a server error on the staff
search and its export), and a receipt time of 0001-01-01 was accepted; PostgreSQL kept it as a UTC
moment in 1 BC that Python cannot read back, so the lists showing the petition broke, and the
petition was numbered ZQ0001-….
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from meetings.models import Meeting, MeetingKind
from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import (
    Channel,
    ContactRecord,
    Petition,
    PetitionNumber,
    PetitionType,
)
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
OUT_OF_RANGE = "Enter a date between 2000-01-01 and 2099-12-31."


@pytest.fixture(autouse=True)
def _a_thursday_in_2026(time_machine):
    time_machine.move_to(datetime(2026, 11, 19, 10, 0, tzinfo=SH))


def login(client, user):
    client.force_login(user)
    client.raise_request_exception = False
    # English msgids, so the assertions do not depend on the zh_Hans catalogue.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def registration(world, **overrides):
    data = {
        "enterprise": world.firm.pk,
        "channel": Channel.HOTLINE_12345,
        "channel_ref": "12345-20260302-0001",
        "received_at": "2026-11-18T09:30",
        "type": PetitionType.CONSULTATION,
        "theme": world.theme.pk,
        "title": "贷款贴息政策咨询",
        "content": "企业想了解技改贷款贴息的申请条件。",
    }
    data.update(overrides)
    return data


# --- search ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["staff:search", "staff:export"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2100-01-01"])
def test_a_search_bound_out_of_range_is_refused_not_a_server_error(client, world, name, day):
    flow.registered(world)
    login(client, world.staff)
    response = client.get(reverse(name), {"received_from": day, "received_to": day})
    assert response.status_code == 200


def test_the_search_says_which_dates_it_accepts(client, world):
    login(client, world.staff)
    response = client.get(reverse("staff:search"), {"received_to": "9999-12-31"})
    assert response.context["filter"].form.errors["received_to"] == [OUT_OF_RANGE]
    assert OUT_OF_RANGE in response.content.decode()


def test_the_last_day_of_2099_is_still_a_search_bound(client, world):
    petition = flow.registered(world)
    login(client, world.staff)
    response = client.get(reverse("staff:search"), {"received_to": "2099-12-31"})
    assert response.context["filter"].is_valid()
    assert [p.pk for p in response.context["page"]] == [petition.pk]


def test_the_handler_inbox_refuses_an_out_of_range_date(client, world):
    login(client, world.handler)
    response = client.get(reverse("handler:inbox"), {"received_to": "9999-12-31"})
    assert response.status_code == 200
    assert OUT_OF_RANGE in response.content.decode()


def test_the_supervision_ledger_refuses_an_out_of_range_date(client, world):
    login(client, world.supervisor)
    response = client.get(reverse("supervision:ledger"), {"issued_to": "9999-12-31"})
    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()
    response = client.get(reverse("supervision:ledger_export"), {"issued_to": "9999-12-31"})
    assert response.status_code < 500


def test_the_statistics_refuse_a_month_out_of_range(client, world):
    login(client, world.supervisor)
    response = client.get(reverse("supervision:statistics"), {"start": "2026-01", "end": "9999-12"})
    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()


# --- the time received -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["0001-01-01T08:00", "1900-01-01T08:00", "1999-12-31T23:59", "0001-01-01T00:00+14:00"]
)
def test_a_time_received_before_2000_is_refused_on_the_register_form(client, world, typed):
    login(client, world.staff)
    response = client.post(reverse("staff:register"), registration(world, received_at=typed))
    assert response.status_code == 400
    assert response.context["form"].errors["received_at"] == [
        "Enter a time on or after 2000-01-01."
    ]
    assert "贷款贴息政策咨询" in response.content.decode()  # typed values kept
    assert not Petition.objects.exists()
    assert not PetitionNumber.objects.exclude(year=2026).exists()


def test_a_time_received_far_in_the_future_with_an_offset_is_refused(client, world):
    login(client, world.staff)
    typed = "9999-12-31T23:59-14:00"
    response = client.post(reverse("staff:register"), registration(world, received_at=typed))
    assert response.context["form"].errors["received_at"] == [
        "The time received cannot be in the future."
    ]
    assert not Petition.objects.exists()


def test_a_time_received_typed_with_an_offset_is_kept_in_local_time(client, world):
    login(client, world.staff)
    typed = "2026-11-18T01:30+00:00"
    client.post(reverse("staff:register"), registration(world, received_at=typed))
    petition = Petition.objects.get()
    assert petition.received_at == datetime(2026, 11, 18, 9, 30, tzinfo=SH)
    assert petition.number.startswith("ZQ2026-")


def test_the_first_moment_of_2000_is_accepted_and_numbered_in_2000(world):
    petition = workflow.register(
        actor=world.staff,
        enterprise=world.firm,
        channel=Channel.VISIT,
        type=PetitionType.CONSULTATION,
        title="标题",
        content="内容",
        received_at=datetime(2000, 1, 1, 0, 0, tzinfo=SH),
    )
    assert petition.number == "ZQ2000-000001"


def test_the_workflow_refuses_a_time_received_before_2000_and_numbers_nothing(world):
    with pytest.raises(WorkflowError) as refused:
        workflow.register(
            actor=world.staff,
            enterprise=world.firm,
            channel=Channel.VISIT,
            type=PetitionType.CONSULTATION,
            title="标题",
            content="内容",
            received_at=datetime(1999, 12, 31, 23, 59, tzinfo=SH),
        )
    assert refused.value.code == "too_early"
    assert not PetitionNumber.objects.exists()
    assert not Petition.objects.exists()


def test_the_admin_register_page_refuses_a_time_received_before_2000(client, world):
    from tests.petitions.test_admin import make_staff

    login(client, make_staff(world.staff))
    data = {
        "enterprise": world.firm.pk,
        "channel": Channel.VISIT,
        "channel_ref": "",
        "received_at_0": "1900-01-01",
        "received_at_1": "08:00:00",
        "type": PetitionType.CONSULTATION,
        "title": "标题",
        "content": "内容",
    }
    response = client.post(reverse("admin:petitions_petition_add"), data)
    assert response.status_code == 200
    assert "The time received cannot be before 2000-01-01." in response.content.decode()
    assert not Petition.objects.exists()


# --- other dates -------------------------------------------------------------------------------------


def test_a_contact_time_before_2000_is_refused(client, world):
    petition = flow.assigned(world)
    login(client, world.handler)
    response = client.post(
        reverse("handler:contact", args=[petition.pk]),
        {
            "contact-contacted_at": "0001-01-01T08:00",
            "contact-method": "phone",
            "contact-summary": "电话联系了企业。",
        },
    )
    assert "Enter a time on or after 2000-01-01." in response.content.decode()
    assert not ContactRecord.objects.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "2100-01-01"])
def test_a_meeting_date_out_of_range_is_refused_next_to_the_field(client, world, day):
    login(client, world.staff)
    data = {
        "jurisdiction": world.city.pk,
        "kind": MeetingKind.FACE_TO_FACE,
        "title": "第四季度面对面",
        "date": day,
        "chair": world.leader.pk,
    }
    response = client.post(reverse("meetings:plan"), data)
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["date"] == [OUT_OF_RANGE]
    assert not Meeting.objects.exists()
