"""Multi-model reads for pages and reports (STYLE C4)."""
