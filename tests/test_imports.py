"""Imports point one way and sit at the top of each module (docs/architecture.md §3).

A function-local import hides a cycle: `Petition.objects.visible_to` once imported petitions/access.py
inside the method while access.py imported the models, and nothing failed until someone moved the
import up. Two guards: every module of the three apps imports first in a fresh interpreter, and no
function-local import comes back except those listed below with their reason.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("petitions", "supervision", "meetings", "notices")

# (module, imported module) → why it stays inside a function.
ALLOWED_LOCAL_IMPORTS = {
    # App-registry timing: system checks and admin widgets are installed once the apps are ready.
    ("petitions.apps", "petitions"): "AppConfig.ready()",
    ("petitions.apps", "zqztc"): "AppConfig.ready()",
    ("notices.apps", "notices"): "AppConfig.ready()",
    # Slow to import (~1 s) and only the document views need it.
    ("petitions.pdf", "weasyprint"): "heavy optional import",
    ("petitions.pdf", "weasyprint.urls"): "heavy optional import",
    # Optional: from the demo extra; the command explains how to install it when it is missing.
    ("petitions.management.commands.load_demo", "time_machine"): "optional dependency",
    # A real cycle: petitions.imports → petitions.workflow → petitions.tasks.
    ("petitions.tasks", "petitions"): "cycle through the workflow",
    # Forms belong to another task of issue 11; nothing stops this one moving to the top.
    ("petitions.forms.handler", "petitions.uploads"): "not yet moved",
}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _local_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Imports not at module level (an `if TYPE_CHECKING:` block at module level counts as top)."""
    top = set()
    for node in tree.body:
        if _is_type_checking_block(node):
            top.update(id(child) for child in ast.walk(node))
        else:
            top.add(id(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in top:
            continue
        if isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_no_module_of_the_three_apps_imports_inside_a_function_without_a_listed_reason():
    unexpected = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for name, path in _modules()
        for line, imported in _local_imports(ast.parse(path.read_text(encoding="utf-8")))
        if (name, imported) not in ALLOWED_LOCAL_IMPORTS
    ]
    assert not unexpected, "Move these imports to the top of the module:\n" + "\n".join(unexpected)


def test_the_scan_finds_an_import_hidden_in_a_method():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from a import B\n"
        "class C:\n    def f(self):\n        from petitions.access import x\n"
    )
    assert _local_imports(tree) == [(6, "petitions.access")]


# Each module is imported first, after every other module of the apps is forgotten, so a cycle
# that only bites in some import order fails here. Modules that define models or register admin
# classes cannot be imported twice in one process; Django imports them itself during setup, where a
# cycle among them fails `django.setup()`.
_IMPORT_EACH_FIRST = """
import importlib, sys, traceback
import django
django.setup()

APPS = {apps!r}

def forgettable(name):
    parts = name.split(".")
    return (
        parts[0] in APPS
        and "models" not in parts
        and "migrations" not in parts
        and parts[-1] not in ("admin", "apps")
        and not (len(parts) > 1 and parts[1] == "admin")
    )

failed = []
for name in {modules!r}:
    if not forgettable(name):
        continue
    for loaded in [m for m in sys.modules if forgettable(m)]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ":\\n" + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_of_the_three_apps_imports_first_in_a_fresh_interpreter():
    modules = [name for name, _path in _modules()]
    script = _IMPORT_EACH_FIRST.format(apps=APPS, modules=modules)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
