"""Attachments: checked by content, limited in number and size, served only to those who may see them."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from petitions import uploads, workflow
from petitions.exceptions import WorkflowError
from petitions.models import Attachment
from tests.petitions import flow

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("photo.png", PNG, "image/png"),
        ("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("report.docx", docx(), uploads.OOXML["word/"]),
        ("old.doc", uploads.OLE + b"\x00" * 20, "application/x-ole-storage"),
        ("renamed.txt", PDF, "application/pdf"),
    ],
)
def test_the_kind_is_read_from_the_bytes(name, data, kind):
    assert uploads.sniff(upload(name, data)) == kind


@pytest.mark.parametrize(
    "data",
    [b"MZ\x90\x00 an executable", b"<html>hello</html>", b"PK\x03\x04 not a zip", b"plain text"],
)
def test_other_files_are_refused_even_with_an_innocent_name(data):
    with pytest.raises(ValidationError) as exc:
        uploads.validate_uploads([upload("invoice.pdf", data)])
    assert "invoice.pdf" in exc.value.messages[0]


def test_more_than_ten_megabytes_is_refused():
    big = upload("big.pdf", PDF + b"0" * (uploads.MAX_SIZE + 1))
    with pytest.raises(ValidationError):
        uploads.validate_uploads([big])


def test_at_most_five_files():
    with pytest.raises(ValidationError):
        uploads.validate_uploads([upload(f"{i}.pdf", PDF) for i in range(6)])
    with pytest.raises(ValidationError):
        uploads.validate_uploads([upload("a.pdf", PDF)], already=5)


def test_a_firm_adds_supplementary_material_visible_to_it(world):
    petition = flow.assigned(world)
    files = uploads.validate_uploads([upload("补充.pdf", PDF)])
    [saved] = workflow.add_material(
        petition_id=petition.pk, actor=world.firm_user, files=files, note="补充合同"
    )
    assert saved.visible_to_firm
    assert saved.unit is None
    event = petition.events.order_by("-pk").first()
    assert event.action == "attach"
    assert "补充.pdf" in event.note


def test_a_units_document_is_internal_by_default(world):
    petition = flow.in_progress(world)
    files = uploads.validate_uploads([upload("会商纪要.pdf", PDF)])
    [saved] = workflow.add_material(petition_id=petition.pk, actor=world.handler, files=files)
    assert not saved.visible_to_firm
    assert saved.unit == world.dept


def test_strangers_cannot_attach(world):
    petition = flow.assigned(world)
    files = uploads.validate_uploads([upload("x.pdf", PDF)])
    for stranger in (world.other_firm_user, world.other_handler, world.foreign_staff, world.leader):
        with pytest.raises(PermissionDenied):
            workflow.add_material(petition_id=petition.pk, actor=stranger, files=files)
    assert not Attachment.objects.exists()


def test_nothing_to_add_or_a_finished_case_is_refused(world):
    petition = flow.assigned(world)
    with pytest.raises(WorkflowError):
        workflow.add_material(petition_id=petition.pk, actor=world.firm_user, files=[])
    withdrawn = flow.registered(world)
    workflow.withdraw(petition_id=withdrawn.pk, actor=world.firm_user)
    with pytest.raises(WorkflowError):
        workflow.add_material(petition_id=withdrawn.pk, actor=world.firm_user, files=[], note="x")


def test_a_firm_cannot_exceed_five_files_over_time(world):
    petition = flow.assigned(world)
    for i in range(5):
        files = uploads.validate_uploads([upload(f"{i}.pdf", PDF)])
        workflow.add_material(petition_id=petition.pk, actor=world.firm_user, files=files)
    files = uploads.validate_uploads([upload("6.pdf", PDF)])
    with pytest.raises(WorkflowError):
        workflow.add_material(petition_id=petition.pk, actor=world.firm_user, files=files)


def test_the_task_force_may_attach_and_choose_visibility(world):
    petition = flow.assigned(world)
    files = uploads.validate_uploads([upload("转办函.pdf", PDF)])
    [saved] = workflow.add_material(
        petition_id=petition.pk, actor=world.staff, files=files, visible_to_firm=True
    )
    assert saved.visible_to_firm


class TestDownload:
    def make(self, world, actor_name="firm_user"):
        petition = flow.assigned(world, co_units=[world.other_dept])
        files = uploads.validate_uploads([upload("证明.pdf", PDF)])
        [firm_file] = workflow.add_material(
            petition_id=petition.pk, actor=world.firm_user, files=files
        )
        files = uploads.validate_uploads([upload("内部.pdf", PDF)])
        [internal] = workflow.add_material(
            petition_id=petition.pk, actor=world.handler, files=files
        )
        return firm_file, internal

    def test_people_who_may_see_the_petition_download_it(self, client, world):
        firm_file, _internal = self.make(world)
        for user in (
            world.firm_user,
            world.colleague,
            world.handler,
            world.other_handler,
            world.staff,
            world.leader,
        ):
            client.force_login(user)
            response = client.get(reverse("attachment", args=[firm_file.pk]))
            assert response.status_code == 200, user
            assert b"".join(response.streaming_content).startswith(b"%PDF")
            assert "attachment" in response["Content-Disposition"]

    def test_strangers_get_404(self, client, world):
        firm_file, _internal = self.make(world)
        for user in (world.other_firm_user, world.district_handler, world.foreign_staff):
            client.force_login(user)
            assert client.get(reverse("attachment", args=[firm_file.pk])).status_code == 404, user

    def test_a_firm_never_gets_an_internal_document(self, client, world):
        _firm_file, internal = self.make(world)
        client.force_login(world.firm_user)
        assert client.get(reverse("attachment", args=[internal.pk])).status_code == 404

    def test_a_visitor_must_log_in(self, client, world):
        firm_file, _internal = self.make(world)
        response = client.get(reverse("attachment", args=[firm_file.pk]))
        assert response.status_code == 302
