"""/meetings/: staff/… for the task force, leaders and the supervision office; portal/… for firms."""

from django.urls import path

from meetings.views import documents, portal, staff

app_name = "meetings"

urlpatterns = [
    # task force, leaders, supervision office
    path("staff/", staff.meeting_list, name="list"),
    path("staff/new/", staff.plan, name="plan"),
    path("staff/<int:pk>/", staff.meeting, name="meeting"),
    path("staff/<int:pk>/topics/", staff.topics, name="topics"),
    path("staff/<int:pk>/topics/new/", staff.add_topic, name="add_topic"),
    path("staff/<int:pk>/topics/take/", staff.take_topic, name="take_topic"),
    path("staff/<int:pk>/proposals/take/", staff.take_petition, name="take_petition"),
    path("staff/topics/<int:pk>/verify/", staff.verify_topic, name="verify_topic"),
    path("staff/topics/", staff.pool, name="pool"),
    path("staff/topics/<int:pk>/", staff.topic, name="topic"),
    path("staff/topics/<int:pk>/send-up/", staff.send_up, name="send_up"),
    path("staff/<int:pk>/draft/", staff.draft, name="draft"),
    path("staff/<int:pk>/reopen/", staff.reopen, name="reopen"),
    path("staff/<int:pk>/submit/", staff.submit, name="submit"),
    path("staff/<int:pk>/review/", staff.review, name="review"),
    path("staff/<int:pk>/approve/", staff.approve, name="approve"),
    path("staff/<int:pk>/send-back/", staff.send_back, name="send_back"),
    path("staff/<int:pk>/issue-notice/", staff.issue_notice, name="issue_notice"),
    path("staff/<int:pk>/hold/", staff.hold, name="hold"),
    path("staff/<int:pk>/decisions/", staff.decisions, name="decisions"),
    path("staff/items/<int:pk>/decision/", staff.record_decision, name="record_decision"),
    path("staff/<int:pk>/assign/", staff.assign, name="assign"),
    path("staff/<int:pk>/close/", staff.close, name="close"),
    # printed documents (HTML print view + PDF from one template)
    path("staff/<int:pk>/catalogue/", documents.catalogue, name="catalogue"),
    path("staff/<int:pk>/catalogue.pdf", documents.catalogue_pdf, name="catalogue_pdf"),
    path("staff/<int:pk>/opinions/", documents.opinions, name="opinions"),
    path("staff/<int:pk>/opinions.pdf", documents.opinions_pdf, name="opinions_pdf"),
    path("staff/<int:pk>/handling/", documents.handling_forms, name="handling_forms"),
    path("staff/<int:pk>/handling.pdf", documents.handling_forms_pdf, name="handling_forms_pdf"),
    path("staff/<int:pk>/evaluations/", documents.evaluations, name="evaluations"),
    path("staff/<int:pk>/evaluations.pdf", documents.evaluations_pdf, name="evaluations_pdf"),
    path("staff/topics/<int:pk>/form/", documents.topic_form, name="topic_form"),
    path("staff/topics/<int:pk>/form.pdf", documents.topic_form_pdf, name="topic_form_pdf"),
    path("staff/items/<int:pk>/handling/", documents.handling_form, name="handling_form"),
    path(
        "staff/items/<int:pk>/handling.pdf",
        documents.handling_form_pdf,
        name="handling_form_pdf",
    ),
    # enterprises
    path("portal/", portal.meeting_list, name="portal_meetings"),
    path("portal/<int:pk>/evaluate/", portal.evaluate, name="portal_evaluate"),
    path("portal/topics/", portal.topic_list, name="portal_topics"),
    path("portal/topics/new/", portal.topic_new, name="portal_topic_new"),
    path("portal/topics/<int:pk>/", portal.topic_detail, name="portal_topic"),
    path("portal/topics/<int:pk>/form.pdf", portal.topic_pdf, name="portal_topic_pdf"),
]
