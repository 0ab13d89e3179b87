from django.urls import path

from petitions.views import portal, verification

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("signup/", portal.signup, name="signup"),
    path("activate/", verification.activate, name="activate"),
    path("enterprise/", verification.correct_details, name="correct_details"),
    path("petitions/", portal.petition_list, name="petitions"),
    path("petitions/new/", portal.submit, name="submit"),
    path("petitions/similar/", portal.similar_panel, name="similar"),
    path("petitions/<int:pk>/", portal.petition_detail, name="petition"),
    path("petitions/<int:pk>/material/", portal.add_material, name="add_material"),
    path("petitions/<int:pk>/withdraw/", portal.withdraw, name="withdraw"),
    path("petitions/<int:pk>/evaluate/", portal.evaluate, name="evaluate"),
    path("notifications/", portal.notification_list, name="notifications"),
    path("notifications/read-all/", portal.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/", portal.notification_open, name="notification"),
]
