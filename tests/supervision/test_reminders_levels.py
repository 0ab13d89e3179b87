"""The task force's daily digest goes to the task force that runs each level: its own, or its
parent's standing in while the level has no task-force account, marked with the level it covers
(docs/rules.md §1; docs/jobs.md, "Digests and reminders")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from notices import sender
from notices.models import Delivery, Status
from petitions import levels as lv
from petitions import workflow
from petitions.models import Channel, Notification, OrgUnit, PetitionType, UnitKind, User
from supervision import reminders
from supervision.models import JobRun, Reminder
from tests.factories import EnterpriseFactory, OrgUnitFactory, firm_user
from tests.petitions import flow

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MON, TUE, WED = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
STANDS_IN = "%(name)s (it has no task-force account of its own; your task force stands in for it)"


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def marked(day: str, levels: str, *, with_own: bool) -> str:
    """The stamp of a digest that covers levels stood in for, as the job renders it."""
    mark = "%(date)s, including %(levels)s" if with_own else "%(date)s, for %(levels)s"
    return zh(mark) % {"date": day, "levels": levels}


def registered_in(world, jurisdiction: OrgUnit, *, on: date = MON):
    """A petition of a firm of that jurisdiction, registered on `on`: its task force owes triage."""
    firm = EnterpriseFactory(jurisdiction=jurisdiction)
    with time_machine.travel(datetime(on.year, on.month, on.day, 10, tzinfo=SH), tick=False):
        return workflow.register(
            actor=firm_user(firm),
            enterprise=firm,
            channel=Channel.PORTAL,
            type=PetitionType.COORDINATION,
            title="用地指标协调",
            content="需要协调用地指标。",
            theme_id=world.theme.pk,
        )


def city_case(world, *, on: date = MON):
    with time_machine.travel(datetime(on.year, on.month, on.day, 10, tzinfo=SH), tick=False):
        return flow.registered(world)


def digests(user: User) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind="tf.due").order_by("pk"))


def mails_to(user: User) -> list:
    sender.deliver_due()
    return [
        m
        for m in mail.outbox
        if m.to == [user.email] and m.extra_headers["X-ZQZTC-Delivery"].startswith("digest:")
    ]


# --- a level without a task force ------------------------------------------------------------------


def test_a_district_without_a_task_force_has_its_digest_sent_to_the_city_marked(world):
    assert lv.run_by(world.district) == world.city  # the world's district has no task force
    petition = registered_in(world, world.district)

    result = reminders.send_daily_digests(TUE)

    assert (result["told"], result["nobody"], result["failed"]) == (1, 0, 0)
    [notice] = digests(world.staff)
    stamp = marked("2026-11-03", "龙湖区", with_own=False)
    assert stamp in notice.title  # the in-app title and the e-mail subject
    assert notice.body.startswith(stamp)  # the in-app text
    [message] = mails_to(world.staff)
    assert stamp in message.subject
    assert message.body.startswith(stamp)
    assert petition.number in message.body
    assert zh(STANDS_IN) % {"name": "龙湖区"} in message.body
    assert notice.link.endswith("/staff/")
    # Nobody else was told, and no digest was left addressed to nobody.
    assert Reminder.objects.get(on_date=TUE).user == world.staff
    assert not Delivery.objects.filter(kind="tf.due", status=Status.SKIPPED).exists()


def test_a_parent_running_several_levels_gets_one_digest_with_a_section_per_level(world, levels):
    own = city_case(world)
    zone_case = registered_in(world, levels.zone)
    district_case = registered_in(world, world.district)  # run by its own task force

    reminders.send_daily_digests(TUE)

    # One digest per person and day (Reminder is unique), its source keyed by the person.
    [notice] = digests(world.staff)
    stamp = marked("2026-11-03", levels.zone.name, with_own=True)
    assert stamp in notice.title
    assert "龙湖区" not in notice.title
    [message] = mails_to(world.staff)
    body = message.body
    own_heading = zh("%(name)s (your own jurisdiction)") % {"name": "汕头市"}
    zone_heading = zh(STANDS_IN) % {"name": levels.zone.name}
    assert body.index(own_heading) < body.index(own.number) < body.index(zone_heading)
    assert body.index(zone_heading) < body.index(zone_case.number)
    assert district_case.number not in body  # the district's task force has its own
    rows = Delivery.objects.filter(user=world.staff, kind="tf.due")
    assert {r.key.split(":tf.due:")[0] for r in rows} == {
        f"digest:daily:2026-11-03:u{world.staff.pk}"
    }
    assert Reminder.objects.filter(user=world.staff, on_date=TUE).count() == 1


# --- a level with its own task force -------------------------------------------------------------


def test_a_district_with_its_own_task_force_alone_gets_its_digest_unmarked(world, levels):
    petition = registered_in(world, world.district)

    result = reminders.send_daily_digests(TUE)

    assert result["told"] == 1
    assert digests(world.staff) == []  # the city reads the district's cases, it is not reminded
    assert mails_to(world.staff) == []
    [notice] = digests(levels.district_staff)
    # The plain stamp: no level is named, as before the levels.
    assert notice.body.startswith("2026-11-03")
    assert "龙湖区" not in notice.title + notice.body
    [message] = mails_to(levels.district_staff)
    assert petition.number in message.body
    assert zh("%(name)s (your own jurisdiction)") % {"name": "龙湖区"} not in message.body


def test_a_district_whose_task_force_left_falls_back_to_the_city(world, levels):
    registered_in(world, world.district)
    levels.district_staff.is_active = False
    levels.district_staff.save(update_fields=["is_active"])

    reminders.send_daily_digests(TUE)

    assert digests(levels.district_staff) == []
    [notice] = digests(world.staff)
    assert marked("2026-11-03", "龙湖区", with_own=False) in notice.title


def test_other_cities_are_not_told_of_this_citys_levels(world, levels):
    registered_in(world, levels.zone)
    reminders.send_daily_digests(TUE)
    assert digests(world.foreign_staff) == []
    assert digests(levels.district_staff) == []
    assert len(digests(world.staff)) == 1


# --- exactly once -----------------------------------------------------------------------------------


def test_running_the_job_twice_tells_nobody_twice(world, levels):
    city_case(world)
    registered_in(world, levels.zone)
    registered_in(world, world.district)

    first = reminders.send_daily_digests(TUE)
    assert (first["told"], first["finished"]) == (2, True)
    assert reminders.send_daily_digests(TUE) == {"skipped": "already ran"}
    # A run that died after telling everyone is resumed: it tells the same people nobody twice.
    JobRun.objects.filter(period="2026-11-03").update(status=JobRun.Status.RUNNING)
    again = reminders.send_daily_digests(TUE)

    assert (again["told"], again["already"], again["resumed"]) == (0, 2, True)
    for user in (world.staff, levels.district_staff):
        assert len(digests(user)) == 1, user.username
        assert Delivery.objects.filter(user=user, kind="tf.due").count() == 2  # in-app, e-mail
        assert len(mails_to(user)) == 1
    assert Reminder.objects.filter(on_date=TUE).count() == 2


def test_a_level_nobody_runs_leaves_one_skipped_delivery_of_its_own(world):
    city = OrgUnitFactory(name="揭阳市", kind=UnitKind.CITY)
    district = OrgUnitFactory(name="榕城区", kind=UnitKind.DISTRICT, parent=city)
    assert lv.run_by(district) == district
    registered_in(world, district)

    assert reminders.send_daily_digests(TUE)["nobody"] == 1
    JobRun.objects.filter(period="2026-11-03").update(status=JobRun.Status.RUNNING)
    reminders.send_daily_digests(TUE)

    [row] = Delivery.objects.filter(kind="tf.due")
    assert row.status == Status.SKIPPED
    assert row.key == f"digest:daily:2026-11-03:tf{district.pk}:tf.due:none:nobody"
    assert not Reminder.objects.exists()


def test_a_late_digest_stood_in_for_names_the_level_in_its_in_app_text(world):
    assert reminders.send_daily_digests(MON)["finished"]
    registered_in(world, world.district)
    # Beat is down on Tuesday; on Wednesday the digest covers it, late.
    result = reminders.send_daily_digests(WED)

    assert result["covers"] == ["2026-11-03"]
    [notice] = digests(world.staff)
    late = zh("%(date)s (sent late)") % {"date": "2026-11-04"}
    assert marked(late, "龙湖区", with_own=False) in notice.title
    # The late note replaces the counts in the in-app text: it names the level too.
    assert "2026-11-03" in notice.body
    assert (
        zh("It covers %(levels)s, which has no task force of its own.") % {"levels": "龙湖区"}
        in notice.body
    )
