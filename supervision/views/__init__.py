"""/staff/supervision/: the ledger, monthly sweeps, key supervision, statistics and reports.

One audience (task force, supervision office, leaders); one module per group of pages.
"""
