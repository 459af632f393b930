"""Kvalitetsberättelse: the yearly quality report (DOMAIN.md §7)."""
