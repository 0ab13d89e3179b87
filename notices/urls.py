"""/notices/: a petition's delivery log, sending a failed notice again, one's own notice settings,
and officials' in-app notices."""

from django.urls import path

from notices import inbox, views

app_name = "notices"

urlpatterns = [
    path("petitions/<int:pk>/deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.retry, name="retry"),
    path("settings/", views.settings, name="settings"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read-all/", inbox.read_all, name="read_all"),
    path("inbox/<int:pk>/", inbox.open_notice, name="open"),
]
