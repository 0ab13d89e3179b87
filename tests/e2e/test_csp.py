"""The Content-Security-Policy in a real browser: the pages that run our scripts (charts, meeting
planning, the admin, a print page) work under it and Chromium reports no violation."""

from datetime import date

import pytest
from django.urls import reverse

from petitions.models import EnterpriseTag, User
from supervision.sweep import run_monthly_sweep
from tests.e2e.test_supervision import a_year_of_petitions
from tests.petitions import flow

DESKTOP = {"width": 1366, "height": 900}

# Collects securitypolicyviolation events from the first moment of every document (Playwright's init
# scripts are not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def violations(page):
    """Every CSP violation Chromium logs on the console, plus the ones the pages' documents saw."""
    logged: list[str] = []
    page.on(
        "console",
        lambda message: (
            logged.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: logged.append(f"page error: {error}"))
    page.add_init_script(RECORD_VIOLATIONS)

    def collect() -> list[str]:
        return logged + page.evaluate("window.__violations || []")

    return collect


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_statistics_charts_draw_under_the_policy(
    page, live_server, world, login, artifacts, violations
):
    a_year_of_petitions(world)
    run_monthly_sweep(date(2026, 11, 25))
    login("staff")
    page.set_viewport_size(DESKTOP)

    response = page.goto(
        f"{live_server.url}{reverse('supervision:statistics')}?start=2026-01&end=2026-11"
    )

    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.wait_for_selector("#chart-by-channel[data-rendered=true] canvas")
    assert page.locator(".zq-chart canvas").count() == page.locator(".zq-chart").count() > 0
    # A tooltip is drawn as HTML on hover: it must not need inline styles the policy refuses.
    chart = page.locator("#chart-by-channel")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(600)
    page.screenshot(path=artifacts / "statistics-tooltip.png")
    assert violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_planning_a_meeting_works_under_the_policy(
    page, live_server, world, login, artifacts, violations
):
    world.firm.tags.add(EnterpriseTag.objects.get(code="above_size"))
    login("staff")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}{reverse('meetings:plan')}")

    # static/js/plan.js filters, selects and counts the firms, and warns about talks with too few.
    page.select_option("#id_kind", "talks")
    page.select_option("#firm-tag", "above_size")
    assert page.locator(f"#id_firms input[value='{world.other_firm.pk}']").is_hidden()
    page.click("#firm-all")
    assert page.locator("#firm-n").inner_text() == "1"
    assert page.locator("#firm-warning").is_visible()
    page.click("#firm-none")
    assert page.locator("#firm-n").inner_text() == "0"
    page.screenshot(path=artifacts / "plan.png", full_page=True)

    # The firm search on the register page: Enter does not submit the form (static/js/zqztc.js).
    page.goto(f"{live_server.url}{reverse('staff:register')}")
    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.fill("#firm-q", world.firm.name[:4])
    page.wait_for_selector("#firm-results input[type=radio]")  # htmx searched as one types
    page.press("#firm-q", "Enter")
    page.wait_for_load_state("networkidle")
    assert posts == []
    assert violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_and_a_print_page_work_under_the_policy(
    page, live_server, world, login, artifacts, violations
):
    petition = flow.assigned(world)
    User.objects.create_superuser("root", "root@example.gov.cn", "pass-for-tests-1")
    login("root")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}{reverse('admin:petitions_user_change', args=[world.handler.pk])}")
    assert page.locator("#user_form").count() == 1
    page.screenshot(path=artifacts / "admin-user.png", full_page=True)
    page.goto(f"{live_server.url}{reverse('admin:petitions_petition_changelist')}")
    page.locator("#action-toggle").check()  # the admin's own actions.js ticks every row
    assert page.locator("input.action-select").first.is_checked()

    # A print page: its inline <style> carries the nonce, the Print button is wired by data-zq-print.
    page.context.clear_cookies()
    login("staff")
    page.goto(f"{live_server.url}{reverse('staff:transfer_letter', args=[petition.pk])}")
    assert page.locator(".toolbar").evaluate("e => getComputedStyle(e).display") == "flex"
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    page.locator("[data-zq-print]").click()
    assert page.evaluate("window.__printed") == 1
    page.screenshot(path=artifacts / "transfer-letter.png", full_page=True)
    assert violations() == []
