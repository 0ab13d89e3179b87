"""/notices/: a petition's delivery log, sending a failed notice again, and one's own notice settings."""

from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("petitions/<int:pk>/deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.retry, name="retry"),
    path("settings/", views.settings, name="settings"),
]
