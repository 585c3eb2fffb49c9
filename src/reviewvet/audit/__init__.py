"""Batch audits of many reviews: the DuckDB store, ingest, workers, reports."""

DEFAULT_BUDGET = 120.0  # seconds for one item (one review: read, verify, rows)
