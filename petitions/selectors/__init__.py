"""Multi-model reads for pages and reports (docs/conventions.md C4)."""
