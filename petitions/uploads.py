"""Check uploaded files by their content, not their name (docs/rules.md §3 attachments; issue: ≤ 10 MB, PDF/images/Office)."""

from __future__ import annotations

import zipfile

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_SIZE = 10 * 1024 * 1024
MAX_FILES = 5

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .xls / .ppt
OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff(upload: UploadedFile) -> str | None:
    """The content type the bytes prove, or None when the file is not an accepted kind."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"RIFF") and upload.read(12)[8:12] == b"WEBP":
        upload.seek(0)
        return "image/webp"
    upload.seek(0)
    if head.startswith(OLE):
        return "application/x-ole-storage"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            for prefix, content_type in OOXML.items():
                if any(n.startswith(prefix) for n in names):
                    return content_type
    return None


def validate_uploads(files: list[UploadedFile], already: int = 0) -> list[tuple[UploadedFile, str]]:
    """Return (file, content type) pairs, or raise one ValidationError listing every problem."""
    errors: list[str] = []
    if len(files) + already > MAX_FILES:
        errors.append(_("At most %(n)d attachments per petition.") % {"n": MAX_FILES})
    checked: list[tuple[UploadedFile, str]] = []
    for upload in files:
        if upload.size > MAX_SIZE:
            errors.append(_("%(name)s is larger than 10 MB.") % {"name": upload.name})
            continue
        content_type = sniff(upload)
        if content_type is None:
            errors.append(
                _("%(name)s is not a PDF, an image or an Office document.") % {"name": upload.name}
            )
            continue
        checked.append((upload, content_type))
    if errors:
        raise ValidationError(errors)
    return checked
