"""/staff/: the task force's workbench; read-only pages and the approval queue for leaders."""

from django.urls import path

from petitions.views import verification
from petitions.views.staff import (
    approvals,
    assign,
    documents,
    home,
    imports,
    intake,
    levels,
    petition,
    revisit,
    routing,
    search,
)

app_name = "staff"

urlpatterns = [
    path("", home.home, name="home"),
    # intake
    path("intake/", intake.intake, name="intake"),
    path("register/", intake.register, name="register"),
    path("enterprises/", intake.enterprise_search, name="enterprise_search"),
    path("petitions/<int:pk>/triage/", intake.triage, name="triage"),
    path("petitions/<int:pk>/accept/", intake.accept, name="accept"),
    path("petitions/<int:pk>/reject/", intake.reject, name="reject"),
    path("petitions/<int:pk>/duplicate/", intake.mark_duplicate, name="mark_duplicate"),
    # levels (docs/rules.md §1)
    path("petitions/<int:pk>/pass-up/", levels.pass_up, name="pass_up"),
    path("petitions/<int:pk>/hand-down/", levels.hand_down, name="hand_down"),
    # assignment
    path("petitions/<int:pk>/assign/", assign.assign, name="assign"),
    path("petitions/<int:pk>/review-return/", assign.review_return, name="review_return"),
    path("letters/", assign.letters, name="letters"),
    path("petitions/<int:pk>/submit-approval/", assign.submit_approval, name="submit_approval"),
    path("petitions/<int:pk>/issue-letter/", assign.issue_letter, name="issue_letter"),
    path("extensions/", assign.extensions, name="extensions"),
    path("extensions/<int:pk>/decide/", assign.decide_extension, name="decide_extension"),
    # the routing catalogue (docs/rules.md §10)
    path("routing/", routing.catalogue, name="routing"),
    path("routing/defaults/", routing.defaults, name="routing_defaults"),
    path("routing/<int:theme_id>/", routing.rule, name="routing_rule"),
    # leaders
    path("approvals/", approvals.approvals, name="approvals"),
    path("petitions/<int:pk>/approval/", approvals.approval, name="approval"),
    path(
        "petitions/<int:pk>/approval/reassign/",
        approvals.reassign_approval,
        name="reassign_approval",
    ),
    # revisit and close
    path("revisits/", revisit.revisits, name="revisits"),
    path("petitions/<int:pk>/revisit/", revisit.revisit, name="revisit"),
    path("petitions/<int:pk>/conclude/", revisit.conclude, name="conclude"),
    path("petitions/<int:pk>/archive/", revisit.archive, name="archive"),
    # reading and documents
    path("petitions/<int:pk>/", petition.petition, name="petition"),
    path("petitions/<int:pk>/transfer-letter/", documents.transfer_letter, name="transfer_letter"),
    path(
        "petitions/<int:pk>/transfer-letter.pdf",
        documents.transfer_letter_pdf,
        name="transfer_letter_pdf",
    ),
    path("petitions/<int:pk>/dossier/", documents.dossier, name="dossier"),
    path("petitions/<int:pk>/dossier.pdf", documents.dossier_pdf, name="dossier_pdf"),
    path("petitions/<int:pk>/approval-form/", documents.approval_form, name="approval_form"),
    path(
        "petitions/<int:pk>/approval-form.pdf",
        documents.approval_form_pdf,
        name="approval_form_pdf",
    ),
    path("search/", search.search, name="search"),
    path("search/ledger.xlsx", search.export, name="export"),
    # verifying firms (issue 12 §6)
    path("enterprises/pending/", verification.queue, name="verification"),
    path("enterprises/verify/", verification.verify, name="verify_enterprises"),
    path("enterprises/<int:pk>/refuse/", verification.refuse, name="refuse_enterprise"),
    path("enterprises/<int:pk>/invite/", verification.invite, name="invite_enterprise"),
    # imports
    path("imports/", imports.upload, name="imports"),
    path("imports/confirm/", imports.confirm, name="import_confirm"),
    path("imports/cancel/", imports.cancel, name="import_cancel"),
]
