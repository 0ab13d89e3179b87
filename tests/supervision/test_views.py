"""/staff/supervision/: who may open what, and what each page does (docs/rules.md §7; docs/conventions.md C9)."""

from datetime import date
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from petitions.models import Rating, Role
from supervision.models import KeyFollowUp, KeyStatus, KeySupervision
from supervision.sweep import run_monthly_sweep
from tests.factories import OrgUnitFactory, member
from tests.supervision.test_selectors import at, handled

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)


@pytest.fixture
def clock():
    with time_machine.travel(at(TODAY), tick=False):
        yield


@pytest.fixture
def data(world, clock):
    late = handled(world)  # reply due Thu 5 Nov, still in progress on the 25th
    done = handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    sweep = run_monthly_sweep(date(2026, 11, 25))
    return SimpleNamespace(
        late=late, done=done, sweep=sweep, key=KeySupervision.objects.get(petition=late)
    )


def read_urls(d) -> list[str]:
    return [
        reverse("supervision:ledger"),
        reverse("supervision:ledger_export"),
        reverse("supervision:sweeps"),
        reverse("supervision:sweep", args=[d.sweep.pk]),
        reverse("supervision:notice", args=[d.sweep.pk]),
        reverse("supervision:notice_xlsx", args=[d.sweep.pk]),
        reverse("supervision:keys"),
        reverse("supervision:key", args=[d.key.pk]),
        reverse("supervision:statistics"),
        reverse("supervision:reports"),
        reverse("supervision:monthly_report", args=[2026, 11]),
        reverse("supervision:monthly_report_xlsx", args=[2026, 11]),
        reverse("supervision:quarterly_report", args=[2026, 4]),
        reverse("supervision:quarterly_report_xlsx", args=[2026, 4]),
    ]


def pdf_urls(d) -> list[str]:
    return [
        reverse("supervision:notice_pdf", args=[d.sweep.pk]),
        reverse("supervision:monthly_report_pdf", args=[2026, 11]),
        reverse("supervision:quarterly_report_pdf", args=[2026, 4]),
    ]


def post_urls(d) -> list[str]:
    return [
        reverse("supervision:key_decide", args=[d.key.pk]),
        reverse("supervision:key_follow_up", args=[d.key.pk]),
    ]


# --- who may open what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "supervisor", "leader"])
def test_the_task_force_supervision_office_and_leaders_read_every_page(client, world, data, role):
    client.force_login(getattr(world, role))
    for url in read_urls(data):
        response = client.get(url)
        assert response.status_code == 200, url


def test_the_notice_and_the_reports_print_as_pdf(client, world, data):
    client.force_login(world.supervisor)
    for url in pdf_urls(data):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("role", ["firm_user", "handler", "district_handler"])
def test_firms_and_handlers_are_refused_everywhere(client, world, data, role):
    client.force_login(getattr(world, role))
    for url in read_urls(data) + pdf_urls(data):
        assert client.get(url).status_code == 403, url
    for url in post_urls(data):
        assert client.post(url, {"decision": "approve", "text": "x"}).status_code == 403, url
    assert KeySupervision.objects.get().status == KeyStatus.PROPOSED


def test_another_citys_staff_gets_404_on_every_id_url(client, world, data):
    client.force_login(world.foreign_staff)
    for url in [
        reverse("supervision:sweep", args=[data.sweep.pk]),
        reverse("supervision:notice", args=[data.sweep.pk]),
        reverse("supervision:notice_pdf", args=[data.sweep.pk]),
        reverse("supervision:notice_xlsx", args=[data.sweep.pk]),
        reverse("supervision:key", args=[data.key.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    follow = reverse("supervision:key_follow_up", args=[data.key.pk])
    assert client.post(follow, {"text": "督促"}).status_code == 404
    leadership = OrgUnitFactory(name="河源市政府领导", kind="leadership", parent=world.other_city)
    client.force_login(member(leadership, Role.LEADER, username="foreign_leader"))
    decide = reverse("supervision:key_decide", args=[data.key.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert KeySupervision.objects.get().status == KeyStatus.PROPOSED


def test_another_citys_staff_sees_nothing_of_ours_in_the_lists(client, world, data):
    client.force_login(world.foreign_staff)
    for name in ("ledger", "sweeps", "keys", "statistics"):
        body = client.get(reverse(f"supervision:{name}")).content.decode()
        assert data.late.number not in body, name
    sweeps = client.get(reverse("supervision:sweeps")).content.decode()
    assert reverse("supervision:sweep", args=[data.sweep.pk]) not in sweeps


def test_the_wrong_role_may_not_decide_or_follow_up(client, world, data):
    decide = reverse("supervision:key_decide", args=[data.key.pk])
    follow = reverse("supervision:key_follow_up", args=[data.key.pk])
    for role in ("staff", "supervisor"):
        client.force_login(getattr(world, role))
        assert client.post(decide, {"decision": "approve"}).status_code == 403
    client.force_login(world.leader)
    assert client.post(follow, {"text": "督促"}).status_code == 403
    assert client.get(decide).status_code == 405


def test_anonymous_visitors_are_sent_to_the_login_page(client, data):
    response = client.get(reverse("supervision:statistics"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the ledger ----------------------------------------------------------------------------------------


def test_the_ledger_shows_close_out_and_filters_by_it(client, world, clock):
    late = handled(world, reply_on=date(2026, 11, 10), rating=Rating.SATISFIED)
    on_time = handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    other = handled(world, unit=world.other_dept, handler=world.other_handler)
    client.force_login(world.supervisor)
    body = client.get(reverse("supervision:ledger")).content.decode()
    assert all(p.number in body for p in (late, on_time, other))
    body = client.get(reverse("supervision:ledger"), {"closeout": "late"}).content.decode()
    assert late.number in body
    assert on_time.number not in body
    body = client.get(reverse("supervision:ledger"), {"unit": world.other_dept.pk}).content.decode()
    assert other.number in body
    assert late.number not in body


def test_a_bad_ledger_filter_is_explained_next_to_the_field(client, world, clock):
    client.force_login(world.staff)
    response = client.get(reverse("supervision:ledger"), {"issued_from": "not-a-date"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert response.context["filter"].form["issued_from"].value() == "not-a-date"


def _count(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_the_ledger_runs_the_same_queries_for_3_or_20_petitions(
    client, world, clock, django_assert_num_queries
):
    url = reverse("supervision:ledger")
    client.force_login(world.staff)
    for n in range(3):
        handled(world, reply_on=date(2026, 11, 4) if n % 2 else None)
    few = _count(client, url)
    for n in range(17):
        handled(world, reply_on=date(2026, 11, 4 + n % 10), rating=Rating.SATISFIED)
    assert _count(client, url) == few
    # 1 session, 2 user, 3 the user's unit, 4 its parent (the jurisdiction),
    # 5–6 jurisdictions under it (for the scope), 7–8 again for visible_to,
    # 9 count of the ledger, 10 the page with its subqueries and joins,
    # 11 the working-day calendar for the due badges (overrides),
    # 12 the units of the filter's select, 13 the themes of the filter's select.
    with django_assert_num_queries(few):
        client.get(url)
    assert few == 13


def test_the_statistics_run_the_same_queries_for_3_or_20_petitions(
    client, world, clock, django_assert_num_queries
):
    url = reverse("supervision:statistics")
    client.force_login(world.staff)
    for _n in range(3):
        handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    few = _count(client, url)
    for n in range(17):
        handled(
            world,
            unit=world.other_dept if n % 2 else world.dept,
            handler=world.other_handler if n % 2 else world.handler,
            reply_on=date(2026, 11, 4 + n % 10),
            rating=Rating.BASICALLY_SATISFIED,
        )
    assert _count(client, url) == few
    # 1 session, 2 user, 3 unit, 4 its jurisdiction, 5–6 jurisdictions under it, 7–8 again for
    # visible_to, 9–10 the policy (own or parent's, then the default), 11 volumes by place and
    # theme, 12 volumes by channel and type, 13 unit names, 14 theme names, 15 deadline rates,
    # 16 evaluations, 17 the jurisdictions of the form's select.
    with django_assert_num_queries(few):
        client.get(url)
    assert few == 17


# --- sweeps and the notice --------------------------------------------------------------------------


def test_the_sweep_page_lists_items_with_lateness_and_filters_by_unit(client, world, data):
    client.force_login(world.staff)
    url = reverse("supervision:sweep", args=[data.sweep.pk])
    response = client.get(url)
    body = response.content.decode()
    assert data.late.number in body
    assert data.done.number not in body
    item = response.context["page"].object_list[0]
    assert item.working_days_overdue == 14  # due 5 Nov; 6..25 Nov holds 14 working days
    assert item.key_id == data.key.pk
    proposed = client.get(url, {"show": "proposed"}).content.decode()
    assert data.late.number in proposed
    assert data.late.number not in client.get(url, {"unit": world.other_dept.pk}).content.decode()


def test_the_sweeps_list_links_each_month(client, world, data):
    client.force_login(world.leader)
    body = client.get(reverse("supervision:sweeps")).content.decode()
    assert reverse("supervision:sweep", args=[data.sweep.pk]) in body
    assert reverse("supervision:notice_pdf", args=[data.sweep.pk]) in body


# --- key supervision ------------------------------------------------------------------------------------


def test_a_leader_approves_a_proposed_item_and_sees_the_follow_up_due_date(client, world, data):
    client.force_login(world.leader)
    key_url = reverse("supervision:key", args=[data.key.pk])
    assert "decision" in client.get(key_url).content.decode()
    response = client.post(
        reverse("supervision:key_decide", args=[data.key.pk]),
        {"decision": "approve", "note": "请限期办结"},
    )
    assert response.status_code == 302
    assert response["Location"] == key_url
    key = KeySupervision.objects.get()
    assert (key.status, key.note, key.decided_by) == (
        KeyStatus.APPROVED,
        "请限期办结",
        world.leader,
    )
    assert key.follow_up_due_on == date(2026, 12, 3)
    body = client.get(key_url).content.decode()
    assert "2026-12-03" in body
    assert 'name="decision"' not in body  # decided: no form any more


def test_a_decision_without_a_choice_is_refused_and_keeps_the_note(client, world, data):
    client.force_login(world.leader)
    response = client.post(reverse("supervision:key_decide", args=[data.key.pk]), {"note": "再议"})
    assert response.status_code == 400
    assert response.context["decision_form"].errors["decision"]
    assert "再议" in response.content.decode()
    assert KeySupervision.objects.get().status == KeyStatus.PROPOSED


def test_deciding_twice_shows_the_workflows_refusal(client, world, data):
    client.force_login(world.leader)
    url = reverse("supervision:key_decide", args=[data.key.pk])
    client.post(url, {"decision": "decline", "note": "已在办理"})
    response = client.post(url, {"decision": "approve"})  # e.g. a second tab
    assert response.status_code == 400
    assert response.context["decision_form"].non_field_errors()
    assert 'role="alert"' in response.content.decode()
    assert KeySupervision.objects.get().status == KeyStatus.DECLINED


def test_the_supervision_office_records_a_follow_up(client, world, data):
    client.force_login(world.leader)
    client.post(reverse("supervision:key_decide", args=[data.key.pk]), {"decision": "approve"})
    client.force_login(world.supervisor)
    url = reverse("supervision:key_follow_up", args=[data.key.pk])
    empty = client.post(url, {"text": "  "})
    assert empty.status_code == 400
    assert empty.context["follow_up_form"].errors["text"]
    assert not KeyFollowUp.objects.exists()
    response = client.post(url, {"text": "已电话督促市工信局"})
    assert response.status_code == 302
    entry = KeyFollowUp.objects.get()
    assert (entry.author, entry.text) == (world.supervisor, "已电话督促市工信局")
    listing = client.get(reverse("supervision:keys"), {"status": "approved"}).content.decode()
    assert data.late.number in listing
    assert "2026-12-03" in listing


def test_a_follow_up_on_a_proposed_item_is_refused_by_the_workflow(client, world, data):
    client.force_login(world.staff)
    response = client.post(
        reverse("supervision:key_follow_up", args=[data.key.pk]), {"text": "督促"}
    )
    # No form is offered before a leader decides; a forged post gets the workflow's refusal.
    assert response.status_code == 400
    assert response.context["follow_up_form"].non_field_errors()
    assert not KeyFollowUp.objects.exists()


def test_the_key_list_starts_leaders_on_what_waits_for_them(client, world, data):
    client.force_login(world.leader)
    response = client.get(reverse("supervision:keys"))
    assert response.context["status"] == KeyStatus.PROPOSED
    assert data.late.number in response.content.decode()
    client.force_login(world.staff)
    assert client.get(reverse("supervision:keys")).context["status"] == KeyStatus.APPROVED


# --- statistics and reports ------------------------------------------------------------------------


def test_the_statistics_page_passes_chart_data_as_json(client, world, data):
    client.force_login(world.staff)
    response = client.get(reverse("supervision:statistics"))
    body = response.content.decode()
    assert 'id="chart-data-by-channel" type="application/json"' in body
    assert "vendor/echarts-5.6.0/echarts.min.js" in body
    assert "js/charts.js" in body
    assert "<details" in body
    assert response.context["stats"].total == 2


def test_the_statistics_period_and_jurisdiction_can_be_chosen(client, world, data):
    client.force_login(world.staff)
    response = client.get(
        reverse("supervision:statistics"),
        {"start": "2026-10", "end": "2026-10", "jurisdiction": world.district.pk},
    )
    assert response.status_code == 200
    assert response.context["stats"].total == 0
    assert response.context["where"] == world.district


def test_a_reversed_period_is_explained(client, world, data):
    client.force_login(world.staff)
    response = client.get(reverse("supervision:statistics"), {"start": "2026-11", "end": "2026-01"})
    assert response.status_code == 400
    assert response.context["form"].errors["end"]
    assert 'value="2026-11"' in response.content.decode()


def test_a_period_that_does_not_exist_is_a_404(client, world, data):
    client.force_login(world.staff)
    assert client.get(reverse("supervision:monthly_report", args=[2026, 13])).status_code == 404
    assert client.get(reverse("supervision:quarterly_report", args=[2026, 5])).status_code == 404


def test_the_reports_page_lists_months_and_quarters_with_due_dates(client, world, data):
    client.force_login(world.leader)
    body = client.get(reverse("supervision:reports")).content.decode()
    assert reverse("supervision:monthly_report_pdf", args=[2026, 11]) in body
    assert reverse("supervision:quarterly_report_xlsx", args=[2026, 4]) in body
    assert "2026-12-25" in body  # November's report is due by the 25th of December
    assert "2027-01-10" in body  # the fourth quarter's by 10 January
