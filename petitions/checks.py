"""System checks of the machine the project runs on."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from django.core.checks import Tags, Warning, register


@register(Tags.compatibility)
def cjk_font_installed(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Without a CJK font WeasyPrint prints Chinese as empty boxes, silently (NOTES.md)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []  # cannot tell on this machine
    try:
        found = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if found.returncode != 0 or found.stdout.strip():
        return []
    return [
        Warning(
            "No Chinese (CJK) font is installed: printed documents would show Chinese as empty boxes.",
            hint="Install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk).",
            id="petitions.W001",
        )
    ]
