"""The one way a page runs an action (petitions/views/actions.py): validate, call the workflow, show the outcome."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from petitions.exceptions import WorkflowError
from petitions.views.actions import EmptyForm, run_action


class NoteForm(forms.Form):
    title = forms.CharField()
    note = forms.CharField(required=False)


def post(data: dict, *, htmx: bool = False) -> object:
    headers = {"HX-Request": "true"} if htmx else {}
    request = RequestFactory().post("/act/", data, headers=headers)
    request.htmx = HtmxDetails(request)
    request._messages = CookieStorage(request)
    return request


def texts(request: object) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(request)]


class Workflow:
    """Stands in for a workflow function: records its calls and refuses when told to."""

    def __init__(self, refusal: Exception | None = None) -> None:
        self.calls: list[dict] = []
        self.refusal = refusal

    def __call__(self, data: dict) -> str:
        self.calls.append(data)
        if self.refusal:
            raise self.refusal
        return f"done {data['title']}"


def test_success_calls_the_workflow_with_the_cleaned_data_then_redirects_with_a_message():
    request = post({"title": " 标题 ", "note": "备注"})
    workflow = Workflow()
    outcome = run_action(
        request,
        NoteForm(request.POST),
        workflow,
        success=lambda result: f"{result}!",
        redirect_to="/next/",
    )
    assert workflow.calls == [{"title": "标题", "note": "备注"}]
    assert outcome.ok
    assert outcome.result == "done 标题"
    assert outcome.response.status_code == 302
    assert outcome.response["Location"] == "/next/"
    assert texts(request) == [("success", "done 标题!")]


def test_a_workflow_refusal_lands_next_to_the_mapped_field_and_keeps_the_typed_input():
    request = post({"title": "标题", "note": "太短"})
    form = NoteForm(request.POST)
    refusal = WorkflowError("The note is too short.", code="too_short")
    outcome = run_action(
        request,
        form,
        Workflow(refusal),
        fields={"too_short": "note"},
        success="never",
        redirect_to="/next/",
    )
    assert not outcome.ok
    assert outcome.response is None
    assert form.errors == {"note": ["The note is too short."]}
    assert form["note"].value() == "太短"
    assert texts(request) == []


def test_a_refusal_whose_code_names_no_field_goes_above_the_form():
    request = post({"title": "标题"})
    form = NoteForm(request.POST)
    outcome = run_action(
        request,
        form,
        Workflow(WorkflowError("Not now.", code="wrong_state")),
        fields={"too_short": "note", "wrong_state": "no_such_field"},
        redirect_to="/next/",
    )
    assert not outcome.ok
    assert form.non_field_errors() == ["Not now."]


def test_an_invalid_form_does_not_call_the_workflow():
    request = post({"note": "无标题"})
    form = NoteForm(request.POST)
    workflow = Workflow()
    outcome = run_action(request, form, workflow, success="never", redirect_to="/next/")
    assert workflow.calls == []
    assert not outcome.ok
    assert "title" in form.errors
    assert texts(request) == []


def test_a_permission_denied_from_the_workflow_stays_a_403_not_a_form_error():
    # Acting on a petition one may only read is the wrong audience (tests/petitions/test_handler_access.py).
    request = post({"title": "标题"})
    form = NoteForm(request.POST)
    with pytest.raises(PermissionDenied):
        run_action(request, form, Workflow(PermissionDenied("no")), redirect_to="/next/")
    assert texts(request) == []


def test_with_htmx_success_answers_with_an_hx_location_and_the_swap_options():
    request = post({"title": "标题"}, htmx=True)
    outcome = run_action(
        request,
        NoteForm(request.POST),
        Workflow(),
        success="ok",
        redirect_to="/next/",
        htmx={"target": "#main", "swap": "outerHTML"},
    )
    assert outcome.response.status_code == 200
    assert (
        outcome.response["HX-Location"]
        == '{"path": "/next/", "target": "#main", "swap": "outerHTML"}'
    )


def test_without_a_redirect_the_view_builds_its_own_response():
    request = post({"title": "标题"})
    outcome = run_action(request, NoteForm(request.POST), Workflow(), success="ok")
    assert outcome.ok
    assert outcome.response is None
    assert texts(request) == [("success", "ok")]


def test_a_refused_button_returns_to_its_page_with_the_refusal_as_an_error_message():
    request = post({})
    refusal = WorkflowError("The letter was issued already.", code="wrong_state")
    outcome = run_action(
        request,
        EmptyForm(request.POST),
        Workflow(refusal),
        success="never",
        redirect_to="/petition/",
        refused_to="/petition/",
    )
    assert not outcome.ok
    assert outcome.response["Location"] == "/petition/"
    assert texts(request) == [("error", "The letter was issued already.")]


def test_an_invalid_button_form_says_the_one_message_given_for_it():
    request = post({})
    workflow = Workflow()
    outcome = run_action(
        request,
        NoteForm(request.POST),
        workflow,
        redirect_to="/list/",
        refused_to="/list/",
        invalid="Choose a topic.",
    )
    assert workflow.calls == []
    assert outcome.response["Location"] == "/list/"
    assert texts(request) == [("error", "Choose a topic.")]
