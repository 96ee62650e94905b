"""Placement's request schemas (JSON bodies, per microversion) and query parsing."""
