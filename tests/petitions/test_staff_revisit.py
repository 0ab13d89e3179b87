"""Revisit on /staff/: the firm's rating recorded on its behalf, concluding without one, archiving."""

import pytest
from django.urls import reverse

from petitions.models import Evaluation, EvaluationSource, Petition, Rating, State
from tests.petitions import flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def test_the_revisit_queue_lists_replied_petitions(staff_client, world, django_assert_num_queries):
    replied = [flow.replied(world) for _ in range(3)]
    flow.in_progress(world)
    # 1 session · 2 user · 3–6 the user's unit, its parent and the jurisdictions below ·
    # 7 the levels the task force runs (docs/rules.md §1) · 8 count · 9 page rows with firm,
    # theme and units · 10 working-day calendar
    with django_assert_num_queries(10):
        response = staff_client.get(reverse("staff:revisits"))
    assert {p.pk for p in response.context["page"]} == {p.pk for p in replied}


def test_a_satisfied_rating_concludes(staff_client, world):
    petition = flow.replied(world)
    page = staff_client.get(reverse("staff:revisit", args=[petition.pk]))
    assert "已协调供电局" in page.content.decode()  # the unit's reply is shown
    response = staff_client.post(
        reverse("staff:revisit", args=[petition.pk]),
        {"method": "phone", "rating": Rating.SATISFIED, "comment": "问题已解决"},
    )
    assert response["Location"] == reverse("staff:revisits")
    petition.refresh_from_db()
    assert petition.state == State.CONCLUDED
    evaluation = Evaluation.objects.get(petition=petition)
    assert (evaluation.source, evaluation.method) == (EvaluationSource.REVISIT, "phone")


def test_unsatisfied_needs_a_comment_and_goes_back_for_re_handling(staff_client, world):
    petition = flow.replied(world)
    url = reverse("staff:revisit", args=[petition.pk])
    response = staff_client.post(url, {"method": "visit", "rating": Rating.UNSATISFIED})
    assert response.status_code == 400
    assert "comment" in response.context["form"].errors
    assert 'value="visit" selected' in response.content.decode()
    assert Petition.objects.get(pk=petition.pk).state == State.REPLIED

    staff_client.post(
        url, {"method": "visit", "rating": Rating.UNSATISFIED, "comment": "报装仍未完成"}
    )
    petition.refresh_from_db()
    assert petition.state == State.IN_PROGRESS
    assert petition.rehandle_count == 1


def test_the_revisit_method_is_required(staff_client, world):
    petition = flow.replied(world)
    response = staff_client.post(
        reverse("staff:revisit", args=[petition.pk]), {"rating": Rating.SATISFIED}
    )
    assert response.status_code == 400
    assert "method" in response.context["form"].errors


def test_concluding_without_a_rating_needs_a_note(staff_client, world):
    petition = flow.replied(world)
    url = reverse("staff:conclude", args=[petition.pk])
    response = staff_client.post(url, {"note": ""})
    assert response.status_code == 400
    assert "note" in response.context["conclude_form"].errors
    staff_client.post(url, {"note": "多次联系企业未接通。"})
    petition.refresh_from_db()
    assert petition.state == State.CONCLUDED
    assert not petition.evaluations.exists()


def test_a_concluded_petition_is_archived_from_its_page(staff_client, world):
    petition = flow.concluded(world)
    page = staff_client.get(reverse("staff:petition", args=[petition.pk]))
    assert reverse("staff:archive", args=[petition.pk]) in page.content.decode()
    staff_client.post(reverse("staff:archive", args=[petition.pk]))
    petition.refresh_from_db()
    assert petition.state == State.ARCHIVED


def test_archiving_an_open_petition_is_refused_with_a_message(staff_client, world):
    petition = flow.in_progress(world)
    response = staff_client.post(reverse("staff:archive", args=[petition.pk]), follow=True)
    assert list(response.context["messages"])
    assert Petition.objects.get(pk=petition.pk).state == State.IN_PROGRESS


def test_the_revisit_page_of_a_petition_not_replied_goes_to_its_page(staff_client, world):
    petition = flow.in_progress(world)
    response = staff_client.get(reverse("staff:revisit", args=[petition.pk]))
    assert response["Location"] == reverse("staff:petition", args=[petition.pk])


@pytest.mark.parametrize(
    "state",
    [
        "registered",
        "accepted",
        "proposed",
        "returned",
        "confirmed",
        "awaiting_approval",
        "assigned",
        "in_progress",
        "replied",
        "concluded",
    ],
)
def test_the_petition_page_renders_in_every_state(staff_client, client, world, state):
    petition = getattr(flow, state)(world)
    response = staff_client.get(reverse("staff:petition", args=[petition.pk]))
    assert response.status_code == 200
    assert petition.number in response.content.decode()
