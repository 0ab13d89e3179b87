"""The task force's workbench at /staff/, with read-only pages for leaders and supervisors.

One module per page group; each view authorises (`staff_only`), fetches through `visible_to`
(a stranger gets 404), validates a form, calls one workflow function and redirects (docs/conventions.md C5).
"""
