"""Avvikelser (deviations), DOMAIN.md §5.1."""
