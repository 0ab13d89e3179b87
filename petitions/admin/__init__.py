"""The task force's admin: reference data, read-only records, and lifecycle actions (docs/conventions.md C10).

`state` and every field a workflow step sets are read-only; a transition is an admin action that
calls `petitions.workflow` (lifecycle.py; the machinery in actions.py, their input in action_forms.py).
Adding a petition or confirming a calendar year also goes through the workflow.

One module per seam; importing them here registers their models when Django autodiscovers
`petitions.admin`.
"""

from petitions.admin import enterprises, petitions, records, reference, users

__all__ = ["enterprises", "petitions", "records", "reference", "users"]
