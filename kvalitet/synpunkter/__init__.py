"""Synpunkter och klagomål (DOMAIN.md §5.3), with the public e-tjänst."""
