"""Vendored front-end files match static/vendor/SHA256SUMS (see static/vendor/VERSIONS.md)."""

import hashlib
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"
# The list itself and the note on where the files came from are not vendored files.
NOT_LISTED = {"SHA256SUMS", "VERSIONS.md"}


def checksum_problems(folder: Path) -> list[str]:
    """What `sha256sum -c SHA256SUMS` would flag, plus any file the list does not name."""
    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest  # "*" marks binary mode in sha256sum's format
    present = {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name not in NOT_LISTED
    }
    problems = [f"unlisted: {name}" for name in sorted(present - listed.keys())]
    problems += [f"missing: {name}" for name in sorted(listed.keys() - present)]
    for name in sorted(present & listed.keys()):
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != listed[name]:
            problems.append(f"changed: {name}")
    return problems


def write_vendor_folder(folder: Path, files: dict[str, bytes]) -> None:
    lines = []
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
        lines.append(f"{hashlib.sha256(content).hexdigest()}  {name}\n")
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    (folder / "VERSIONS.md").write_text("# notes\n", encoding="utf-8")


def test_every_vendored_file_is_listed_with_its_sha256_and_matches_it():
    assert (VENDOR / "SHA256SUMS").is_file()
    assert checksum_problems(VENDOR) == []


def test_the_check_reports_a_vendored_file_changed_by_one_byte(tmp_path):
    write_vendor_folder(tmp_path, {"lib-1.0/lib.min.js": b"var a=1;", "lib-1.0/LICENSE": b"MIT"})
    (tmp_path / "lib-1.0" / "lib.min.js").write_bytes(b"var a=2;")
    assert checksum_problems(tmp_path) == ["changed: lib-1.0/lib.min.js"]


def test_the_check_reports_a_file_added_without_a_checksum_and_one_listed_but_gone(tmp_path):
    write_vendor_folder(tmp_path, {"lib-1.0/lib.min.js": b"var a=1;", "lib-1.0/LICENSE": b"MIT"})
    (tmp_path / "lib-1.0" / "extra.js").write_bytes(b"alert(1)")
    (tmp_path / "lib-1.0" / "LICENSE").unlink()
    assert checksum_problems(tmp_path) == ["unlisted: lib-1.0/extra.js", "missing: lib-1.0/LICENSE"]
