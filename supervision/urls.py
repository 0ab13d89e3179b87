"""/staff/supervision/: the supervision office's, the task force's and the leaders' pages (docs/rules.md §7)."""

from django.urls import path
from django.views.generic import RedirectView

from supervision.views import keys, ledger, reports, statistics, sweeps

app_name = "supervision"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="supervision:ledger"), name="index"),
    # 工作台账
    path("ledger/", ledger.ledger, name="ledger"),
    path("ledger.xlsx", ledger.ledger_export, name="ledger_export"),
    # monthly sweeps and their notices (通报)
    path("sweeps/", sweeps.sweeps, name="sweeps"),
    path("sweeps/<int:pk>/", sweeps.sweep, name="sweep"),
    path("sweeps/<int:pk>/notice/", sweeps.notice, name="notice"),
    path("sweeps/<int:pk>/notice.pdf", sweeps.notice_pdf, name="notice_pdf"),
    path("sweeps/<int:pk>/notice.xlsx", sweeps.notice_xlsx, name="notice_xlsx"),
    # 重点督办
    path("keys/", keys.keys, name="keys"),
    path("keys/<int:pk>/", keys.key, name="key"),
    path("keys/<int:pk>/decide/", keys.decide, name="key_decide"),
    path("keys/<int:pk>/follow-up/", keys.follow_up, name="key_follow_up"),
    # statistics and reports
    path("statistics/", statistics.statistics, name="statistics"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:year>/<int:month>/", reports.monthly, name="monthly_report"),
    path(
        "reports/<int:year>/<int:month>/report.pdf",
        reports.monthly,
        {"fmt": "pdf"},
        name="monthly_report_pdf",
    ),
    path(
        "reports/<int:year>/<int:month>/report.xlsx",
        reports.monthly,
        {"fmt": "xlsx"},
        name="monthly_report_xlsx",
    ),
    path("reports/<int:year>/q<int:quarter>/", reports.quarterly, name="quarterly_report"),
    path(
        "reports/<int:year>/q<int:quarter>/report.pdf",
        reports.quarterly,
        {"fmt": "pdf"},
        name="quarterly_report_pdf",
    ),
    path(
        "reports/<int:year>/q<int:quarter>/report.xlsx",
        reports.quarterly,
        {"fmt": "xlsx"},
        name="quarterly_report_xlsx",
    ),
]
