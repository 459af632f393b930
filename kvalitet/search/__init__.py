"""Search across every kind: the full-text index (index.py, kept as items change) and the
search page with its facets (views.py)."""
