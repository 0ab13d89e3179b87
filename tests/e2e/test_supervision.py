"""The task force in a real browser: the statistics page draws its charts (ECharts on a canvas),
each with a table of the same numbers; the ledger and a sweep. Screenshots go to test-artifacts/."""

from datetime import date

import pytest

from petitions.models import Channel, PetitionType, Rating, Theme
from supervision.sweep import run_monthly_sweep
from tests.supervision.test_selectors import handled

DESKTOP = {"width": 1366, "height": 900}
MOBILE = {"width": 390, "height": 844}
CHANNELS = [Channel.PORTAL, Channel.HOTLINE_12345, Channel.VISIT, Channel.SERVICE_HALL]
TYPES = [PetitionType.COMPLAINT, PetitionType.CONSULTATION, PetitionType.SUGGESTION]


def a_year_of_petitions(world) -> None:
    """A few petitions on the first working Monday-ish day of each month of 2026, in every state."""
    themes = list(Theme.objects.filter(code__in=["financing", "land", "approval", "arrears"]))
    days = [date(2026, m, d) for m, d in [(1, 12), (2, 9), (3, 9), (4, 13), (5, 11), (6, 8)]]
    days += [date(2026, m, d) for m, d in [(7, 13), (8, 10), (9, 14), (10, 12), (11, 2)]]
    n = 0
    for month_index, day in enumerate(days):
        for k in range(1 + month_index % 3):
            n += 1
            other = n % 3 == 0
            done = day.month < 11 and n % 4 != 1
            handled(
                world,
                on=day,
                unit=world.other_dept if other else world.dept,
                handler=world.other_handler if other else world.handler,
                theme=themes[(n + k) % len(themes)],
                channel=CHANNELS[n % len(CHANNELS)],
                type=TYPES[n % len(TYPES)],
                reply_on=date(day.year, day.month, day.day + (2 if n % 5 else 6)) if done else None,
                rating=(Rating.BASICALLY_SATISFIED if n % 3 == 1 else Rating.SATISFIED)
                if done
                else None,
            )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_task_force_reads_the_statistics_with_charts(
    page, live_server, world, login, artifacts
):
    a_year_of_petitions(world)
    run_monthly_sweep(date(2026, 11, 25))
    login("staff")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/staff/supervision/statistics/?start=2026-01&end=2026-11")
    page.wait_for_selector("#chart-by-channel[data-rendered=true] canvas")
    charts = page.locator(".zq-chart")
    assert charts.count() == 7
    for i in range(charts.count()):
        assert charts.nth(i).locator("canvas").count() == 1
        assert charts.nth(i).bounding_box()["height"] >= 200
    page.wait_for_timeout(1200)  # let the bars finish growing before the screenshot
    page.screenshot(path=artifacts / "statistics.png", full_page=True)

    # The numbers are there without the charts: a table in a <details> per chart.
    page.locator("#by-channel-heading ~ details summary").click()
    table = page.locator("#by-channel-heading ~ details table")
    assert table.is_visible()
    assert "2026-11" in table.inner_text()

    page.set_viewport_size(MOBILE)
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "statistics-mobile.png", full_page=True)

    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/staff/supervision/ledger/")
    assert page.locator("table tbody tr").count() >= 10
    page.screenshot(path=artifacts / "ledger.png", full_page=True)
    page.goto(f"{live_server.url}/staff/supervision/sweeps/")
    page.locator("table tbody tr th a").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts / "sweep.png", full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_leader_puts_a_proposed_item_on_the_key_list(page, live_server, world, login, artifacts):
    from supervision.models import KeyStatus, KeySupervision

    late = handled(world, on=date(2026, 11, 2))
    run_monthly_sweep(date(2026, 11, 25))
    login("leader")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/staff/supervision/keys/")
    page.get_by_role("link", name=late.number).click()
    page.wait_for_load_state("networkidle")
    page.locator("input[name=decision][value=approve]").check()
    page.fill("textarea[name=note]", "请市工信局本周内办结并报告。")
    page.screenshot(path=artifacts / "key-decision.png", full_page=True)
    page.locator("form[action$='/decide/'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert KeySupervision.objects.get().status == KeyStatus.APPROVED
    assert page.locator(".alert-success").count() == 1
    page.screenshot(path=artifacts / "key-approved.png", full_page=True)
