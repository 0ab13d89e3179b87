"""The department handler's pages, under /handle/ (docs/rules.md §1 承办单位, 协办单位)."""

from django.urls import path

from petitions.views import handler as views

app_name = "handler"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("petitions/<int:pk>/", views.petition_detail, name="petition"),
    path("petitions/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("petitions/<int:pk>/return/", views.return_petition, name="return"),
    path("petitions/<int:pk>/contact/", views.record_contact, name="contact"),
    path("petitions/<int:pk>/progress/", views.report_progress, name="progress"),
    path("petitions/<int:pk>/extension/", views.request_extension, name="extension"),
    path("petitions/<int:pk>/opinion/", views.submit_opinion, name="opinion"),
    path("petitions/<int:pk>/reply/", views.reply, name="reply"),
    path("petitions/<int:pk>/documents/", views.upload_documents, name="documents"),
]
