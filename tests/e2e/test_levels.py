"""Every level runs the mechanism itself, in a real browser (issue 13, docs/rules.md §1): a district
petition triaged by the district, passed up, assigned by the city to a stationed unit with a district
co-handler, handled and replied, read by the district and followed by the firm; a wrong-remit return
upheld and the firm told where its case went; who gets 404 or 403 at which level. Screenshots go to
test-artifacts/<test name>/."""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from petitions.models import (
    Enterprise,
    LevelTransfer,
    OrgUnit,
    Petition,
    Role,
    State,
    UnitKind,
    User,
)
from tests.e2e.test_handler import post_then_reload
from tests.factories import EnterpriseFactory, OrgUnitFactory, firm_user, member
from tests.petitions import flow
from tests.petitions.test_levels import district_petition

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
PASS_UP_REASON = "涉及市级用地指标和税务政策，区级无法协调，提请市专班研究解决。"


def shot(page, artifacts, name, *, mobile=False):
    page.set_viewport_size(MOBILE if mobile else DESKTOP)
    page.screenshot(path=artifacts / name, full_page=True)
    page.set_viewport_size(DESKTOP)


def submit(page, form_selector):
    """Post a plain form and wait for the page it leads to (faster than waiting for network idle)."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username)


def triage_accept(page):
    """Accept on the triage page as the task force would (type, classes, tier)."""
    page.select_option("#accept_type", "coordination")
    page.select_option("#accept_scope_class", "departmental")
    page.select_option("#accept_demand_class", "individual")
    page.select_option("#accept_tier", "complex")


@dataclass
class DistrictFirm:
    firm: Enterprise
    user: User
    tax_handler: User


@pytest.fixture
def district_firm(world, levels) -> DistrictFirm:
    """A firm of 龙湖区 with a portal account, and a handler of the stationed tax bureau."""
    firm = EnterpriseFactory(jurisdiction=world.district, name="汕头龙湖精密制造有限公司")
    return DistrictFirm(
        firm=firm,
        user=firm_user(firm, username="lh_firm"),
        tax_handler=member(levels.stationed, Role.HANDLER, username="tax_handler"),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_district_case_is_passed_up_assigned_by_the_city_handled_and_read_by_the_district(
    page, live_server, world, levels, district_firm, login, artifacts
):
    url = live_server.url
    page.set_viewport_size(DESKTOP)

    # 1. The district's firm submits on the portal.
    login("lh_firm")
    page.goto(f"{url}/portal/petitions/new/")
    page.select_option("#id_type", "coordination")
    page.select_option("#id_theme", label=world.theme.name)
    page.fill("#id_title", "新厂房用地指标与税收优惠无法落实")
    page.fill(
        "#id_content", "我司在龙湖区新建厂房，用地指标需市级统筹，研发费用加计扣除迟迟未落实。"
    )
    page.fill("#id_request", "请协调用地指标并落实税收优惠政策。")
    shot(page, artifacts, "01-firm-submits.png")
    submit(page, "main form")
    petition = Petition.objects.get(enterprise=district_firm.firm)
    assert petition.jurisdiction == world.district
    assert page.url == f"{url}/portal/petitions/{petition.pk}/"

    # 2. The district's task force triages it in its own intake (the city's cases are not there).
    switch_user(page, login, "district_staff")
    page.goto(f"{url}/staff/intake/")
    expect(page.locator(f"#petition-{petition.pk}")).to_be_visible()
    shot(page, artifacts, "02-district-intake.png")
    with page.expect_navigation():
        page.locator(f"#petition-{petition.pk} a.btn").click()
    triage_accept(page)
    shot(page, artifacts, "03-district-triage.png")
    submit(page, "form[action$='/accept/']")
    assert Petition.objects.get(pk=petition.pk).state == State.ACCEPTED

    # 3. It cannot be settled in the district: pass it up from the petition page, with a reason.
    page.goto(f"{url}/staff/petitions/{petition.pk}/")
    card = page.locator("section[aria-labelledby=level-h]")
    expect(card).to_be_visible()
    expect(card.locator("form[action$='/hand-down/']")).to_have_count(0)  # nothing below 龙湖区
    shot(page, artifacts, "04-another-level-card.png")
    card.scroll_into_view_if_needed()
    shot(page, artifacts, "04-another-level-card-mobile.png", mobile=True)
    # Without a reason, nothing moves and the field says why.
    submit(page, "form[action$='/pass-up/']")
    expect(page.locator("form[action$='/pass-up/'] .invalid-feedback")).to_be_visible()
    assert Petition.objects.get(pk=petition.pk).jurisdiction == world.district
    page.locator("form[action$='/pass-up/'] textarea[name=reason]").fill(PASS_UP_REASON)
    submit(page, "form[action$='/pass-up/']")
    assert page.url == f"{url}/staff/petitions/{petition.pk}/"
    petition.refresh_from_db()
    assert (petition.jurisdiction, petition.state) == (world.city, State.REGISTERED)
    # The district keeps reading it, no longer acts.
    expect(page.locator("#next-h")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(PASS_UP_REASON)
    shot(page, artifacts, "05-passed-up.png")

    # 4. The city's task force finds it in its intake and triages it again.
    switch_user(page, login, "staff")
    page.goto(f"{url}/staff/intake/")
    expect(page.locator(f"#petition-{petition.pk}")).to_be_visible()
    shot(page, artifacts, "06-city-intake.png")
    with page.expect_navigation():
        page.locator(f"#petition-{petition.pk} a.btn").click()
    triage_accept(page)
    submit(page, "form[action$='/accept/']")

    # 5. Assignment: the stationed unit leads, the district's department co-handles.
    assert page.url == f"{url}/staff/petitions/{petition.pk}/assign/"
    expect(page.locator(f"#id_unit optgroup option[value='{levels.stationed.pk}']")).to_have_count(
        1
    )
    page.select_option("#id_unit", str(levels.stationed.pk))
    page.locator("details summary").click()
    page.check(f"input[name=co_units][value='{world.district_dept.pk}']")
    shot(page, artifacts, "07-city-assigns.png")
    submit(page, "main form")
    petition.refresh_from_db()
    assert (petition.state, petition.proposed_unit) == (State.PROPOSED, levels.stationed)
    assert list(petition.co_units.all()) == [world.district_dept]

    # 6. The stationed unit's handler confirms on /handle/.
    switch_user(page, login, "tax_handler")
    page.goto(f"{url}/handle/?tab=confirm")
    expect(page.locator("table.zq-inbox")).to_contain_text(petition.number)
    page.get_by_role("link", name=petition.number).click()
    expect(page.locator("#form-confirm")).to_be_visible()
    shot(page, artifacts, "08-handler-to-confirm.png")
    post_then_reload(page, "form-confirm", petition)
    assert Petition.objects.get(pk=petition.pk).state == State.CONFIRMED

    # 7. The city issues the transfer letter.
    switch_user(page, login, "staff")
    page.goto(f"{url}/staff/petitions/{petition.pk}/")
    submit(page, "form[action$='/issue-letter/']")
    petition.refresh_from_db()
    assert petition.state == State.ASSIGNED
    shot(page, artifacts, "09-city-letter-issued.png")

    # 8. The handler contacts the firm and replies.
    switch_user(page, login, "tax_handler")
    page.goto(f"{url}/handle/petitions/{petition.pk}/")
    page.select_option("#id_contact-method", "phone")
    page.fill("#id_contact-summary", "电话联系张经理，了解研发费用加计扣除申报情况。")
    post_then_reload(page, "form-contact", petition)
    page.fill(
        "#id_reply-text", "已会同龙湖区市场监管局落实加计扣除政策，用地指标由市自然资源局统筹。"
    )
    post_then_reload(page, "form-reply", petition)
    assert Petition.objects.get(pk=petition.pk).state == State.REPLIED
    shot(page, artifacts, "10-handler-replied.png")

    # 9. The district reads it: who runs it, the move with its reason, the reply; no action card.
    switch_user(page, login, "district_staff")
    page.goto(f"{url}/staff/petitions/{petition.pk}/")
    main = page.locator("main")
    expect(page.locator("#next-h")).to_have_count(0)
    expect(page.locator("#level-h")).to_have_count(0)
    expect(page.locator("form[action*='/petitions/']")).to_have_count(0)
    expect(main).to_contain_text(PASS_UP_REASON)
    expect(main).to_contain_text(f"{world.district.name} → {world.city.name}")
    expect(main).to_contain_text(levels.stationed.name)
    expect(main).to_contain_text(world.district_dept.name)
    expect(main).to_contain_text("已会同龙湖区市场监管局落实加计扣除政策")
    shot(page, artifacts, "11-district-reads.png")

    # 10. The firm's page names the level and shows the pass-up on its timeline.
    switch_user(page, login, "lh_firm")
    page.goto(f"{url}/portal/petitions/{petition.pk}/")
    # The label's Chinese is still pending (.i18n-pending): match either.
    label = page.locator("dt", has_text=re.compile("Government level|层级"))
    level = label.locator("xpath=following-sibling::dd[1]")
    expect(level).to_have_text(world.city.name)
    timeline = page.locator("#timeline-heading + .zq-timeline")
    expect(timeline).to_contain_text(PASS_UP_REASON)
    expect(timeline).to_contain_text(world.city.name)
    shot(page, artifacts, "12-firm-sees-the-level.png")
    shot(page, artifacts, "12-firm-sees-the-level-mobile.png", mobile=True)
    assert LevelTransfer.objects.filter(petition=petition).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_wrong_remit_return_is_upheld_and_the_firm_reads_where_its_case_went(
    page, live_server, world, levels, login, artifacts
):
    url = live_server.url
    page.set_viewport_size(DESKTOP)
    petition = flow.proposed(world, unit=world.dept)  # the task force's assignment is not the point

    # 1. The industry bureau returns it on its page: not our remit, naming the competent unit.
    login("handler")
    page.goto(f"{url}/handle/petitions/{petition.pk}/")
    page.select_option("#id_return-reason_code", "not_our_remit")
    page.fill("#id_return-reason", "用地指标问题属于自然资源部门职责。")
    page.select_option("#id_return-suggested_unit", str(world.other_dept.pk))
    shot(page, artifacts, "01-handler-returns.png")
    post_then_reload(page, "form-return", petition)
    assert Petition.objects.get(pk=petition.pk).state == State.RETURNED

    # 2. The city's task force reviews it on the assignment page: the suggestion is preselected.
    switch_user(page, login, "staff")
    page.goto(f"{url}/staff/intake/?state=returned")
    with page.expect_navigation():
        page.locator(f"#petition-{petition.pk} a.btn").click()
    expect(page.locator("#pending-h")).to_contain_text(world.dept.name)
    expect(page.locator("main")).to_contain_text("用地指标问题属于自然资源部门职责。")
    assert page.locator("#id_unit").input_value() == str(world.other_dept.pk)
    page.check("input[name=decision][value=uphold]")
    shot(page, artifacts, "02-task-force-reviews.png")
    submit(page, "main form[action$='/review-return/']")
    petition.refresh_from_db()
    assert (petition.state, petition.proposed_unit) == (State.PROPOSED, world.other_dept)

    # 3. The firm's page tells where its case went.
    switch_user(page, login, "firm")
    page.goto(f"{url}/portal/petitions/{petition.pk}/")
    timeline = page.locator("#timeline-heading + .zq-timeline")
    expect(timeline).to_contain_text(world.other_dept.name)
    shot(page, artifacts, "03-firm-reads-where-it-went.png")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_level_sees_only_what_it_may_in_the_browser(
    page, live_server, world, levels, login, artifacts
):
    url = live_server.url
    page.set_viewport_size(DESKTOP)
    jinping = OrgUnitFactory(name="金平区", kind=UnitKind.DISTRICT, parent=world.city)
    city_case = flow.registered(world)
    district_case = district_petition(world)
    jinping_case = district_petition(world, jinping)
    assert OrgUnit.objects.filter(parent=jinping, kind=UnitKind.TASK_FORCE).count() == 0

    # 龙湖区's task force: its own case opens; the city's and 金平区's do not exist for it.
    login("district_staff")
    assert page.goto(f"{url}/staff/petitions/{district_case.pk}/").status == 200
    for other in (city_case, jinping_case):
        response = page.goto(f"{url}/staff/petitions/{other.pk}/")
        assert response.status == 404, other.jurisdiction
        assert page.goto(f"{url}/staff/petitions/{other.pk}/triage/").status == 404
    shot(page, artifacts, "01-district-404.png")
    page.goto(f"{url}/staff/intake/")
    expect(page.locator(f"#petition-{district_case.pk}")).to_be_visible()
    expect(page.locator(f"#petition-{city_case.pk}")).to_have_count(0)
    expect(page.locator(f"#petition-{jinping_case.pk}")).to_have_count(0)

    # The city's task force reads 龙湖区's case but may not triage it: 龙湖区 runs it.
    switch_user(page, login, "staff")
    page.goto(f"{url}/staff/petitions/{district_case.pk}/")
    expect(page.locator("#next-h")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(levels.district_tf_unit.parent.name)
    response = page.goto(f"{url}/staff/petitions/{district_case.pk}/triage/")
    assert response.status == 403
    shot(page, artifacts, "02-city-403-on-district-triage.png")
    # ...while it runs 金平区's (no task force there: the city stands in).
    assert page.goto(f"{url}/staff/petitions/{jinping_case.pk}/triage/").status == 200
    assert Petition.objects.get(pk=district_case.pk).state == State.REGISTERED
